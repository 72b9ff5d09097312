"""The shared page shell and static files."""
