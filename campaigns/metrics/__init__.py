"""The program's figures (docs/METRICS.md): `program_metrics` for a period and a scope, read
from the daily rollups where they exist and live for the other days (today)."""

from campaigns.metrics.engine import program_metrics
from campaigns.metrics.errors import UnknownScope, WrongPeriod
from campaigns.metrics.results import (
    CampaignROI,
    CohortRow,
    DailyFigures,
    ExpiryMonth,
    ProgramMetrics,
    TierMove,
    TierShare,
)

__all__ = [
    "CampaignROI",
    "CohortRow",
    "DailyFigures",
    "ExpiryMonth",
    "ProgramMetrics",
    "TierMove",
    "TierShare",
    "UnknownScope",
    "WrongPeriod",
    "program_metrics",
]
