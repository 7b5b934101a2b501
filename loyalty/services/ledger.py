"""The one write path for points: lock an account, move points between lots, write entries.

Every service that changes points opens a `LedgerTransaction` inside `transaction.atomic()`.
It locks the account row first, then reads the account's live lots (by expiry and id), settles
what is due (burns expired lots, activates pending ones), lets the service spend and add points,
and writes everything in one statement (the purchase, its lines, the touched and new lots, the
entries and the account). All this SQL is the ledger store's (loyalty/store/ledger.py, writes.py).

The account row lock guards its lots too: every writer of lots (this class, and the activation
and burn jobs in schedules.py) locks the owning account first, and updates the account row in
the same transaction. So the lots are not row-locked themselves (a row lock on
every live lot cost a heap write and a WAL record per lot on every purchase,
docs/PERFORMANCE.md), and they are read after the lock: in a statement of their own (a fresh
snapshot that sees what the previous holder of the lock committed) — or, for a purchase, in the
statement that takes the lock (`lock_account_and_lots`), whose snapshot predates the lock: those
lots are used only when the account row it locked is the very version that snapshot sees (same
`xmin`). Any holder of the lock that committed after the snapshot updated the row, so a lock
that had to wait for one shows up as another version, and then the lots are read again.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from customers.errors import MemberBlocked, MemberNotFound
from loyalty.models import Account, LedgerEntry, PointLot, Program, Purchase
from loyalty.services import lot_rules
from loyalty.services.program import lot_available_at, lot_expiry
from loyalty.store import ledger as store
from loyalty.store import writes
from loyalty.store.instances import built

Kind = LedgerEntry.Kind


def lock_account(member_id: int) -> Account:
    """Lock and return the member's account (with the member row), or MemberNotFound."""
    account = store.lock_account(member_id)
    if account is None:
        raise MemberNotFound()
    return account


def lock_account_and_lots(
    member_id: int, *, due_at: dt.datetime | None, idempotency=None
) -> tuple[Account, list[PointLot] | None]:
    """`lock_account`, and the account's live lots (only those due to settle at `due_at`, when
    given) read in the same statement — or None when they must be read again after the lock
    (see the module docstring); give them to `LedgerTransaction(lots=…)`.

    With `idempotency` (a loyalty.services.idempotency.KeyGuard) its key is taken first, in
    the same statement (one round trip less), and the guard has its say (a replay, a key in use)
    before the account is looked at."""
    taken, account, lots = store.lock_account_and_lots(member_id, due_at=due_at, key=idempotency)
    if idempotency is not None:
        idempotency.taken(taken)
    if account is None:
        raise MemberNotFound()
    return account, lots


