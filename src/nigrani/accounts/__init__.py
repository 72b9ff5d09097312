"""Users, roles, the jurisdiction tree, staff and citizen login, API tokens."""
