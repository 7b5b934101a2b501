"""The member's history as the member reads it: one row per event, not per ledger entry.

A purchase that took points from four lots and earned points and a bonus is four to six ledger
entries; the member sees one row: the check, its amount, what was paid with points and what was
earned. Likewise one row per refund, one per burn of expired points and one per operator's
adjustment (removing points takes them from several lots at one moment). Activation entries
(pending points becoming available) are bookkeeping and are not shown.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Max, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat

from loyalty.models import LedgerEntry, Purchase, Refund
from loyalty.selectors import entry_note

Kind = LedgerEntry.Kind
PURCHASE_KINDS = (Kind.EARN, Kind.BONUS, Kind.REDEEM)


@dataclass(frozen=True)
class HistoryRow:
    """One event of the member's history; `kind` is "purchase", "refund" or an entry kind."""

    kind: str
    at: dt.datetime
    points: int
    earned: int
    bonus: int
    redeemed: int
    pending: int
    purchase: Purchase | None = None
    refund: Refund | None = None
    note: str = ""  # what the member is told of it (loyalty.selectors.entry_note), never a reason

    @property
    def is_pending(self) -> bool:
        return self.pending > 0

    @property
    def check_total(self) -> Decimal | None:
        return self.purchase.total if self.purchase else None


def _group_key():
    """Which event an entry belongs to: its refund, its purchase, or its kind at its moment."""
    return Case(
        When(refund_id__isnull=False, then=Concat(Value("r"), Cast("refund_id", CharField()))),
        When(
            Q(purchase_id__isnull=False) & Q(kind__in=PURCHASE_KINDS),
            then=Concat(Value("p"), Cast("purchase_id", CharField())),
        ),
        default=Concat("kind", Value("@"), Cast("created_at", CharField())),
        output_field=CharField(),
    )


def _sum(kind=None):
    return Coalesce(Sum("points", filter=Q(kind=kind) if kind else None), 0)


def history_groups(
    member_id: int, *, kinds=None, start=None, end=None, purchase_id=None, newest_first=True
):
    """The member's history events as grouped rows (a queryset of dicts, ready to paginate);
    `history_rows` turns a page of them into `HistoryRow`s. `kinds` keeps only the entries of
    those kinds (e.g. redemptions), `start`/`end` bound the time, `purchase_id` keeps one
    purchase and its refunds."""
    entries = LedgerEntry.objects.filter(account_id=member_id)
    if kinds:
        entries = entries.filter(kind__in=kinds)
        if tuple(kinds) == PURCHASE_KINDS:  # purchases only: not event bonuses, not refunds
            entries = entries.filter(purchase_id__isnull=False, refund_id__isnull=True)
    else:
        entries = entries.exclude(kind=Kind.ACTIVATE)
    if purchase_id:
        entries = entries.filter(Q(purchase_id=purchase_id) | Q(refund__purchase_id=purchase_id))
    if start:
        entries = entries.filter(created_at__gte=start)
    if end:
        entries = entries.filter(created_at__lt=end)
    order = ("-at", "-event") if newest_first else ("at", "event")
    return (
        entries.annotate(event=_group_key())
        .values("event")
        .annotate(
            at=Max("created_at"),
            net=_sum(),
            earned=_sum(Kind.EARN),
            bonus=_sum(Kind.BONUS),
            redeemed=-_sum(Kind.REDEEM),
            pending=Coalesce(Sum("pending_change"), 0),
            purchase_pk=Max("purchase_id"),
            refund_pk=Max("refund_id"),
            entry_kind=Max("kind"),
            member_text=Max("member_text"),
        )
        .order_by(*order)
    )


def history_rows(groups) -> list[HistoryRow]:
    """The rows of a page of `history_groups`, with their purchases and refunds read in two
    queries (none when the page has none)."""
    groups = list(groups)
    purchase_ids = {g["purchase_pk"] for g in groups if g["purchase_pk"]}
    refund_ids = {g["refund_pk"] for g in groups if g["refund_pk"]}
    refunds = (
        {r.pk: r for r in Refund.objects.filter(pk__in=refund_ids).select_related("purchase")}
        if refund_ids
        else {}
    )
    purchase_ids |= {r.purchase_id for r in refunds.values()}
    purchases = (
        {p.pk: p for p in Purchase.objects.filter(pk__in=purchase_ids).select_related("partner")}
        if purchase_ids
        else {}
    )
    rows = []
    for g in groups:
        refund = refunds.get(g["refund_pk"])
        if refund:
            kind, purchase = "refund", purchases.get(refund.purchase_id)
        elif g["event"].startswith("p"):
            kind, purchase = "purchase", purchases.get(g["purchase_pk"])
        else:
            kind, purchase = g["entry_kind"], None
        rows.append(
            HistoryRow(
                kind=kind,
                at=g["at"],
                points=g["net"],
                earned=g["earned"],
                bonus=g["bonus"],
                redeemed=g["redeemed"],
                pending=g["pending"],
                purchase=purchase,
                refund=refund,
                note=entry_note(kind, points=g["net"], member_text=g["member_text"]),
            )
        )
    return rows
