"""Admin registrations (see loyalty/admin/__init__.py)."""
