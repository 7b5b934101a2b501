"""Tiers: qualification by spend, immediate upgrades, periodic reviews with a grace period, pins.

Qualifying spend is the money paid (not points) for purchases made in the window (the last
`tier_window_months` months from midnight in the program zone, or all time when 0), less what
was refunded of them. A purchase that lifts the spend over a threshold upgrades at once; a
downgrade happens only at a review, once the spend has been below the current tier's threshold
for `tier_grace_days` since a review first found it so. A pinned tier is a floor.
"""

import datetime as dt
import functools
import itertools
import operator
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from loyalty.errors import InvalidInput, TierConfigInvalid
from loyalty.models import Account, Program, Purchase, Tier, TierChange
from loyalty.money import add_months
from loyalty.services.ledger import lock_account
from loyalty.services.program import get_program, get_tier, get_tiers, program_zone
from loyalty.store.reads import NET_PAID_TERMS, qualifying_spend_total

ZERO = Decimal("0.00")

# Money paid for a purchase, less the money given back on its refunds (the store's terms).
NET_PAID = functools.reduce(
    operator.add, (F(name) if sign > 0 else -F(name) for name, sign in NET_PAID_TERMS)
)
QUALIFYING = Coalesce(
    Sum(NET_PAID),
    Value(ZERO),
    output_field=DecimalField(max_digits=16, decimal_places=2),
)


def window_start(program: Program, now: dt.datetime) -> dt.datetime | None:
    """Start of the qualification window (None for lifetime), at midnight in the program zone."""
    if program.tier_window_months == 0:
        return None
    zone = program_zone(program)
    start = add_months(now.astimezone(zone).date(), -program.tier_window_months)
    return dt.datetime.combine(start, dt.time.min, tzinfo=zone)


def qualifying_purchases(program: Program, now: dt.datetime):
    """Purchases that count towards the tier as of `now` (all members)."""
    start = window_start(program, now)
    qs = Purchase.objects.all()
    return qs.filter(occurred_at__gte=start) if start else qs


def spend_value(total) -> Decimal:
    """The spend as qualifying_spend() returns it, from a SUM of net paid (None: no purchase)."""
    return Decimal(total).quantize(Decimal("0.01")) if total is not None else ZERO


def qualifying_spend(member_id: int, *, now: dt.datetime, program: Program | None = None):
    """Money paid (not points) in the window, less what was refunded of it."""
    program = program or get_program()
    start = window_start(program, now)
    # One prepared statement (the ledger store's): this runs on a purchase of every member whose
    # all-time spend passed the next threshold, where the ORM's compilation of the aggregate
    # cost more than the query itself. Same rule as qualifying_purchases().
    return spend_value(qualifying_spend_total(member_id, start))


def tier_for_spend(spend: Decimal, tiers: Sequence[Tier] | None = None) -> Tier:
    """The highest tier whose threshold the spend reaches (tiers lowest first)."""
    tiers = tiers or get_tiers()
    best = tiers[0]
    for tier in tiers:
        if spend >= tier.min_spend:
            best = tier
    return best


def _record_change(account: Account, to_tier: Tier, reason: str, now, **extra) -> TierChange:
    change = TierChange(
        account=account,
        from_tier_id=account.tier_id,
        to_tier=to_tier,
        reason=reason,
        created_at=now,
        **extra,
    )
    account.tier = to_tier
    account.tier_since = now
    account.below_tier_since = None
    return change


def upgrade_if_qualified(
    account: Account,
    *,
    program: Program,
    now: dt.datetime,
    unsaved_purchase: Purchase | None = None,
) -> Tier | None:
    """Inside a purchase: move the (locked) account up at once if its spend reached a higher tier.

    Called after the purchase's own points were earned, so they stay at the old rate. A spend
    back at the current threshold also ends a running grace period. The caller saves the
    account; the change record is written here. `unsaved_purchase`, not yet in the database,
    counts towards the spend if it falls in the window.
    """
    tiers = get_tiers()
    current = get_tier(account.tier_id)
    higher = [t.min_spend for t in tiers if t.min_spend > current.min_spend]
    if account.below_tier_since is None and (not higher or account.lifetime_spend < min(higher)):
        # At the top, or even the all-time spend is short of the next threshold: the window's
        # spend (never more than the all-time one) cannot be enough either.
        return None
    spend = qualifying_spend(account.member_id, now=now, program=program)
    if unsaved_purchase is not None:
        start = window_start(program, now)
        if start is None or unsaved_purchase.occurred_at >= start:
            spend += unsaved_purchase.total - unsaved_purchase.discount
    target = tier_for_spend(spend, tiers)
    if target.min_spend > current.min_spend:
        _record_change(
            account, target, TierChange.Reason.UPGRADE, now, qualifying_spend=spend
        ).save()
        return target
    if spend >= current.min_spend:
        account.below_tier_since = None
    return None


