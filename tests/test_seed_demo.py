"""The demo data loads through the services, and loading it again changes nothing."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Min, Sum

from cabinet.models import FaqEntry
from campaigns.models import Award, Campaign
from config.management.commands.seed_demo import DEMO_MEMBER_PHONE
from customers.models import Consent, Member, User
from loyalty.models import (
    Account,
    LedgerEntry,
    Partner,
    PartnerAPIKey,
    PointLot,
    Purchase,
    Refund,
    Store,
    Tier,
)
from loyalty.selectors import staff_store

COUNTED = [
    Member,
    Consent,
    Account,
    Purchase,
    Refund,
    LedgerEntry,
    PointLot,
    Partner,
    Store,
    Tier,
    Campaign,
    Award,
]


def _counts():
    counts = {m.__name__: m.objects.count() for m in COUNTED}
    counts["users"] = User.objects.count()
    counts["faq"] = FaqEntry.objects.count()
    counts["keys"] = PartnerAPIKey.objects.count()
    counts["balance"] = Account.objects.aggregate(s=Sum("available"))["s"]
    return counts


@pytest.mark.slow
def test_seed_demo_twice_loads_once(db, tmp_path):
    key_file = tmp_path / "key.txt"
    call_command("seed_demo", members=20, api_key_file=str(key_file), stdout=io.StringIO())
    first = _counts()
    key = key_file.read_text().strip()

    call_command("seed_demo", members=20, api_key_file=str(key_file), stdout=io.StringIO())

    assert _counts() == first
    assert key_file.read_text().strip() == key
    assert PartnerAPIKey.objects.is_valid(key)
    assert PartnerAPIKey.objects.get_from_key(key).partner.name == "Копилка Маркет"

    assert first["Member"] == 20
    assert first["Purchase"] > 20
    assert first["Tier"] == 3
    assert list(Partner.objects.order_by("name").values_list("name", flat=True)) == [
        "Копилка Маркет",
        "Кофейня Зерно",
    ]
    assert Store.objects.filter(partner__name="Копилка Маркет").count() == 2
    assert Store.objects.filter(partner__name="Кофейня Зерно").count() == 1
    assert Member.objects.filter(phone=DEMO_MEMBER_PHONE).exists()
    assert not Member.objects.exclude(consents__kind="personal_data").exists()

    admin, marketer, cashier = (
        User.objects.get(username=u) for u in ("admin", "marketer", "cashier")
    )
    assert admin.is_superuser and admin.check_password("admin")
    assert marketer.is_staff and not marketer.is_superuser and marketer.check_password("marketer")
    assert set(marketer.groups.values_list("name", flat=True)) == {"marketer"}
    assert cashier.groups.get() == Group.objects.get(name="cashier")
    assert not cashier.is_staff
    assert staff_store(cashier) == Store.objects.filter(partner__name="Копилка Маркет").earliest(
        "pk"
    )
    assert FaqEntry.objects.count() >= 3


@pytest.mark.slow
def test_the_demo_runs_campaigns_of_each_kind_and_its_purchases_get_their_bonuses(db, tmp_path):
    call_command("seed_demo", members=20, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())

    kinds = set(Campaign.objects.values_list("kind", flat=True))
    assert kinds >= {"promo", "steps", "welcome", "birthday", "referral", "challenge"}
    assert not Campaign.objects.exclude(state=Campaign.State.ACTIVE).exists()
    # Checks got the campaigns' bonuses, each its own ledger entry linked to an award.
    with_bonus = Purchase.objects.filter(bonus_points__gt=0)
    assert with_bonus.count() >= 5
    assert LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.BONUS, purchase__isnull=False
    ).count() == (Award.objects.filter(purchase__isnull=False, held_out=False).count())
    applied = set(
        Award.objects.filter(purchase__isnull=False, points__gt=0).values_list(
            "campaign__code", flat=True
        )
    )
    assert {"x2-saturday", "dairy-10-per-100"} <= applied
    # Every member joined with the welcome bonus.
    assert Award.objects.filter(campaign__code="welcome", points=100).count() == 20


@pytest.mark.slow
def test_seeded_accounts_agree_with_their_ledger(db, tmp_path):
    call_command("seed_demo", members=15, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())
    for account in Account.objects.annotate(
        entries_sum=Sum("entries__points"), pending_sum=Sum("entries__pending_change")
    ):
        lots = PointLot.objects.filter(account=account).aggregate(s=Sum("remaining"))["s"] or 0
        assert (account.entries_sum or 0) == account.available + account.pending - account.debt
        assert (account.pending_sum or 0) == account.pending
        assert lots == account.available + account.pending


def test_given_passwords_replace_the_defaults(db, tmp_path):
    call_command(
        "seed_demo",
        members=0,
        admin_password="s3cret-admin",
        api_key_file=str(tmp_path / "k"),
        stdout=io.StringIO(),
    )
    assert User.objects.get(username="admin").check_password("s3cret-admin")


def test_demo_staff_have_the_roles_of_their_jobs(db, tmp_path):
    """The cashier works only at the desk (no staff status); the analyst reads the back-office."""
    call_command("seed_demo", members=0, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())
    cashier, analyst = (User.objects.get(username=u) for u in ("cashier", "analyst"))
    assert (cashier.is_staff, cashier.is_superuser) == (False, False)
    assert staff_store(cashier) is not None
    assert analyst.is_staff and not analyst.is_superuser and analyst.check_password("analyst")
    assert set(analyst.groups.values_list("name", flat=True)) == {"analyst"}
    assert analyst.has_perm("loyalty.view_account")
    assert not analyst.has_perm("customers.view_member")


@pytest.mark.slow
def test_demo_members_joined_before_their_history_on_different_days(db, tmp_path):
    """A demo member joined when their history starts, not at the moment the demo was loaded:
    before their first purchase and first ledger entry, on the same moment as their account and
    consents, and the members on many different days."""
    call_command("seed_demo", members=20, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())
    members = Member.objects.annotate(
        first_purchase=Min("purchases__occurred_at"),
        first_entry=Min("account__entries__created_at"),
        first_consent=Min("consents__given_at"),
    ).select_related("account")
    for member in members:
        assert member.created_at <= member.first_entry, member.phone
        if member.first_purchase is not None:
            assert member.created_at < member.first_purchase, member.phone
        assert member.created_at == member.account.created_at == member.first_consent
    assert len({m.created_at.date() for m in members}) >= 10
