"""HTML routes of accounts: sign-in, administration, SMS failures, API keys."""
