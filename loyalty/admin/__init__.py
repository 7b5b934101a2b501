"""The back-office for the program, tiers, partners, accounts and the ledger."""

from loyalty.admin import api_keys, ledger, partners, program  # noqa: F401
