"""Which campaigns give what on one check: a pure function of the running campaigns, the check,
the member and the moment — no database (the callers read and write; checkout.py).

Rules, in order:
1. A campaign takes part when it runs at that moment (or opens early for the member's tier),
   its conditions hold, and its effect gives at least one point.
2. A member in the campaign's holdout group gets nothing from it (recorded as held out), as if
   the campaign did not exist: another campaign of its group may then win.
3. Campaigns blocked by a limit (budget, uses, the member's own limit) lose with that reason.
4. An exclusive campaign that takes part stops every other (the best exclusive one wins).
   Otherwise, inside a stacking group the best bonus wins; bonuses of different groups add up.
   "Best": more points, then higher priority, then the older campaign.
5. The program's cap on bonus points per check trims the winners, smallest first.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from campaigns.conditions import Facts, Line, compile_tree, line_matches
from campaigns.models import Campaign

Kind = Campaign.Kind
Effect = Campaign.Effect
_PURCHASE_KINDS = frozenset(str(kind) for kind in Campaign.PURCHASE_KINDS)
_ACTIVE = str(Campaign.State.ACTIVE)
_FIRST_PURCHASE = str(Kind.FIRST_PURCHASE)


@dataclass(frozen=True)
class EarnLine(Line):
    """A check line with the part of it paid with points."""

    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class Basis:
    """What the program's own earn rule gave on this check, for effects that scale it."""

    earn_points: int
    rubles_per_point: Decimal
    earn_on_redeemed: bool
    earns: bool  # the check reached the program's minimum for earning


class Reason:
    """Why a campaign that took part gave nothing (stable codes for the API)."""

    HELD_OUT = "held_out"
    GROUP = "group"
    EXCLUSIVE = "exclusive"
    CAP = "cap"
    BUDGET = "budget"
    MEMBER_LIMIT = "member_limit"

    @staticmethod
    def text(code: str) -> str:
        return {
            Reason.HELD_OUT: _("the member is in the campaign's control group"),
            Reason.GROUP: _("another campaign of its group gives more"),
            Reason.EXCLUSIVE: _("an exclusive campaign applies"),
            Reason.CAP: _("the cap on bonus points per check is reached"),
            Reason.BUDGET: _("the campaign's budget or number of uses is spent"),
            Reason.MEMBER_LIMIT: _("the member's limit for this campaign is reached"),
        }[code]


@dataclass
class Bonus:
    campaign: Campaign
    points: int
    keep_from: Decimal | None = None  # a step: taken back whole if the check falls below


@dataclass
class Lost:
    campaign: Campaign
    reason: str
    points: int  # what it would have given

    @property
    def reason_text(self) -> str:
        return Reason.text(self.reason)


@dataclass
class Outcome:
    applied: list[Bonus] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    held_out: list[Campaign] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(bonus.points for bonus in self.applied)


