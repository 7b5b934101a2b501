"""Admin registrations for members and consents."""
