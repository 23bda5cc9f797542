"""Organisations (检察院 tree), departments and users with roles."""
