"""Achievements and challenges: a bonus for a habit, given once when the member completes it.

A challenge is a campaign of kind "challenge"; its `params.goal` says what to collect:
- "visits": `count` purchases within `window_days` of each other (a rolling window; without
  `window_days`, over the whole challenge);
- "categories": `count` different categories bought within `window_days` (or the whole challenge);
- "weekly": a purchase in each of `weeks` consecutive ISO weeks (the program's time zone).
Defaults: 5 visits, 3 categories, 4 weeks.

Only the purchases the campaign's conditions accept count (a store, a minimum check, a tier at
the time of the purchase…), made while the challenge runs (from `starts_at`, at most
LOOKBACK_DAYS back; until `ends_at`). A refunded purchase counts with what was kept: wholly
refunded, not at all; a refunded line's category no more.

Progress is a pure function of the member's purchases: it is computed again after every purchase
(`purchase_recorded`, run after the purchase commits) and stored as `ChallengeProgress`, and the
cabinet computes it live — so a refund or a missed update never leaves it wrong for long.
Completion is once per campaign and member: the bonus (the campaign's fixed value) is granted
with the occasion "challenge" through campaigns.grants (budget, member limits, holdout); a bonus
already given is not taken back by a later refund.
"""

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from campaigns import engine
from campaigns.cache import live_campaigns
from campaigns.conditions import Facts, Line, holds, leaves_of, membership_days
from campaigns.models import Award, Campaign, ChallengeProgress
from loyalty.models import Account, Purchase, PurchaseLine
from loyalty.services.program import get_program, get_tier, program_zone

log = logging.getLogger(__name__)

OCCASION = "challenge"
LOOKBACK_DAYS = 371  # the longest goal: 52 weeks, or a window of 366 days
DEFAULTS = {"visits": 5, "categories": 3, "weekly": 4}


@dataclass(frozen=True)
class Stamp:
    """A purchase that counts for a challenge: when (program time) and what categories."""

    at: dt.datetime
    categories: frozenset[str]


@dataclass(frozen=True)
class Measure:
    """`done` of `target` stamps now; `completed` once the goal was reached in the period."""

    goal: str
    done: int
    target: int
    completed: bool


def target_of(campaign: Campaign) -> int:
    goal = campaign.params.get("goal", "visits")
    key = "weeks" if goal == "weekly" else "count"
    return int(campaign.params.get(key) or DEFAULTS.get(goal, 1))


def _window(campaign: Campaign) -> dt.timedelta | None:
    days = campaign.params.get("window_days")
    return dt.timedelta(days=days) if days else None


def measure(campaign: Campaign, stamps: Iterable[Stamp], now: dt.datetime) -> Measure:
    """Where the member stands in `campaign` at `now`, from the purchases that count."""
    goal = campaign.params.get("goal", "visits")
    target = target_of(campaign)
    stamps = sorted((s for s in stamps if s.at <= now), key=lambda s: s.at)
    window = _window(campaign)
    if goal == "weekly":
        done, best = _weekly(stamps, now)
        completed = best >= target
    elif goal == "categories":
        current = [s for s in stamps if window is None or s.at > now - window]
        done = len(frozenset().union(*(s.categories for s in current)))
        completed = _most_categories(stamps, window) >= target
    else:
        done = sum(1 for s in stamps if window is None or s.at > now - window)
        completed = any(
            window is None or stamps[i + target - 1].at - stamps[i].at < window
            for i in range(len(stamps) - target + 1)
        )
    return Measure(goal, target if completed else min(done, target), target, completed)


def _most_categories(stamps: list[Stamp], window: dt.timedelta | None) -> int:
    """The most distinct categories bought within any `window` (a sliding window: one pass)."""
    counts: Counter[str] = Counter()
    best = first = 0
    for stamp in stamps:
        counts.update(stamp.categories)
        while window is not None and stamp.at - stamps[first].at >= window:
            for category in stamps[first].categories:
                counts[category] -= 1
                if not counts[category]:
                    del counts[category]
            first += 1
        best = max(best, len(counts))
    return best


