"""A partner reads only its own members unless the program is a coalition (issue #15)."""

import pytest

from loyalty.models import Program
from loyalty.services import adjust_points, record_purchase
from loyalty.services.presence import qr_token
from tests.api.test_auth_and_errors import assert_error
from tests.factories import PartnerFactory, make_member
from tests.loyalty.helpers import set_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def apart(db):
    """The program as a new install has it: partners do not share members."""
    return set_program(shares_members=False)


@pytest.fixture
def other_partner(db):
    return PartnerFactory(name="Кофейня")


@pytest.fixture
def theirs(other_partner, now):
    """A member who only ever bought at the other partner."""
    member = make_member(now=now)
    record_purchase(
        member_id=member.pk, partner=other_partner, external_id="B-1", amount="500.00", now=now
    )
    return member


def reads(api, member) -> dict[str, int]:
    return {
        "detail": api.get(f"/api/v1/members/{member.pk}").status_code,
        "phone": api.get("/api/v1/members/lookup", {"phone": member.phone}).status_code,
        "ledger": api.get(f"/api/v1/members/{member.pk}/ledger").status_code,
    }


def test_a_partner_cannot_read_a_member_known_only_to_another_partner(api, theirs):
    assert reads(api, theirs) == {"detail": 404, "phone": 404, "ledger": 404}
    body = assert_error(api.get(f"/api/v1/members/{theirs.pk}"), 404, "member_not_found")
    assert body["detail"] == "No member matches."  # the same answer as for no member at all


def test_a_coalition_that_shares_members_opens_them_to_every_partner(api, theirs):
    set_program(shares_members=True)
    assert reads(api, theirs) == {"detail": 200, "phone": 200, "ledger": 200}


def test_a_card_lookup_is_always_allowed_and_a_purchase_makes_the_member_known(api, theirs):
    found = api.get("/api/v1/members/lookup", {"card": theirs.card_number})
    assert found.status_code == 200
    assert reads(api, theirs)["detail"] == 404  # a lookup alone does not open the member
    bought = api.post(
        "/api/v1/purchases",
        {"external_id": "A-1", "member_id": theirs.pk, "amount": "100.00"},
        idempotency_key="k-1",
    )
    assert bought.status_code == 201
    assert reads(api, theirs) == {"detail": 200, "phone": 200, "ledger": 200}


def test_a_live_qr_lookup_is_always_allowed(api, theirs, now):
    token = qr_token(member_id=theirs.pk, card_number=theirs.card_number, now=now)
    assert api.get("/api/v1/members/lookup", {"qr": token}).json()["id"] == theirs.pk


def test_a_member_who_joined_through_the_partner_is_its_own(api, other_partner_api):
    joined = api.post(
        "/api/v1/members",
        {"phone": "+79161112233", "consents": {"personal_data": True}},
    )
    assert joined.status_code == 201, joined.content
    member_id = joined.json()["id"]
    assert api.get(f"/api/v1/members/{member_id}").status_code == 200
    assert other_partner_api.get(f"/api/v1/members/{member_id}").status_code == 404


def test_a_scoped_read_costs_no_extra_statement(api, partner, now, django_assert_num_queries):
    member = make_member(now=now)
    record_purchase(member_id=member.pk, partner=partner, external_id="A", amount="10", now=now)
    # The key, then the member, its balance, spend and the partner's scope in one statement.
    with django_assert_num_queries(2):
        response = api.get("/api/v1/members/lookup", {"phone": member.phone})
    assert response.status_code == 200


def test_the_ledger_shows_no_internal_reason_and_no_other_partners_check_ids(
    api, partner, other_partner, now
):
    member = make_member(now=now)
    adjust_points(
        member_id=member.pk, points=70, reason="complaint #4411, rude cashier", staff=None, now=now
    )
    ours = record_purchase(
        member_id=member.pk, partner=partner, external_id="A-9", amount="100.00", now=now
    ).purchase
    record_purchase(
        member_id=member.pk, partner=other_partner, external_id="B-9", amount="200.00", now=now
    )
    page = api.get(f"/api/v1/members/{member.pk}/ledger").json()["results"]
    text = str(page)
    assert "complaint" not in text and "rude" not in text
    by_kind = {}
    for entry in page:
        by_kind.setdefault(entry["kind"], []).append(entry)
    assert by_kind["adjust"][0]["reason"] == "Added by the store"
    assert sorted(e["purchase_id"] for e in by_kind["earn"] if e["purchase_id"]) == [ours.pk]
    assert sum(1 for e in by_kind["earn"] if e["purchase_id"] is None) == 1


def test_the_ledger_shows_an_adjustments_text_for_the_member_instead_of_its_reason(
    api, partner, now
):
    member = make_member(now=now)
    record_purchase(  # the partner's own member
        member_id=member.pk, partner=partner, external_id="A-10", amount="100.00", now=now
    )
    adjust_points(
        member_id=member.pk,
        points=70,
        reason="complaint #4411, rude cashier",
        member_text="Sorry for the wait",
        staff=None,
        now=now,
    )
    adjust_points(member_id=member.pk, points=-20, reason="typo in #4411", staff=None, now=now)
    page = api.get(f"/api/v1/members/{member.pk}/ledger").json()["results"]
    assert "4411" not in str(page)
    adjusted = [e for e in page if e["kind"] == "adjust"]
    assert {e["reason"] for e in adjusted if e["points"] > 0} == {"Sorry for the wait"}
    removed = [e for e in adjusted if e["points"] < 0]  # one entry per lot it took from
    assert sum(e["points"] for e in removed) == -20
    assert {e["reason"] for e in removed} == {"Removed by the store"}


def test_the_ledger_of_a_member_with_proof_required_still_reads(api, theirs):
    set_program(redeem_confirmation=Program.RedeemConfirmation.REQUIRED, shares_members=True)
    assert api.get(f"/api/v1/members/{theirs.pk}/ledger").status_code == 200
