"""Staff adjustments: a reason is kept, the balance never goes below zero."""

import pytest

from loyalty.errors import InsufficientPoints, InvalidInput, MemberNotFound
from loyalty.models import LedgerEntry
from loyalty.selectors import entry_note
from loyalty.services import adjust_points
from tests.factories import UserFactory
from tests.loyalty.helpers import account, assert_ledger_ok, days, give

pytestmark = pytest.mark.django_db


def test_an_adjustment_keeps_its_reason_and_staff_member(member, now):
    staff = UserFactory()
    adjust_points(member_id=member.pk, points=250, reason=" goodwill ", staff=staff, now=now)
    entry = LedgerEntry.objects.get(account_id=member.pk)
    assert (entry.kind, entry.points, entry.reason, entry.staff_id) == (
        "adjust",
        250,
        "goodwill",
        staff.pk,
    )
    assert account(member).available == 250


def test_an_adjustment_keeps_its_text_for_the_member_apart_from_its_internal_reason(member, now):
    give(member, 100, now)
    give(member, 100, now + days(30))
    adjust_points(
        member_id=member.pk,
        points=-150,
        reason="Ошибочное начисление, тикет 4412",
        member_text="  Исправили   ошибку начисления ",
        staff=None,
        now=now + days(31),
    )
    removed = LedgerEntry.objects.filter(account_id=member.pk, points__lt=0)
    assert len(removed) == 2  # one per lot; every one carries both texts
    assert {(e.reason, e.member_text) for e in removed} == {
        ("Ошибочное начисление, тикет 4412", "Исправили ошибку начисления")
    }


def test_a_text_for_the_member_longer_than_300_characters_is_refused(member, now):
    with pytest.raises(InvalidInput) as refused:
        adjust_points(
            member_id=member.pk,
            points=10,
            reason="x",
            member_text="ы" * 301,
            staff=None,
            now=now,
        )
    assert "member_text" in refused.value.fields
    assert not LedgerEntry.objects.filter(account_id=member.pk).exists()


def test_what_the_member_is_told_of_an_entry_is_never_its_reason():
    assert entry_note("adjust", points=50, member_text="Подарок") == "Подарок"
    assert entry_note("adjust", points=50) == "Added by the store"
    assert entry_note("adjust", points=-50) == "Removed by the store"
    assert entry_note("earn", points=50, member_text="x") == ""


def test_removing_points_takes_the_earliest_expiring_and_never_goes_below_zero(member, now):
    give(member, 100, now)
    give(member, 100, now + days(30))
    give(member, -150, now + days(31))
    assert account(member).available == 50
    with pytest.raises(InsufficientPoints):
        give(member, -51, now + days(31))
    assert account(member).available == 50
    assert_ledger_ok()


@pytest.mark.parametrize(
    ("points", "reason"), [(0, "x"), (10, ""), (10, "   "), (1.5, "x"), (True, "x"), (10**9, "x")]
)
def test_bad_adjustments_are_refused_with_nothing_written(member, now, points, reason):
    with pytest.raises(InvalidInput):
        adjust_points(member_id=member.pk, points=points, reason=reason, staff=None, now=now)
    assert not LedgerEntry.objects.filter(account_id=member.pk).exists()


def test_an_unknown_member_cannot_be_adjusted(db, now):
    with pytest.raises(MemberNotFound):
        adjust_points(member_id=424242, points=5, reason="x", staff=None, now=now)
