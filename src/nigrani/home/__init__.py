"""Each role's home page: what needs attention now, with the lists behind the numbers."""
