"""The ledger audit: check that every account's cached balance agrees with its entries and lots.

The invariants (DESIGN §2, refined by the ledger issue):

- `balance`: available + pending - debt == sum(entry.points);
- `pending_entries`: pending == sum(entry.pending_change);
- `lots`: available + pending == sum(lot.remaining);
- `pending_lots`: pending == sum(remaining of the lots still pending);
- `negative`: available, pending and debt are never below zero;
- `debt_with_points`: a member who owes points holds none (incoming points repay debt first);
- `lot_range`: 0 <= lot.remaining <= lot.points for every lot;
- `burnt_lot_holds_points`: a lot that has an expiry entry holds no points;
- `bonuses`: the bonus entries of an account's purchases add up to the purchases' bonus points
  and to their bonus rows (what a refund takes back from);
- `purchases_count`: the account counts every purchase of its member (first-purchase bonuses).

Accounts are read in bounded batches (constant memory). Each batch is read in one
REPEATABLE READ snapshot, so the audit can run next to live traffic without false alarms.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from loyalty.models import Account, LedgerEntry, PointLot, Purchase, PurchaseBonus
from loyalty.services.tiers import NET_PAID
from loyalty.store.reads import repeatable_read

DEFAULT_BATCH_SIZE = 2000


@dataclass(frozen=True)
class Problem:
    account_id: int
    check: str
    detail: str

    def __str__(self) -> str:
        return f"account {self.account_id}: {self.check}: {self.detail}"


def _batch_problems(accounts: list[tuple]) -> Iterator[Problem]:
    low, high = accounts[0][0], accounts[-1][0]
    in_range = {"account_id__gte": low, "account_id__lte": high}
    entries = {
        row[0]: row[1:]
        for row in LedgerEntry.objects.filter(**in_range)
        .order_by()
        .values("account_id")
        .annotate(sum_points=Sum("points"), sum_pending=Sum("pending_change"))
        .values_list("account_id", "sum_points", "sum_pending")
    }
    lots = {
        row[0]: row[1:]
        for row in PointLot.objects.filter(**in_range)
        .order_by()
        .values("account_id")
        .annotate(
            sum_remaining=Sum("remaining"),
            sum_pending=Sum("remaining", filter=Q(is_pending=True)),
            out_of_range=Count("id", filter=Q(remaining__lt=0) | Q(remaining__gt=F("points"))),
        )
        .values_list("account_id", "sum_remaining", "sum_pending", "out_of_range")
    }
    spend = dict(
        Purchase.objects.filter(member_id__gte=low, member_id__lte=high)
        .order_by()
        .values("member_id")
        .annotate(s=Sum(NET_PAID))
        .values_list("member_id", "s")
    )
    purchases = {
        row[0]: row[1:]
        for row in Purchase.objects.filter(member_id__gte=low, member_id__lte=high)
        .order_by()
        .values("member_id")
        .annotate(n=Count("id"), bonus=Sum("bonus_points"))
        .values_list("member_id", "n", "bonus")
    }
    bonus_entries = dict(
        LedgerEntry.objects.filter(**in_range, kind=LedgerEntry.Kind.BONUS, purchase__isnull=False)
        .order_by()
        .values("account_id")
        .annotate(s=Sum("points"))
        .values_list("account_id", "s")
    )
    bonus_rows = dict(
        PurchaseBonus.objects.filter(purchase__member_id__gte=low, purchase__member_id__lte=high)
        .order_by()
        .values("purchase__member_id")
        .annotate(s=Sum("points"))
        .values_list("purchase__member_id", "s")
    )
    burnt_holding = {}
    for account_id, lot_id in (
        PointLot.objects.filter(**in_range, remaining__gt=0, entries__kind=LedgerEntry.Kind.EXPIRE)
        .order_by("account_id", "id")
        .values_list("account_id", "id")
    ):
        burnt_holding.setdefault(account_id, []).append(lot_id)

    for account_id, available, pending, debt, lifetime_spend, purchases_count in accounts:
        points, pending_change = entries.get(account_id, (0, 0))
        points, pending_change = points or 0, pending_change or 0
        remaining, lot_pending, out_of_range = lots.get(account_id, (0, 0, 0))
        remaining, lot_pending = remaining or 0, lot_pending or 0

        def problem(check: str, detail: str, account_id=account_id) -> Problem:
            return Problem(account_id, check, detail)

        if available < 0 or pending < 0 or debt < 0:
            yield problem(
                "negative", f"available {available}, pending {pending}, debt {debt} (each >= 0)"
            )
        if available + pending - debt != points:
            yield problem(
                "balance",
                f"available {available} + pending {pending} - debt {debt} "
                f"!= sum of entries {points}",
            )
        if pending != pending_change:
            yield problem(
                "pending_entries", f"pending {pending} != sum of pending changes {pending_change}"
            )
        if available + pending != remaining:
            yield problem(
                "lots",
                f"available {available} + pending {pending} != remaining in lots {remaining}",
            )
        if pending != lot_pending:
            yield problem("pending_lots", f"pending {pending} != remaining in pending lots")
        if debt > 0 and (available or pending):
            yield problem("debt_with_points", f"owes {debt} while holding {available} + {pending}")
        if out_of_range:
            yield problem("lot_range", f"{out_of_range} lot(s) outside 0 <= remaining <= points")
        if lifetime_spend != (spend.get(account_id) or 0):
            yield problem(
                "lifetime_spend",
                f"lifetime spend {lifetime_spend} != paid less refunded {spend.get(account_id)}",
            )
        count, bonus = purchases.get(account_id, (0, 0))
        entered, rows = bonus_entries.get(account_id) or 0, bonus_rows.get(account_id) or 0
        if not (bonus or 0) == entered == rows:
            yield problem(
                "bonuses",
                f"purchases' bonus points {bonus or 0}, bonus entries {entered}, "
                f"bonus rows {rows} (all equal)",
            )
        if purchases_count != count:
            yield problem("purchases_count", f"counts {purchases_count} purchases of {count}")
        if account_id in burnt_holding:
            yield problem(
                "burnt_lot_holds_points",
                f"lots {burnt_holding[account_id]} have an expiry entry and points left",
            )


def audit_ledger(*, batch_size: int = DEFAULT_BATCH_SIZE, member_ids=None) -> Iterator[Problem]:
    """Yield every broken ledger invariant, account by account (all accounts, or `member_ids`).

    An empty result means the cached balances, the entries and the lots all agree.
    """
    after = None
    while True:
        snapshot = not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                repeatable_read()
            accounts = Account.objects.order_by("member_id")
            if member_ids is not None:
                accounts = accounts.filter(member_id__in=member_ids)
            if after is not None:
                accounts = accounts.filter(member_id__gt=after)
            batch = list(
                accounts.values_list(
                    "member_id",
                    "available",
                    "pending",
                    "debt",
                    "lifetime_spend",
                    "purchases_count",
                )[:batch_size]
            )
            if not batch:
                return
            problems = list(_batch_problems(batch))
        after = batch[-1][0]
        yield from problems


def ledger_problems(**kwargs) -> list[Problem]:
    """The audit as a list (for tests and small ledgers)."""
    return list(audit_ledger(**kwargs))
