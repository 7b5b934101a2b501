"""The program dashboard: the admin's front page for marketers and analysts."""
