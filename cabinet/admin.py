"""Admin registrations for the FAQ and the desk activity log."""
