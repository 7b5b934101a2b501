"""Refunds: give back the redeemed points of the refunded part, take back what it earned."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from loyalty.errors import InvalidCheck, PurchaseNotFound, RefundExceedsPurchase, RefundExists
from loyalty.models import (
    LedgerEntry,
    Partner,
    Program,
    Purchase,
    PurchaseBonus,
    PurchaseLine,
    Refund,
    RefundLine,
)
from loyalty.money import from_kopecks, split_proportionally, to_kopecks
from loyalty.services import idempotency
from loyalty.services.checks import _money, _quantity
from loyalty.services.ledger import LedgerTransaction, lock_account
from loyalty.services.program import get_program

Kind = LedgerEntry.Kind


@dataclass
class _LinePart:
    line: PurchaseLine
    quantity: Decimal
    amount: Decimal
    discount: Decimal = Decimal("0.00")


def _cumulative_floor(whole: int, done: Decimal, of: Decimal) -> int:
    """`whole` × done / of rounded down, exact when done == of (so repeated parts sum to whole)."""
    if of <= 0 or done >= of:
        return whole
    return int(Decimal(whole) * done // of)


def _discount_share(line: PurchaseLine, refunded_amount_after: Decimal) -> Decimal:
    if line.amount == 0:
        return Decimal("0.00")
    if refunded_amount_after >= line.amount:
        return line.discount
    return from_kopecks(
        to_kopecks(line.discount) * to_kopecks(refunded_amount_after) // to_kopecks(line.amount)
    )


def refund_parts_by_lines(lines: list[PurchaseLine], wanted: list[dict]) -> list[_LinePart]:
    parts: dict[int, _LinePart] = {}
    for i, item in enumerate(wanted):
        if not isinstance(item, dict):
            raise InvalidCheck(
                _("Each refund line needs a SKU and a quantity."),
                fields={f"lines[{i}]": [_("Each refund line needs a SKU and a quantity.")]},
            )
        sku = str(item.get("sku") or "").strip()
        qty = _quantity(item.get("quantity", 1), f"lines[{i}].quantity")
        candidates = [ln for ln in lines if ln.sku == sku]
        if not candidates:
            raise InvalidCheck(
                _("The purchase has no line with this SKU."),
                fields={f"lines[{i}].sku": [_("The purchase has no line with this SKU.")]},
            )
        for line in candidates:
            taken = parts[line.pk].quantity if line.pk in parts else Decimal(0)
            free = line.quantity - line.refunded_quantity - taken
            part = min(free, qty)
            if part > 0:
                parts.setdefault(line.pk, _LinePart(line, Decimal(0), Decimal(0))).quantity += part
                qty -= part
        if qty > 0:
            raise RefundExceedsPurchase(
                fields={f"lines[{i}].quantity": [_("More than was bought and not yet refunded.")]}
            )
    for part in parts.values():
        line = part.line
        qty_after = line.refunded_quantity + part.quantity
        if qty_after >= line.quantity:
            amount_after = line.amount
        else:
            amount_after = min(
                line.amount, from_kopecks(int(to_kopecks(line.amount) * qty_after // line.quantity))
            )
        part.amount = max(Decimal("0.00"), amount_after - line.refunded_amount)
    return list(parts.values())


def _parts_by_amount(lines: list[PurchaseLine], amount: Decimal) -> list[_LinePart]:
    left = [to_kopecks(line.amount - line.refunded_amount) for line in lines]
    if to_kopecks(amount) > sum(left):
        raise RefundExceedsPurchase(
            fields={"amount": [_("More than was bought and not yet refunded.")]}
        )
    shares = split_proportionally(to_kopecks(amount), left)
    parts = []
    for line, share, rest in zip(lines, shares, left):
        if share:
            qty = line.quantity - line.refunded_quantity if share == rest else Decimal(0)
            parts.append(_LinePart(line, qty, from_kopecks(share)))
    return parts


def refund_purchase(
    *,
    purchase_id: int,
    external_id: str,
    now: dt.datetime,
    partner: Partner | None = None,
    lines: list[dict] | None = None,
    amount=None,
    cashier=None,
    idempotency_key: str = "",
) -> Refund:
    """Refund a purchase whole (no lines, no amount), by lines, or by an amount of goods value.

    The redeemed points of the refunded part go back to their lots with the lots' original
    expiry (points whose lot has expired are not returned); the points earned on the refunded
    money are taken back, first from that purchase's own lot. If they were already spent, the
    program's policy decides: `debt` lets the balance go below zero, `withhold` reports the
    shortfall in ₽ for the till to keep from the cash refund. The same refund number twice
    changes nothing.
    """
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 100:
        raise InvalidCheck(
            _("A refund number is required (up to 100 characters)."),
            fields={"external_id": [_("A refund number is required (up to 100 characters).")]},
        )
    if lines and amount is not None:
        raise InvalidCheck(
            _("Give either lines or an amount, not both."),
            fields={"amount": [_("Give either lines or an amount, not both.")]},
        )
    if amount is not None:
        amount = _money(amount, "amount", positive=True)
    fingerprint = idempotency.body_fingerprint(
        {"lines": lines or None, "amount": str(amount) if amount else None}
    )
    purchases = Purchase.objects.all()
    if partner is not None:
        purchases = purchases.filter(partner=partner)
    try:
        member_id = purchases.values_list("member_id", flat=True).get(pk=purchase_id)
    except (Purchase.DoesNotExist, ValueError, TypeError) as exc:
        raise PurchaseNotFound() from exc

    program = get_program()
    try:
        with transaction.atomic(durable=True):
            account = lock_account(member_id)
            purchase = Purchase.objects.select_for_update(no_key=True).get(pk=purchase_id)
            existing = Refund.objects.filter(purchase=purchase, external_id=external_id).first()
            if existing is not None:
                if existing.request_hash != fingerprint:
                    raise RefundExists(id=existing.pk)
                return existing
            purchase_lines = list(purchase.lines.order_by("position"))
            if lines:
                parts = refund_parts_by_lines(purchase_lines, lines)
            elif amount is not None:
                parts = _parts_by_amount(purchase_lines, amount)
            else:
                parts = _parts_by_amount(purchase_lines, purchase.total - purchase.refunded_total)
            refund_amount = sum((p.amount for p in parts), Decimal("0.00"))
            if refund_amount <= 0:
                raise RefundExceedsPurchase(_("Nothing is left to refund on this purchase."))
            for part in parts:
                line = part.line
                after = line.refunded_amount + part.amount
                part.discount = _discount_share(line, after) - line.refunded_discount
                line.refunded_amount = after
                line.refunded_discount += part.discount
                line.refunded_quantity += part.quantity
            refund_discount = sum((p.discount for p in parts), Decimal("0.00"))
            purchase.refunded_total += refund_amount
            purchase.refunded_discount += refund_discount
            account.lifetime_spend -= refund_amount - refund_discount

            return_target = _cumulative_floor(
                purchase.redeemed_points, purchase.refunded_discount, purchase.discount
            )
            to_return = return_target - purchase.returned_points - purchase.forfeited_points
            if purchase.earn_base == purchase.total:
                base_done = purchase.refunded_total
            else:
                base_done = purchase.refunded_total - purchase.refunded_discount
            to_claw = _cumulative_floor(purchase.earned_points, base_done, purchase.earn_base) - (
                purchase.clawed_back_points
            )

            bonus_rows = list(purchase.bonuses.all()) if purchase.bonus_points else []
            bonus_claw = _bonus_clawback(purchase, bonus_rows)

            refund = Refund.objects.create(
                purchase=purchase,
                external_id=external_id,
                amount=refund_amount,
                discount=refund_discount,
                request_hash=fingerprint,
                idempotency_key=idempotency_key,
                cashier=cashier,
                created_at=now,
            )
            # A lot already burnt (even by a run with a later `now`) never takes points back:
            # it could not expire a second time.
            moves = list(
                purchase.entries.filter(
                    kind__in=[Kind.REDEEM, Kind.EARN, Kind.BONUS], lot__isnull=False
                )
                .annotate(
                    burnt=Exists(
                        LedgerEntry.objects.filter(lot_id=OuterRef("lot_id"), kind=Kind.EXPIRE)
                    )
                )
                .values_list("kind", "lot_id", "points", "burnt")
            )
            ledger = LedgerTransaction(
                account,
                program=program,
                now=now,
                require_active=False,
                extra_lot_ids={lot_id for _k, lot_id, _p, _b in moves},
                purchase=purchase,
                refund=refund,
                partner=partner,
                staff=cashier,
            )
            returned, forfeited = _give_back_redeemed(ledger, purchase, moves, to_return)
            shortfall = _claw_back(ledger, moves, to_claw + bonus_claw)
            shortfall_amount = Decimal("0.00")
            if shortfall and program.refund_policy == Program.RefundPolicy.DEBT:
                ledger.owe(shortfall, Kind.REFUND_CLAWBACK)
            elif shortfall:
                shortfall_amount = shortfall * program.point_value

            purchase.returned_points += returned
            purchase.forfeited_points += forfeited
            purchase.clawed_back_points += to_claw
            purchase.save(
                update_fields=[
                    "refunded_total",
                    "refunded_discount",
                    "returned_points",
                    "forfeited_points",
                    "clawed_back_points",
                ]
            )
            PurchaseLine.objects.bulk_update(
                [p.line for p in parts],
                ["refunded_quantity", "refunded_amount", "refunded_discount"],
            )
            RefundLine.objects.bulk_create(
                RefundLine(
                    refund=refund,
                    line=p.line,
                    quantity=p.quantity,
                    amount=p.amount,
                    discount=p.discount,
                )
                for p in parts
            )
            if bonus_claw:
                PurchaseBonus.objects.bulk_update(bonus_rows, ["clawed_back_points"])
            refund.clawed_back_points = to_claw + bonus_claw
            refund.returned_points = returned
            refund.forfeited_points = forfeited
            refund.shortfall_points = shortfall
            refund.shortfall_amount = shortfall_amount
            refund.save(
                update_fields=[
                    "clawed_back_points",
                    "returned_points",
                    "forfeited_points",
                    "shortfall_points",
                    "shortfall_amount",
                ]
            )
            ledger.flush()
    except IntegrityError as exc:
        # A concurrent refund with the same number won the race: answer as a replay.
        existing = Refund.objects.filter(purchase_id=purchase_id, external_id=external_id).first()
        if existing is None:
            raise
        if existing.request_hash != fingerprint:
            raise RefundExists(id=existing.pk) from exc
        return existing
    return refund


def _bonus_clawback(purchase: Purchase, rows: list[PurchaseBonus]) -> int:
    """The bonus points this refund takes back, marked on each bonus row: a bonus whose step
    the check (less everything refunded so far) no longer reaches goes back whole; any other
    in proportion to the goods value refunded, rounded down over the refunds so far."""
    kept = purchase.total - purchase.refunded_total
    taken = 0
    for row in rows:
        if row.keep_from is not None and kept < row.keep_from:
            target = row.points
        else:
            target = _cumulative_floor(row.points, purchase.refunded_total, purchase.total)
        claw = target - row.clawed_back_points
        if claw > 0:
            row.clawed_back_points += claw
            taken += claw
    return taken


def _give_back_redeemed(ledger, purchase, moves, to_return: int) -> tuple[int, int]:
    """Return `to_return` points to the lots the purchase spent, latest-expiring first.

    Earlier partial refunds already took their share from the front of the same order. A lot
    that has expired keeps its points expired: they are forfeited, not returned.
    """
    if to_return <= 0:
        return 0, 0
    spent = [
        (ledger.lot(lot_id), -points, burnt)
        for kind, lot_id, points, burnt in moves
        if kind == Kind.REDEEM
    ]
    spent.sort(key=lambda item: (item[0].expires_at, item[0].pk), reverse=True)
    skip = purchase.returned_points + purchase.forfeited_points
    returned = forfeited = 0
    left = to_return
    for lot, points, burnt in spent:
        if left == 0:
            break
        usable = points - min(points, skip)
        skip -= min(points, skip)
        part = min(usable, left)
        if part <= 0:
            continue
        if burnt or lot.expires_at <= ledger.now:
            forfeited += part
        else:
            ledger.give_back(lot, part, Kind.REFUND_RETURN)
            returned += part
        left -= part
    return returned, forfeited


def _claw_back(ledger, moves, to_claw: int) -> int:
    """Take back `to_claw` points: from the purchase's own lot, then the earliest-expiring
    available lots, then other pending lots. Returns what could not be taken."""
    if to_claw <= 0:
        return 0
    own_ids = {lot_id for kind, lot_id, _p, _b in moves if kind in (Kind.EARN, Kind.BONUS)}
    own = [lot for lot in ledger.lots if lot.pk in own_ids and lot.remaining > 0]
    others_pending = sorted(
        (
            lot
            for lot in ledger.lots
            if lot.is_pending and lot.remaining > 0 and lot.pk not in own_ids
        ),
        key=lambda lot: (lot.available_at, lot.pk),
    )
    taken = ledger.spend(to_claw, Kind.REFUND_CLAWBACK, lots=own)
    taken += ledger.spend(to_claw - taken, Kind.REFUND_CLAWBACK)
    taken += ledger.spend(to_claw - taken, Kind.REFUND_CLAWBACK, lots=others_pending)
    return to_claw - taken
