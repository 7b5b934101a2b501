"""Tiers: qualification by spend, immediate upgrades, periodic reviews with a grace period, pins."""

import datetime as dt
import itertools
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

ZERO = Decimal("0.00")

QUALIFYING = Coalesce(
    Sum(F("total") - F("discount") - F("refunded_total") + F("refunded_discount")),
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
    start = window_start(program, now)
    qs = Purchase.objects.all()
    return qs.filter(occurred_at__gte=start) if start else qs


def qualifying_spend(member_id: int, *, now: dt.datetime, program: Program | None = None):
    """Money paid (not points) in the window, less what was refunded of it."""
    program = program or get_program()
    return (
        qualifying_purchases(program, now).filter(member_id=member_id).aggregate(s=QUALIFYING)["s"]
    )


def tier_for_spend(spend: Decimal, tiers: Sequence[Tier] | None = None) -> Tier:
    """The highest tier whose threshold the spend reaches."""
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


def upgrade_if_qualified(account: Account, *, program: Program, now: dt.datetime) -> Tier | None:
    """Inside a purchase: move the (locked) account up at once if its spend reached a higher tier.

    The caller saves the account; the change record is written here.
    """
    tiers = get_tiers()
    current = get_tier(account.tier_id)
    if not any(t.min_spend > current.min_spend for t in tiers):
        return None
    spend = qualifying_spend(account.member_id, now=now, program=program)
    target = tier_for_spend(spend, tiers)
    if target.min_spend > current.min_spend:
        _record_change(
            account, target, TierChange.Reason.UPGRADE, now, qualifying_spend=spend
        ).save()
        return target
    if spend >= current.min_spend and account.below_tier_since is not None:
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
    """The tier a member should hold after a review, and since when they are below it.

    Upgrades apply at once; a downgrade waits until the spend has been below the current tier
    for the grace period, then goes one tier down or to the qualified tier as the policy says.
    A pinned tier is a floor.
    """
    floor = pinned if pinned is not None else tiers[0]
    if qualified.min_spend >= current.min_spend:
        target, below = qualified, None
    elif program.tier_downgrade_policy == Program.DowngradePolicy.NONE:
        target, below = current, None
    else:
        below = below_since or now
        if now - below < dt.timedelta(days=program.tier_grace_days):
            target = current
        elif program.tier_downgrade_policy == Program.DowngradePolicy.ONE_DOWN:
            lower = [t for t in tiers if t.min_spend < current.min_spend]
            target = max(lower[-1], qualified, key=lambda t: t.min_spend) if lower else current
        else:
            target = qualified
        if target.pk != current.pk:
            below = None if target.min_spend <= qualified.min_spend else now
    if floor.min_spend > target.min_spend:
        target, below = floor, None
    return target, below


def review_tiers(*, now: dt.datetime, batch_size: int = 5000) -> dict[str, int]:
    """Recompute every member's qualifying spend and apply upgrades and due downgrades.

    Works in batches of accounts with constant memory; running it twice changes nothing more.
    """
    program = get_program()
    tiers = get_tiers()
    by_id = {t.pk: t for t in tiers}
    start = window_start(program, now)
    stats = {"accounts": 0, "upgraded": 0, "downgraded": 0, "grace_started": 0}
    last = 0
    while True:
        with transaction.atomic(durable=True):
            batch = list(
                Account.objects.select_for_update(no_key=True)
                .filter(member_id__gt=last)
                .order_by("member_id")
                .only("member_id", "tier_id", "pinned_tier_id", "below_tier_since")[:batch_size]
            )
            if not batch:
                break
            last = batch[-1].member_id
            purchases = Purchase.objects.filter(
                member_id__gte=batch[0].member_id, member_id__lte=last
            )
            if start:
                purchases = purchases.filter(occurred_at__gte=start)
            spend = dict(
                purchases.values("member_id").annotate(s=QUALIFYING).values_list("member_id", "s")
            )
            changed, changes = [], []
            for account in batch:
                current = by_id.get(account.tier_id) or Tier.objects.get(pk=account.tier_id)
                qualified = tier_for_spend(spend.get(account.member_id, ZERO), tiers)
                pinned = by_id.get(account.pinned_tier_id) if account.pinned_tier_id else None
                target, below = review_target(
                    current=current,
                    pinned=pinned,
                    qualified=qualified,
                    below_since=account.below_tier_since,
                    program=program,
                    tiers=tiers,
                    now=now,
                )
                if target.pk != current.pk:
                    key = "upgraded" if target.min_spend > current.min_spend else "downgraded"
                    stats[key] += 1
                    changes.append(
                        _record_change(
                            account,
                            target,
                            TierChange.Reason.REVIEW,
                            now,
                            qualifying_spend=spend.get(account.member_id, ZERO),
                        )
                    )
                    account.below_tier_since = below
                    changed.append(account)
                elif below != account.below_tier_since:
                    stats["grace_started"] += below is not None
                    account.below_tier_since = below
                    changed.append(account)
            if changed:
                Account.objects.bulk_update(changed, ["tier", "tier_since", "below_tier_since"])
            if changes:
                TierChange.objects.bulk_create(changes)
            stats["accounts"] += len(batch)
    return stats


def pin_tier(*, member_id: int, tier: Tier | None, reason: str, staff, now: dt.datetime) -> None:
    """A marketer pins a member to a tier (a floor they never drop below), or removes the pin."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("A reason is required."), fields={"reason": [_("A reason is required.")]}
        )
    with transaction.atomic(durable=True):
        account = lock_account(member_id)
        account.pinned_tier = tier
        current = get_tier(account.tier_id)
        if tier is not None and tier.min_spend > current.min_spend:
            _record_change(
                account, tier, TierChange.Reason.PIN, now, staff=staff, note=reason
            ).save()
        else:
            TierChange.objects.create(
                account=account,
                from_tier=current,
                to_tier=current,
                reason=TierChange.Reason.PIN if tier else TierChange.Reason.UNPIN,
                staff=staff,
                note=reason,
                created_at=now,
            )
        account.updated_at = now
        account.save(
            update_fields=["pinned_tier", "tier", "tier_since", "below_tier_since", "updated_at"]
        )


def validate_tier_config(tiers: Sequence[tuple[str, Decimal, Decimal]]) -> None:
    """Active tiers as (name, min_spend, rubles_per_point): thresholds strictly increasing from 0,
    every rate above zero."""
    if not tiers:
        raise TierConfigInvalid(_("At least one active tier is needed."))
    ordered = sorted(tiers, key=lambda t: t[1])
    if ordered[0][1] != 0:
        raise TierConfigInvalid(_("The lowest tier must start at 0 ₽."))
    for (name_a, spend_a, _rate), (name_b, spend_b, _rate2) in itertools.pairwise(ordered):
        if spend_a == spend_b:
            raise TierConfigInvalid(
                _("Tiers “%(a)s” and “%(b)s” have the same threshold.") % {"a": name_a, "b": name_b}
            )
    for name, _spend, rate in ordered:
        if rate is None or rate <= 0:
            raise TierConfigInvalid(
                _("The earn rate of “%(name)s” must be above zero.") % {"name": name}
            )
