"""The shape of the program's figures as the dashboard, the PDF report and the JSON command
read them (campaigns.metrics.program_metrics returns a ProgramMetrics)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class DailyFigures:
    """One day of the period. `new_members` and `points_expired` are program-wide (members join
    the program, points expire without a store) whatever the scope."""

    day: dt.date
    checks: int
    guest_checks: int
    revenue_members: Decimal
    new_members: int
    points_issued: int
    points_redeemed: int
    points_expired: int


@dataclass(frozen=True)
class ExpiryMonth:
    month: dt.date  # the 1st of the month
    points: int
    rub: Decimal


@dataclass(frozen=True)
class TierShare:
    tier: str
    members: int


@dataclass(frozen=True)
class TierMove:
    from_tier: str | None
    to_tier: str
    count: int


@dataclass(frozen=True)
class CampaignROI:
    campaign_id: int
    name: str
    cost: Decimal
    incremental_revenue: Decimal | None
    roi: Decimal | None


@dataclass(frozen=True)
class CohortRow:
    month: dt.date  # the month the cohort's members joined (1st of the month)
    members: int
    shares: list  # list[Decimal | None]: shares[i] = share active in month i after joining


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


def _json_row(row) -> dict:
    return {name: _json_value(getattr(row, name)) for name in row.__dataclass_fields__}


@dataclass(frozen=True)
class ProgramMetrics:
    start: dt.date
    end: dt.date
    partner_id: int | None
    store_id: int | None
    figures: dict  # METRICS key -> int | Decimal | None
    daily: list = field(default_factory=list)  # list[DailyFigures]
    expiry_forecast: list = field(default_factory=list)  # list[ExpiryMonth]
    # When the forecast was counted: the nightly rollup's time, or None when counted live.
    expiry_forecast_as_of: dt.datetime | None = None
    tier_distribution: list = field(default_factory=list)  # list[TierShare]
    tier_movements: list = field(default_factory=list)  # list[TierMove]
    top_campaigns: list = field(default_factory=list)  # list[CampaignROI]
    cohorts: list = field(default_factory=list)  # list[CohortRow]

    @property
    def scope(self) -> str:
        if self.store_id is not None:
            return "store"
        if self.partner_id is not None:
            return "partner"
        return "program"

    def as_json(self) -> dict:
        """A JSON-ready dict: Decimals as strings, dates in ISO format."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "scope": self.scope,
            "partner_id": self.partner_id,
            "store_id": self.store_id,
            "figures": {key: _json_value(value) for key, value in self.figures.items()},
            "daily": [_json_row(row) for row in self.daily],
            "expiry_forecast": [_json_row(row) for row in self.expiry_forecast],
            "expiry_forecast_as_of": _json_value(self.expiry_forecast_as_of),
            "tier_distribution": [_json_row(row) for row in self.tier_distribution],
            "tier_movements": [_json_row(row) for row in self.tier_movements],
            "top_campaigns": [_json_row(row) for row in self.top_campaigns],
            "cohorts": [_json_row(row) for row in self.cohorts],
        }