def held_out(scope: str, member_id: int, percent: int) -> bool:
    """Stable per member and scope (a campaign, a trigger): the same member is always in or out
    of that scope's holdout of `percent` %."""
    if not percent:
        return False
    digest = hashlib.sha256(f"holdout:{scope}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def in_holdout(member_id: int, campaign: Campaign) -> bool:
    """A campaign's holdout: the member gets none of its points (and is recorded as held out)."""
    return held_out(str(campaign.pk), member_id, campaign.holdout_percent)


def is_open(campaign: Campaign, now: dt.datetime, tier_id: int | None) -> bool:
    """Running at `now` (active, started, not ended), or open early for the member's tier."""
    if campaign.state != _ACTIVE:
        return False
    ends, starts = campaign.ends_at, campaign.starts_at
    if ends is not None and ends <= now:
        return False
    if starts is None or starts <= now:
        return True
    if not campaign.early_access_days:
        return False
    opens = starts - dt.timedelta(days=campaign.early_access_days)
    return now >= opens and tier_id in early_tier_ids(campaign)


def early_tier_ids(campaign: Campaign) -> frozenset[int]:
    """The tiers with early access (cached on the instance by cache.py; read otherwise)."""
    cached = getattr(campaign, "early_tier_ids", None)
    if cached is None:
        cached = frozenset(campaign.early_access_tiers.values_list("pk", flat=True))
    return cached


def _floor(value: Decimal) -> int:
    return max(0, int(value.to_integral_value(rounding=ROUND_DOWN)))


def plan(campaign: Campaign):
    """What evaluation needs of a campaign, parsed once: its conditions as a predicate and its
    line filter as sets (kept on the instance; cache.py's instances live as long as they are
    unchanged)."""
    cached = getattr(campaign, "_plan", None)
    if cached is None:
        spec = campaign.lines or {}
        skus, categories = spec.get("skus"), spec.get("categories")
        cached = (
            compile_tree(campaign.conditions),
            frozenset(skus) if skus is not None else None,
            frozenset(categories) if categories is not None else None,
            frozenset(spec.get("exclude_skus") or ()),
            frozenset(spec.get("exclude_categories") or ()),
        )
        campaign._plan = cached
    return cached


def _counted_lines(campaign: Campaign, lines) -> list[EarnLine]:
    _predicate, skus, categories, out_skus, out_categories = plan(campaign)
    return [
        line
        for line in lines
        if line_matches(line, skus, categories)
        and line.sku not in out_skus
        and line.category not in out_categories
    ]


def effect_points(campaign: Campaign, lines, basis: Basis) -> tuple[int, Decimal | None]:
    """The points a campaign's effect gives on these check lines, and for a step the check
    amount it needs to keep them."""
    counted = _counted_lines(campaign, lines)
    if not counted:
        return 0, None
    amount = sum((line.amount for line in counted), Decimal(0))
    if campaign.kind == Kind.STEPS:
        reached = [step for step in campaign.steps if amount >= Decimal(str(step["from"]))]
        if not reached:
            return 0, None
        step = reached[-1]
        points = step["points"]
        keep_from = Decimal(str(step["from"]))
    else:
        keep_from = None
        paid = sum(
            (line.amount - (0 if basis.earn_on_redeemed else line.discount) for line in counted),
            Decimal(0),
        )
        if campaign.lines:
            base_points = _floor(paid / basis.rubles_per_point) if basis.earns else 0
        else:
            base_points = basis.earn_points
        value = campaign.value
        if campaign.effect == Effect.MULTIPLIER:
            points = _floor(base_points * (value - 1))
        elif campaign.effect == Effect.PERCENT:
            points = _floor(base_points * value / 100)
        elif campaign.effect == Effect.FIXED:
            points = int(value)
        else:
            points = _floor(paid / campaign.per_amount) * int(value)
    if campaign.max_points_per_check is not None:
        points = min(points, campaign.max_points_per_check)
    return points, keep_from


def _rank(bonus: Bonus):
    return (-bonus.points, -bonus.campaign.priority, bonus.campaign.pk)


def evaluate(
    campaigns,
    *,
    facts: Facts,
    lines,
    basis: Basis,
    member_id: int,
    tier_id: int | None,
    now: dt.datetime,
    blocked: dict[int, str] | None = None,
    cap: int | None = None,
) -> Outcome:
    """The bonuses of one check (see the module's rules). `campaigns`: the running purchase
    campaigns (cache.py); `lines`: EarnLines; `blocked`: campaign id → Reason code."""
    blocked = blocked or {}
    outcome = Outcome()
    taking_part: list[Bonus] = []
    for campaign in campaigns:
        kind = campaign.kind
        if kind not in _PURCHASE_KINDS or not is_open(campaign, now, tier_id):
            continue
        if kind == _FIRST_PURCHASE and not facts.first_purchase:
            continue
        if not plan(campaign)[0](facts):
            continue
        points, keep_from = effect_points(campaign, lines, basis)
        if points <= 0:
            continue
        if in_holdout(member_id, campaign):
            outcome.held_out.append(campaign)
            outcome.lost.append(Lost(campaign, Reason.HELD_OUT, points))
        elif campaign.pk in blocked:
            outcome.lost.append(Lost(campaign, blocked[campaign.pk], points))
        else:
            taking_part.append(Bonus(campaign, points, keep_from))
    taking_part.sort(key=_rank)
    exclusive = [bonus for bonus in taking_part if bonus.campaign.exclusive]
    if exclusive:
        winners = [exclusive[0]]
        outcome.lost += [
            Lost(b.campaign, Reason.EXCLUSIVE, b.points) for b in taking_part if b is not winners[0]
        ]
    else:
        winners, groups = [], set()
        for bonus in taking_part:
            if bonus.campaign.stacking_group in groups:
                outcome.lost.append(Lost(bonus.campaign, Reason.GROUP, bonus.points))
            else:
                groups.add(bonus.campaign.stacking_group)
                winners.append(bonus)
    if cap is not None:
        room = cap
        for bonus in winners:
            if bonus.points > room:
                if room == 0:
                    outcome.lost.append(Lost(bonus.campaign, Reason.CAP, bonus.points))
                bonus.points = room
            room -= bonus.points
        winners = [bonus for bonus in winners if bonus.points > 0]
    outcome.applied = winners
    return outcome
