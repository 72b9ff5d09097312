"""The station analytics' pages."""