class LedgerTransaction:
    """Points moves on one locked account, written at `flush()`."""

    def __init__(
        self,
        account: Account,
        *,
        program: Program,
        now: dt.datetime,
        require_active: bool = True,
        extra_lot_ids: Iterable[int] = (),
        due_only: bool = False,
        lots: list[PointLot] | None = None,
        **links,
    ):
        """`due_only`: read only the lots there is something to settle on (for an operation
        that takes no points out of lots, e.g. a purchase that redeems nothing); then
        spendable_lots(), lot() and spend() are not available. `lots`: the lots
        `lock_account_and_lots` read (with the same `due_only`), instead of reading them."""
        if require_active and not account.member.is_active:
            raise MemberBlocked()
        self.account = account
        self.program = program
        self.now = now
        self.links = links  # purchase, refund, staff, partner: stamped on every entry
        self.entries: list[LedgerEntry] = []
        self.new_lots: list[PointLot] = []
        self._dirty: dict[int, PointLot] = {}
        self._due_only = due_only
        extra = list(extra_lot_ids)
        if lots is not None and not extra:
            self.lots: list[PointLot] = lots
            self._settle()
            return
        self.lots = store.read_lots(account.pk, extra, now if due_only else None)
        self._settle()

    # --- reading -------------------------------------------------------------------------
    def spendable_lots(self) -> list[PointLot]:
        """Available lots with points left, earliest-expiring first."""
        self._check_all_lots()
        return [lot for lot in self.lots if lot.remaining > 0 and not lot.is_pending]

    def spendable_points(self) -> int:
        """Points the member can spend now: what the available lots hold after settling."""
        return sum(lot.remaining for lot in self.spendable_lots())

    def lot(self, lot_id: int) -> PointLot | None:
        self._check_all_lots()
        return next((lot for lot in self.lots if lot.pk == lot_id), None)

    def _check_all_lots(self) -> None:
        if self._due_only:
            raise RuntimeError("This transaction read only the lots due to settle.")

    # --- moving points -------------------------------------------------------------------
    def _entry(
        self, kind: str, points: int, pending_change: int = 0, lot=None, *, linked=True, **extra
    ):
        # Burning and activation found while settling are not caused by this operation: they
        # carry no purchase, refund, staff or reason of it.
        fields = {**self.links, **extra} if linked else extra
        self.entries.append(
            built(
                LedgerEntry,
                account=self.account,
                kind=kind,
                points=points,
                pending_change=pending_change,
                lot=lot,
                expires_at=lot.expires_at if lot is not None else None,
                created_at=self.now,
                **fields,
            )
        )

    def _touch(self, lot: PointLot) -> None:
        if lot.pk is not None:
            self._dirty[lot.pk] = lot

    def _settle(self) -> None:
        """Burn lots past expiry and activate lots past their delay, as of `now`."""
        for lot in self.lots:
            if lot.remaining > 0 and lot.expires_at <= self.now:
                self.expire(lot)
            elif lot.is_pending and lot.available_at <= self.now:
                self.activate(lot)

    def _apply(self, move: lot_rules.Move, kind: str, lot: PointLot) -> None:
        self.account.available += move.available
        self.account.pending += move.pending
        self._entry(kind, move.points, move.pending_change, lot, linked=False)

    def expire(self, lot: PointLot) -> None:
        """Burn the lot (lot_rules.burn)."""
        self._apply(lot_rules.burn(lot.remaining, lot.is_pending), Kind.EXPIRE, lot)
        lot.remaining, lot.is_pending = 0, False
        self._touch(lot)

    def activate(self, lot: PointLot) -> None:
        """Make the lot available (lot_rules.activate)."""
        move = lot_rules.activate(lot.remaining)
        if move is not None:
            self._apply(move, Kind.ACTIVATE, lot)
        lot.is_pending = False
        self._touch(lot)

    def take(self, lot: PointLot, points: int, kind: str, **extra) -> None:
        """Take `points` out of one lot (available or pending) with an entry of `kind`."""
        assert 0 < points <= lot.remaining
        lot.remaining -= points
        if lot.is_pending:
            self.account.pending -= points
            self._entry(kind, -points, -points, lot, **extra)
        else:
            self.account.available -= points
            self._entry(kind, -points, 0, lot, **extra)
        self._touch(lot)

    def spend(self, points: int, kind: str, lots: list[PointLot] | None = None, **extra) -> int:
        """Take up to `points` from `lots` (default: spendable, earliest-expiring first).

        Returns how many points were taken; the caller decides what a shortfall means.
        """
        left = points
        for lot in self.spendable_lots() if lots is None else lots:
            if left == 0:
                break
            part = min(left, lot.remaining)
            if part:
                self.take(lot, part, kind, **extra)
                left -= part
        return points - left

    def give_back(self, lot: PointLot, points: int, kind: str, **extra) -> None:
        """Put points back into the lot they were taken from (its expiry stays).

        Outstanding debt is repaid first, like from any points coming in: a member never holds
        points while owing some.
        """
        assert points > 0 and lot.remaining + points <= lot.points
        repaid = min(self.account.debt, points)
        self.account.debt -= repaid
        credited = points - repaid
        lot.remaining += credited
        if lot.is_pending:
            self.account.pending += credited
            self._entry(kind, points, credited, lot, **extra)
        else:
            self.account.available += credited
            self._entry(kind, points, 0, lot, **extra)
        self._touch(lot)

    def add(
        self,
        points: int,
        kind: str,
        *,
        source: str,
        available_at: dt.datetime | None = None,
        expires_at: dt.datetime | None = None,
        purchase=None,
        **extra,
    ) -> PointLot | None:
        """Credit `points` as a new lot; outstanding debt is repaid from it first."""
        assert points > 0
        repaid = min(self.account.debt, points)
        self.account.debt -= repaid
        self.account.lifetime_earned += points if kind in (Kind.EARN, Kind.BONUS) else 0
        credited = points - repaid
        if credited == 0:
            self._entry(kind, points, 0, None, **extra)
            return None
        available_at = available_at or lot_available_at(self.program, self.now)
        is_pending = available_at > self.now
        lot = built(
            PointLot,
            account=self.account,
            source=source,
            points=credited,
            remaining=credited,
            is_pending=is_pending,
            available_at=available_at,
            expires_at=expires_at or lot_expiry(self.program, self.now),
            purchase=purchase,
            created_at=self.now,
        )
        self.new_lots.append(lot)
        self.lots.append(lot)
        if is_pending:
            self.account.pending += credited
        else:
            self.account.available += credited
        self._entry(kind, points, credited if is_pending else 0, lot, **extra)
        return lot

    def owe(self, points: int, kind: str, **extra) -> None:
        """Record points the member owes (refund debt): the balance goes below zero."""
        assert points > 0
        self.account.debt += points
        self._entry(kind, -points, 0, None, **extra)

    # --- writing -------------------------------------------------------------------------
    def flush(
        self, *, purchase: Purchase | None = None, lines: Sequence[dict] = (), companions=()
    ) -> None:
        """Write the moves. An unsaved `purchase` (linked to the entries and lots) is written
        with its `lines`, given as PurchaseLine field values (all but `purchase`; the model's
        defaults fill the rest), and `companions`: unsaved rows of other models that point at
        the purchase or at one of the new lots (its bonus rows, the campaigns' awards) — all in
        one statement."""
        writes.write_all(self, purchase, lines, companions)