def _monday(moment: dt.datetime) -> dt.date:
    day = moment.date()
    return day - dt.timedelta(days=day.weekday())


def _weekly(stamps: list[Stamp], now: dt.datetime) -> tuple[int, int]:
    """(the running streak of weeks with a purchase — still alive if this week has none yet —,
    the longest streak)."""
    weeks = sorted({_monday(s.at) for s in stamps})
    best = run = 0
    previous = None
    runs: dict[dt.date, int] = {}
    for monday in weeks:
        run = run + 1 if previous is not None and monday - previous == dt.timedelta(7) else 1
        runs[monday] = run
        best = max(best, run)
        previous = monday
    this_week = _monday(now)
    current = runs.get(this_week) or runs.get(this_week - dt.timedelta(7)) or 0
    return current, best


# --- the purchases that count ---------------------------------------------------------------------
def running_challenges(tier_id: int | None, now: dt.datetime) -> list[Campaign]:
    """The challenges open for a member of this tier at `now` (cached campaigns: no query)."""
    return [
        c
        for c in live_campaigns()
        if c.kind == Campaign.Kind.CHALLENGE and engine.is_open(c, now, tier_id)
    ]


def _period(campaign: Campaign, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The purchases that may still matter: since the challenge started, and no further back
    than its goal looks (its window; its weeks and the current one; else LOOKBACK_DAYS)."""
    goal = campaign.params.get("goal", "visits")
    if goal == "weekly":
        lookback = dt.timedelta(weeks=target_of(campaign) + 1)
    else:
        lookback = _window(campaign) or dt.timedelta(days=LOOKBACK_DAYS)
    start = now - lookback
    if campaign.starts_at is not None:
        start = max(start, campaign.starts_at)
    end = now if campaign.ends_at is None else min(now, campaign.ends_at)
    return start, end


def stamps_by_campaign(
    member, campaigns: list[Campaign], now: dt.datetime
) -> dict[int, list[Stamp]]:
    """For each challenge, the member's purchases that count for it (two queries for all)."""
    if not campaigns:
        return {}
    periods = {c.pk: _period(c, now) for c in campaigns}
    start = min(p[0] for p in periods.values())
    purchases = list(
        Purchase.objects.filter(member=member, occurred_at__gte=start, occurred_at__lte=now)
        .exclude(refunded_total__gte=F("total"))
        .order_by("occurred_at", "id")
        .values_list(
            "pk",
            "occurred_at",
            "total",
            "refunded_total",
            "tier_id",
            "partner_id",
            "store_id",
            "channel",
            named=True,
        )
    )
    lines: dict[int, list[Line]] = {}
    for row in (
        PurchaseLine.objects.filter(purchase__in=[p.pk for p in purchases])
        .values_list(
            "purchase_id",
            "sku",
            "category",
            "quantity",
            "amount",
            "refunded_quantity",
            "refunded_amount",
        )
        .order_by("purchase_id", "position")
    ):
        # What was refunded no longer counts.
        purchase_id, sku, category, quantity, amount, back_quantity, back_amount = row
        if quantity > back_quantity and (amount > back_amount or not amount):
            lines.setdefault(purchase_id, []).append(
                Line(sku, category, quantity - back_quantity, amount - back_amount)
            )
    zone = program_zone(get_program())
    first_id = _first_purchase_id(member, campaigns)
    stamps: dict[int, list[Stamp]] = {c.pk: [] for c in campaigns}
    for purchase in purchases:
        kept = tuple(lines.get(purchase.pk, ()))
        if not kept:
            continue
        facts = Facts(
            local=purchase.occurred_at.astimezone(zone),
            lines=kept,
            total=purchase.total - purchase.refunded_total,
            tier_code=get_tier(purchase.tier_id).code if purchase.tier_id else "",
            member_days=membership_days(member.created_at, purchase.occurred_at),
            birth_date=member.birth_date,
            partner_id=purchase.partner_id,
            store_id=purchase.store_id,
            channel=purchase.channel,
            first_purchase=purchase.pk == first_id,
        )
        stamp = Stamp(facts.local, frozenset(line.category for line in kept if line.category))
        for campaign in campaigns:
            start, end = periods[campaign.pk]
            if start <= purchase.occurred_at <= end and holds(campaign.conditions, facts):
                stamps[campaign.pk].append(stamp)
    return stamps


def _first_purchase_id(member, campaigns: list[Campaign]) -> int | None:
    if not any("first_purchase" in leaves_of(c.conditions) for c in campaigns):
        return None
    first = Purchase.objects.filter(member=member).order_by("occurred_at", "id").first()
    return first.pk if first is not None else None


# --- after a purchase -----------------------------------------------------------------------------
def after_purchase(*, member_id: int, purchase_id: int, tier_id: int | None, now: dt.datetime):
    """Called while a purchase is recorded: when a challenge runs for the member's tier, update
    the member's progress once the purchase commits; otherwise do nothing (no query)."""
    if not running_challenges(tier_id, now):
        return
    transaction.on_commit(
        lambda: purchase_recorded(member_id=member_id, purchase_id=purchase_id, now=now),
        robust=True,
    )


def purchase_recorded(*, member_id: int, purchase_id: int, now: dt.datetime) -> list[Measure]:
    """Recompute the member's progress in every running challenge after a purchase, and grant
    the bonus of each challenge just completed (once). Returns the measures, for tests."""
    account = Account.objects.select_related("member").get(member_id=member_id)
    campaigns = running_challenges(account.tier_id, now)
    if not campaigns:
        return []
    log.debug("challenges after purchase %s of member %s", purchase_id, member_id)
    return update_progress(member=account.member, campaigns=campaigns, now=now)


def update_progress(*, member, campaigns: list[Campaign], now: dt.datetime) -> list[Measure]:
    """Store each challenge's progress for the member and grant the completed ones' bonuses."""
    from campaigns.grants import grant  # grants imports checkout, which calls this module

    rows = {
        row.campaign_id: row
        for row in ChallengeProgress.objects.filter(member=member, campaign__in=campaigns)
    }
    # A completed challenge is done with: its bonus is given, its card says so.
    campaigns = [c for c in campaigns if c.pk not in rows or rows[c.pk].completed_at is None]
    stamps = stamps_by_campaign(member, campaigns, now)
    measures = []
    for campaign in campaigns:
        result = measure(campaign, stamps[campaign.pk], now)
        measures.append(result)
        row = rows.get(campaign.pk)
        if row is None and result.done == 0:
            continue
        if row is None:
            row, _created = ChallengeProgress.objects.get_or_create(
                campaign=campaign,
                member=member,
                defaults={"done": result.done, "target": result.target, "updated_at": now},
            )
        completes = result.completed and row.completed_at is None
        if completes:
            granted = grant(campaign, member_id=member.pk, occasion=OCCASION, now=now)
            if granted.reason not in ("given", "held_out", "already"):
                completes = False  # a spent budget or a limit: tried again on the next purchase
        if (row.done, row.target) != (result.done, result.target) or completes:
            ChallengeProgress.objects.filter(pk=row.pk).update(
                done=result.done,
                target=result.target,
                updated_at=now,
                **({"completed_at": now} if completes else {}),
            )
    return measures


def completed_campaign_ids(member, campaigns: list[Campaign]) -> set[int]:
    """The challenges whose bonus the member already got (or was held out of)."""
    return set(
        Award.objects.filter(member=member, campaign__in=campaigns, occasion=OCCASION).values_list(
            "campaign_id", flat=True
        )
    )
