"""Opening accounts and staff adjustments of points."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from customers.models import Member
from loyalty.defaults import ensure_defaults
from loyalty.errors import InsufficientPoints, InvalidInput
from loyalty.models import Account, LedgerEntry, PointLot, Program, Tier, TierChange
from loyalty.models.ledger import MEMBER_TEXT_LENGTH
from loyalty.services.ledger import LedgerTransaction, lock_account
from loyalty.services.program import get_program, get_tiers

MAX_ADJUSTMENT = 10_000_000


def entry_tier() -> Tier:
    """The lowest active tier, where every member starts."""
    tiers = get_tiers()
    if not tiers:
        ensure_defaults(Program, Tier)
        tiers = list(Tier.objects.filter(is_active=True).order_by("min_spend"))
    return tiers[0]


def open_account(*, member: Member, now: dt.datetime) -> Account:
    """Open the member's points account at the entry tier."""
    tier = entry_tier()
    account = Account.objects.create(
        member=member, tier=tier, tier_since=now, created_at=now, updated_at=now
    )
    TierChange.objects.create(
        account=account, to_tier=tier, reason=TierChange.Reason.ENROLL, created_at=now
    )
    return account


def adjust_points(
    *,
    member_id: int,
    points: int,
    reason: str,
    staff,
    now: dt.datetime,
    member_text: str = "",
) -> list[LedgerEntry]:
    """A staff member adds or removes points by hand, with a reason that is kept in the ledger
    for staff only and, optionally, a text the member is shown instead of a neutral label.

    Added points are available at once and live the program's lifetime; removed points come out
    of the earliest-expiring lots and can never take the balance below zero.
    """
    reason, points, member_text = check_adjustment(
        points=points, reason=reason, member_text=member_text
    )
    with transaction.atomic(durable=True):
        return apply_adjustment(
            member_id=member_id,
            points=points,
            reason=reason,
            staff=staff,
            now=now,
            member_text=member_text,
        ).entries


def check_adjustment(*, points, reason: str, member_text: str = "") -> tuple[str, int, str]:
    """A manual adjustment needs a reason and a whole, non-zero number of points (within
    MAX_ADJUSTMENT either way); its text for the member is optional and at most
    MEMBER_TEXT_LENGTH characters. Returns the cleaned reason, points and text."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("A reason is required."), fields={"reason": [str(_("A reason is required."))]}
        )
    member_text = " ".join((member_text or "").split())
    if len(member_text) > MEMBER_TEXT_LENGTH:
        message = _("The text for the member is longer than %(n)d characters.") % {
            "n": MEMBER_TEXT_LENGTH
        }
        raise InvalidInput(message, fields={"member_text": [str(message)]})
    if (
        not isinstance(points, int)
        or isinstance(points, bool)
        or points == 0
        or abs(points) > MAX_ADJUSTMENT
    ):
        raise InvalidInput(
            _("Enter a whole, non-zero number of points."),
            fields={"points": [str(_("Enter a whole, non-zero number of points."))]},
        )
    return reason, points, member_text


@dataclass(frozen=True)
class Adjusted:
    """What one adjustment wrote: its entries and the balance before and after it."""

    entries: list[LedgerEntry]
    balance_before: int
    balance_after: int


def apply_adjustment(
    *, member_id: int, points: int, reason: str, staff, now: dt.datetime, member_text: str = ""
) -> Adjusted:
    """adjust_points' move, inside the caller's transaction (which records what it wrote, e.g.
    an approved AdjustmentRequest): lock the account, add or remove the points."""
    account = lock_account(member_id)
    ledger = LedgerTransaction(
        account,
        program=get_program(),
        now=now,
        require_active=False,
        staff=staff,
        reason=reason[:500],
        member_text=member_text,
    )
    before = account.balance  # after settling what was due: the adjustment alone moves it
    if points > 0:
        ledger.add(points, LedgerEntry.Kind.ADJUST, source=PointLot.Source.ADJUST, available_at=now)
    else:
        wanted = -points
        if ledger.spendable_points() < wanted:
            raise InsufficientPoints()
        ledger.spend(wanted, LedgerEntry.Kind.ADJUST)
    ledger.flush()
    return Adjusted(ledger.entries, before, ledger.account.balance)
