"""Bonuses handed to a purchase by whoever records it (the campaigns, which sit above the ledger).

The ledger never asks for bonuses: `record_purchase(bonuses=policy)` and `quote_purchase(…)`
call the policy, inside the purchase's transaction and under its account lock, with the
`PurchaseFacts` of the check; the policy answers with the `Bonus`es to credit. Each bonus
becomes a lot of its own (with its own life and activation delay when given), a ledger entry of
kind "bonus" and a `PurchaseBonus` row that a refund reads to take it back.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db import transaction

from loyalty.models import Account, LedgerEntry, Partner, PointLot, Program, Purchase, Store, Tier
from loyalty.services.checks import CheckLine
from loyalty.services.ledger import LedgerTransaction, lock_account
from loyalty.services.program import end_of_day, get_program, program_zone


@dataclass(frozen=True)
class PurchaseFacts:
    """A check as a bonus policy sees it, with what the program's own rules made of it."""

    account: Account  # with .member; the account row is locked while recording
    tier: Tier
    program: Program
    partner: Partner | None
    store: Store | None
    channel: str
    lines: list[CheckLine]
    discounts: list[Decimal]  # per line: the part paid with points
    total: Decimal
    discount: Decimal
    earn_points: int
    earns: bool  # the check reached the program's minimum for earning
    occurred_at: dt.datetime
    now: dt.datetime
    first_purchase: bool


@dataclass(frozen=True)
class Bonus:
    """Points to credit on top of what the check earned."""

    points: int
    campaign_id: int
    label: str
    keep_from: Decimal | None = None  # kept only while the check (less refunds) is at least this
    lifetime_days: int | None = None  # None: the program's points lifetime
    activation_delay_days: int | None = None  # None: the program's delay


@dataclass(frozen=True)
class Credited:
    """A bonus as written: its ledger entry (and lot, unless it all repaid a debt)."""

    bonus: Bonus
    entry_id: int
    lot_id: int | None


class BonusPolicy(Protocol):
    def bonuses(self, facts: PurchaseFacts) -> list[Bonus]:
        """The bonuses of the check being recorded (may reserve budgets: same transaction)."""

    def companions(self, facts: PurchaseFacts, purchase: Purchase, handed: list) -> list:
        """Unsaved rows of the policy's own to write with the purchase, in its one statement:
        they may point at the unsaved `purchase` and at the new lot of a bonus. `handed`: the
        credited bonuses as (Bonus, its LedgerEntry, its PointLot or None), unsaved."""

    def recorded(self, facts: PurchaseFacts, purchase: Purchase, credited: list[Credited]) -> None:
        """The purchase and its bonuses are written (same transaction, not yet committed)."""

    def preview(self, facts: PurchaseFacts) -> tuple[int, list]:
        """For a quote: the bonus points the check would get, and what to show about them."""


def bonus_expiry(program: Program, now: dt.datetime, lifetime_days: int | None):
    """A bonus with its own life expires at the end of its last day (program zone); None: the
    program's points lifetime applies."""
    if lifetime_days is None:
        return None
    last_day = (now.astimezone(program_zone(program)) + dt.timedelta(days=lifetime_days)).date()
    return end_of_day(program, last_day)


def bonus_available_at(now: dt.datetime, activation_delay_days: int | None):
    if activation_delay_days is None:
        return None
    return now + dt.timedelta(days=activation_delay_days)


def credit_bonus(
    *,
    member_id: int,
    bonus: Bonus,
    now: dt.datetime,
    before: Callable[[Account], bool] | None = None,
    after: Callable[[Account, Credited | None], None] | None = None,
) -> Credited | None:
    """Credit a bonus that comes with no purchase (joining, a birthday, a challenge done) in one
    transaction under the account lock. `before(account)` runs first under the lock and may
    decline (False: nothing is credited, e.g. a budget spent or a bonus already given);
    `after(account, credited)` runs after the write, in the same transaction (records of the
    giver). A blocked or closed member gets nothing (MemberBlocked)."""
    with transaction.atomic(durable=True):
        account = lock_account(member_id)
        program = get_program()
        ledger = LedgerTransaction(account, program=program, now=now, reason=bonus.label[:500])
        if before is not None and not before(account):
            if after is not None:
                after(account, None)
            return None
        credited = None
        if bonus.points > 0:
            lot = ledger.add(
                bonus.points,
                LedgerEntry.Kind.BONUS,
                source=PointLot.Source.BONUS,
                available_at=bonus_available_at(now, bonus.activation_delay_days),
                expires_at=bonus_expiry(program, now, bonus.lifetime_days),
            )
            entry = ledger.entries[-1]
        ledger.flush()
        if bonus.points > 0:
            credited = Credited(
                bonus=bonus, entry_id=entry.pk, lot_id=lot.pk if lot is not None else None
            )
        if after is not None:
            after(account, credited)
        return credited
