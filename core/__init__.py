"""The lowest layer: what every app may import and that imports no app (domain errors, the
database-outage classification). A plain package: no models, not in INSTALLED_APPS."""
