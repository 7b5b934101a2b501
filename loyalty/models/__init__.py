from loyalty.models.adjustments import AdjustmentRequest
from loyalty.models.guest_checks import GuestCheck
from loyalty.models.imports import HistoryImport, HistoryImportProblem
from loyalty.models.ledger import Account, LedgerEntry, PointLot
from loyalty.models.partners import (
    IdempotencyRecord,
    Partner,
    PartnerAPIKey,
    StaffAssignment,
    Store,
)
from loyalty.models.program import Program, Tier, TierChange
from loyalty.models.purchases import Purchase, PurchaseBonus, PurchaseLine, Refund, RefundLine

__all__ = [
    "Account",
    "AdjustmentRequest",
    "GuestCheck",
    "HistoryImport",
    "HistoryImportProblem",
    "IdempotencyRecord",
    "LedgerEntry",
    "Partner",
    "PartnerAPIKey",
    "PointLot",
    "Program",
    "Purchase",
    "PurchaseBonus",
    "PurchaseLine",
    "Refund",
    "RefundLine",
    "StaffAssignment",
    "Store",
    "Tier",
    "TierChange",
]

from loyalty.models import history  # noqa: F401 (the audit triggers)
