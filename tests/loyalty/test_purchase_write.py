"""The one-statement write of a purchase (PostgreSQL: rows sent as JSON, prepared statements)
stores exactly what the ORM's own INSERTs would: same values, same rounding, same refusals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DataError, connection

from loyalty.errors import PurchaseExists
from loyalty.models import LedgerEntry, PointLot, Purchase, PurchaseLine
from loyalty.services.checks import CheckLine
from tests.factories import UserFactory
from tests.loyalty.helpers import account, assert_ledger_ok, buy, days, give

pytestmark = pytest.mark.django_db

# Text JSON and SQL treat specially, and decimals with more places than the columns keep
# (a CheckLine is taken as given: build_check() validates only the lines it parses itself).
TRICKY = [
    CheckLine(
        sku='SKU "1" \\ 100%',
        quantity=Decimal("1.2345"),
        price=Decimal("10.005"),
        amount=Decimal("12.345"),
        name="Сыр «Российский»\n\t😀 ' -- %s",
        category="молочное",
    ),
    CheckLine(
        sku="X" * 64,
        quantity=Decimal("0.0005"),
        price=Decimal("99999999.99"),
        amount=Decimal("0.015"),
        name="N" * 200,
        category="",
        redeemable=False,
    ),
    CheckLine(sku="B", quantity=Decimal("3"), price=Decimal("1E+3"), amount=Decimal("3000")),
]
LINE_FIELDS = [
    f.attname for f in PurchaseLine._meta.concrete_fields if f.name not in ("id", "position")
]
PURCHASE_FIELDS = [
    f.attname for f in Purchase._meta.concrete_fields if f.name not in ("id", "external_id")
]


def _values(obj, names):
    return {name: getattr(obj, name) for name in names}


def test_a_purchase_and_its_lines_are_stored_as_the_orm_stores_them(member, partner, store, now):
    give(member, 1000, now)
    cashier = UserFactory()
    at = now.replace(microsecond=123456)
    occurred = at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))) - days(1)
    result = buy(
        member,
        partner,
        at,
        lines=TRICKY,
        redeem=3,
        store=store,
        cashier=cashier,
        occurred_at=occurred,
        idempotency_key="ключ-1",
    )
    stored = Purchase.objects.get(pk=result.purchase.pk)
    assert (stored.occurred_at, stored.created_at) == (occurred, at)

    # The same rows written by the ORM, in the same database, read back the same.
    reference = Purchase.objects.create(
        **{**_values(result.purchase, PURCHASE_FIELDS), "external_id": "ORM"}
    )
    reference.refresh_from_db()
    assert _values(stored, PURCHASE_FIELDS) == _values(reference, PURCHASE_FIELDS)
    lines = list(stored.lines.order_by("position"))
    assert [line.position for line in lines] == [1, 2, 3]
    for line, given, discount in zip(lines, TRICKY, [d.discount for d in result.lines]):
        orm = PurchaseLine.objects.create(
            purchase=reference,
            position=line.position,
            sku=given.sku,
            name=given.name,
            category=given.category,
            quantity=given.quantity,
            price=given.price,
            amount=given.amount,
            redeemable=given.redeemable,
            discount=discount,
        )
        orm.refresh_from_db()
        assert _values(line, LINE_FIELDS) == {**_values(orm, LINE_FIELDS), "purchase_id": stored.pk}

    # The entries and the new lot are linked to the purchase, its partner and cashier.
    entries = LedgerEntry.objects.filter(purchase=stored).order_by("id")
    assert [(e.kind, e.partner_id, e.staff_id, e.created_at) for e in entries] == [
        ("redeem", partner.pk, cashier.pk, at),
        ("earn", partner.pk, cashier.pk, at),
    ]
    lot = PointLot.objects.get(purchase=stored)
    assert (lot.created_at, entries[1].lot_id, entries[1].expires_at) == (
        at,
        lot.pk,
        lot.expires_at,
    )
    reference.delete()  # not a real purchase: the audit would count its spend
    assert_ledger_ok()


@pytest.mark.parametrize(
    "line",
    [
        CheckLine(sku="X" * 65, quantity=Decimal(1), price=Decimal(100), amount=Decimal(100)),
        CheckLine(
            sku="A", quantity=Decimal(1), price=Decimal(100), amount=Decimal(100), name="N" * 201
        ),
    ],
)
def test_a_value_too_long_for_its_column_is_refused_not_cut(member, partner, now, line):
    give(member, 100, now)
    before = (Purchase.objects.count(), LedgerEntry.objects.count(), account(member).available)
    with pytest.raises(DataError):
        buy(member, partner, now, lines=[line], redeem=1)
    assert (Purchase.objects.count(), LedgerEntry.objects.count(), account(member).available) == (
        before
    )
    buy(member, partner, now, lines=[{"sku": "A", "price": "100"}], redeem=1)  # still works
    assert_ledger_ok()


def test_many_lines_keep_their_order_and_the_statements_stay_prepared(member, partner, now):
    give(member, 10_000, now)
    lines = [{"sku": f"SKU{i}", "price": f"{i}.99", "quantity": 1 + i % 3} for i in range(150)]
    for i in range(4):  # past the prepare threshold: later calls run the prepared statements
        result = buy(member, partner, now + days(i), lines=lines[: 147 + i], redeem=100)
        stored = list(result.purchase.lines.order_by("position"))
        assert [line.sku for line in stored] == [f"SKU{k}" for k in range(147 + i)]
        assert sum(line.discount for line in stored) == Decimal("100.00")
    assert_ledger_ok()


def test_a_refused_duplicate_leaves_the_connection_usable(member, partner, now):
    give(member, 500, now)
    for i in range(3):
        buy(member, partner, now, "100", redeem=1, external_id=f"D-{i}")
    with pytest.raises(PurchaseExists):
        buy(member, partner, now, "100", redeem=1, external_id="D-1")
    buy(member, partner, now, "100", redeem=1, external_id="D-3")
    assert account(member).available == 500 - 4 * 1 + 4 * 1  # 1 redeemed, 1 earned on 99 ₽
    assert_ledger_ok()


def test_a_redeeming_purchase_finds_the_lots_it_spends_by_key_not_by_scanning_them(
    member, partner, now
):
    """Prepared statements run generic plans, which estimate a JSON array at 100 rows: the
    lots' UPDATE once joined them to a sequential scan of every lot in the table."""
    from tests.factories import make_member

    other = make_member(now=now, phone="+79990001122")
    with connection.cursor() as cursor:  # a table of many lots (another member's)
        cursor.execute(
            "INSERT INTO loyalty_pointlot (account_id, source, points, remaining, is_pending,"
            " available_at, expires_at, created_at) SELECT %s, 'adjust', 1, 1, false, %s, %s, %s"
            " FROM generate_series(1, 20000)",
            [other.pk, now, now + days(180), now],
        )
    give(member, 1000, now)
    for i in range(3):  # prepared from the second use on
        buy(member, partner, now, "1000", redeem=10, external_id=f"warm-{i}")

    def lot_scans():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'loyalty_pointlot'"
            )
            return cursor.fetchone()[0]

    before = lot_scans()
    result = buy(member, partner, now, "1000", redeem=10, external_id="measured")
    assert result.purchase.redeemed_points == 10
    assert lot_scans() == before