def review_target(
    *,
    current: Tier,
    pinned: Tier | None,
    qualified: Tier,
    below_since: dt.datetime | None,
    program: Program,
    tiers: Sequence[Tier],
    now: dt.datetime,
) -> tuple[Tier, dt.datetime | None]:
    """The tier a member should hold after a review, and since when their spend is below it.

    A spend at or above the current tier keeps it (or raises it). A spend below it starts the
    grace period at this review; a later review after the grace period lowers the tier: one
    tier per grace period (`one_down`, never below the qualified tier) or straight to the
    qualified tier (`to_qualified`); `none` never lowers it. A pinned tier is a floor.
    """
    floor = pinned if pinned is not None else tiers[0]

    def at_least_floor(tier: Tier) -> Tier:
        return floor if floor.min_spend > tier.min_spend else tier

    if qualified.min_spend >= current.min_spend:
        return at_least_floor(qualified), None
    if (
        program.tier_downgrade_policy == Program.DowngradePolicy.NONE
        or floor.min_spend >= current.min_spend
    ):
        return current, None
    grace = dt.timedelta(days=program.tier_grace_days)
    # The grace period counts from the review that first found the spend below; a strictly
    # earlier review is needed, so two reviews at the same moment never lower a tier twice.
    if below_since is None or below_since >= now or now - below_since < grace:
        return current, below_since or now
    if program.tier_downgrade_policy == Program.DowngradePolicy.ONE_DOWN:
        lower = [t for t in tiers if t.min_spend < current.min_spend]
        target = max(lower[-1], qualified, key=lambda t: t.min_spend)
    else:
        target = qualified
    target = at_least_floor(target)
    # Still above the qualified tier (one_down): the next step down waits a new grace period.
    return target, (now if target.min_spend > qualified.min_spend else None)


def pin_tier(
    *, member_id: int, tier: Tier | None, reason: str, staff, now: dt.datetime
) -> TierChange:
    """A marketer pins a member to a tier (a floor they never drop below), or removes the pin
    (`tier=None`). A pin above the current tier raises it at once. Every pin is recorded with
    its reason and the staff user."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("A reason is required."), fields={"reason": [_("A reason is required.")]}
        )
    if tier is not None and not tier.is_active:
        raise InvalidInput(
            _("Only an active tier can be pinned."),
            fields={"tier": [_("Only an active tier can be pinned.")]},
        )
    with transaction.atomic(durable=True):
        account = lock_account(member_id)
        current = get_tier(account.tier_id)
        account.pinned_tier = tier
        if tier is not None and tier.min_spend > current.min_spend:
            change = _record_change(account, tier, TierChange.Reason.PIN, now, staff=staff)
        else:
            change = TierChange(
                account=account,
                from_tier=current,
                to_tier=current,
                reason=TierChange.Reason.PIN if tier else TierChange.Reason.UNPIN,
                staff=staff,
                created_at=now,
            )
            if tier is not None and tier.min_spend >= current.min_spend:
                account.below_tier_since = None  # the floor holds: no grace period runs
        change.note = reason
        change.save()
        account.updated_at = now
        account.save(
            update_fields=["pinned_tier", "tier", "tier_since", "below_tier_since", "updated_at"]
        )
    return change


def _rubles(amount: Decimal) -> str:
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return text.replace(",", " ")


def validate_tier_config(tiers: Sequence[tuple[str, Decimal | None, Decimal | None]]) -> None:
    """Check the active tiers, given lowest first as (name, min_spend, rubles_per_point): one
    tier starts at 0 ₽, thresholds strictly increase in the given order, no two share one, and
    every rate is above 0 ₽ per point.

    Raises TierConfigInvalid listing every problem: `detail` is all messages, one per line;
    `extra["messages"]` the list; `fields` maps "<position>.min_spend" and
    "<position>.rubles_per_point" (position in the given sequence) to that row's messages.
    """
    problems: list[tuple[int | None, str, str]] = []

    def problem(position: int | None, field: str, message: str) -> None:
        problems.append((position, field, message))

    if not tiers:
        problem(None, "", _("At least one active tier is needed."))
    for i, (name, spend, rate) in enumerate(tiers):
        if spend is None:
            problem(i, "min_spend", _("Enter the qualifying spend of “%(name)s”.") % {"name": name})
        elif spend < 0:
            problem(
                i,
                "min_spend",
                _("The qualifying spend of “%(name)s” cannot be below 0 ₽.") % {"name": name},
            )
        if rate is None or rate <= 0:
            problem(
                i,
                "rubles_per_point",
                _("The earn rate of “%(name)s” must be above 0 ₽ per point.") % {"name": name},
            )
    known = [(i, name, spend) for i, (name, spend, _rate) in enumerate(tiers) if spend is not None]
    if known:
        lowest = min(known, key=lambda row: row[2])
        if lowest[2] > 0:
            problem(
                lowest[0],
                "min_spend",
                _(
                    "No tier starts at 0 ₽: the lowest, “%(name)s”, starts at %(spend)s ₽. "
                    "New members need a tier to start in."
                )
                % {"name": lowest[1], "spend": _rubles(lowest[2])},
            )
    first_at: dict[Decimal, str] = {}
    for i, name, spend in known:
        if spend in first_at:
            problem(
                i,
                "min_spend",
                _("“%(a)s” and “%(b)s” both start at %(spend)s ₽: thresholds must not overlap.")
                % {"a": first_at[spend], "b": name, "spend": _rubles(spend)},
            )
        else:
            first_at[spend] = name
    for (_i, name_a, spend_a), (i, name_b, spend_b) in itertools.pairwise(known):
        if spend_b < spend_a:
            problem(
                i,
                "min_spend",
                _(
                    "Thresholds must increase from tier to tier: “%(b)s” (%(spend_b)s ₽) "
                    "comes after “%(a)s” (%(spend_a)s ₽)."
                )
                % {
                    "a": name_a,
                    "b": name_b,
                    "spend_a": _rubles(spend_a),
                    "spend_b": _rubles(spend_b),
                },
            )
    if problems:
        fields: dict[str, list[str]] = defaultdict(list)
        for position, field, message in problems:
            if position is not None:
                fields[f"{position}.{field}"].append(message)
        messages = [message for _p, _f, message in problems]
        raise TierConfigInvalid("\n".join(messages), fields=dict(fields), messages=messages)
