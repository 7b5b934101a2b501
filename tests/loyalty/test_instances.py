"""The hot paths' model instances are the ones Django builds (loyalty/store/instances.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.signals import post_init, pre_init

from loyalty.models import Account, LedgerEntry, PointLot, Purchase
from loyalty.store.instances import built, loaded

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


def same(ours, django) -> None:
    assert type(ours) is type(django)
    assert {k: v for k, v in vars(ours).items() if k != "_state"} == {
        k: v for k, v in vars(django).items() if k != "_state"
    }
    assert (ours._state.adding, ours._state.db) == (django._state.adding, django._state.db)
    assert ours._state.fields_cache == django._state.fields_cache


def test_no_receiver_of_the_init_signals_would_be_skipped():
    assert not pre_init.receivers and not post_init.receivers


def test_built_is_what_django_builds(member, partner):
    account = Account.objects.get(member=member)
    purchase = Purchase(partner=partner, member_id=member.pk, external_id="A", total=1)
    lot_values = {
        "account": account,
        "source": PointLot.Source.EARN,
        "points": 10,
        "remaining": 10,
        "is_pending": True,
        "available_at": T,
        "expires_at": T,
        "purchase": purchase,
        "created_at": T,
    }
    same(built(PointLot, **lot_values), PointLot(**lot_values))
    lot = PointLot(**lot_values)
    entry_values = {
        "account": account,
        "kind": LedgerEntry.Kind.EARN,
        "points": 10,
        "pending_change": 10,
        "lot": lot,
        "expires_at": T,
        "created_at": T,
        "purchase": purchase,
        "partner": partner,
        "staff": None,
    }
    same(built(LedgerEntry, **entry_values), LedgerEntry(**entry_values))
    purchase_values = {
        "partner": partner,
        "store": None,
        "external_id": "A-1",
        "member_id": member.pk,
        "occurred_at": T,
        "total": Decimal("10.00"),
        "discount": Decimal("0"),
        "redeemed_points": 0,
        "earned_points": 0,
        "earn_base": Decimal("10.00"),
        "tier": None,
        "idempotency_key": "k",
        "cashier": None,
        "created_at": T,
    }
    same(built(Purchase, **purchase_values), Purchase(**purchase_values))


def test_built_refuses_what_is_not_a_field():
    with pytest.raises(TypeError):
        built(PointLot, nonsense=1)


def test_loaded_is_what_from_db_gives(member):
    names = [f.attname for f in PointLot._meta.concrete_fields]
    values = [7, member.pk, "earn", 10, 4, False, T, T, None, T]
    ours = loaded(PointLot, names, values, connection.alias)
    same(ours, PointLot.from_db(connection.alias, names, values))
