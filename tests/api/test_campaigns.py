"""The partner API shows campaigns: what runs for the partner, what applied to a check."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests.factories import StoreFactory, make_campaign, make_member

pytestmark = pytest.mark.django_db


def test_the_list_shows_campaigns_running_or_scheduled_for_the_partners_stores(
    api, partner, other_partner_api
):
    mine = StoreFactory(partner=partner)
    other = StoreFactory()
    now = timezone.now()
    make_campaign(name="everywhere")
    make_campaign(name="my store", conditions={"store": [mine.pk]})
    make_campaign(name="their store", conditions={"store": [other.pk]})
    make_campaign(name="not theirs", conditions={"not": {"store": [mine.pk]}})
    make_campaign(name="next week", starts_at=now + dt.timedelta(days=7))
    make_campaign(name="over", ends_at=now - dt.timedelta(days=1))
    make_campaign(name="draft", state=Campaign.State.DRAFT)
    response = api.get("/api/v1/campaigns")
    assert response.status_code == 200
    names = {c["name"]: c["status"] for c in response.json()}
    assert names == {
        "everywhere": "running",
        "my store": "running",
        "not theirs": "running",  # other stores of the partner may still get it
        "next week": "scheduled",
    }
    theirs = {c["name"] for c in other_partner_api.get("/api/v1/campaigns").json()}
    assert "my store" not in theirs and "everywhere" in theirs


def test_the_quote_and_the_purchase_list_the_campaigns_that_applied(api):
    member = make_member()
    make_campaign(name="x3", value=3, stacking_group="promo")
    make_campaign(name="x2", stacking_group="promo")
    quote = api.post(
        "/api/v1/purchases/quote", {"member_id": member.pk, "amount": "1000.00"}
    ).json()
    assert (quote["earn_points"], quote["bonus_points"]) == (20, 40)
    assert [
        (c["name"], c["points"], c["applied"], c.get("reason")) for c in quote["campaigns"]
    ] == [
        ("x3", 40, True, None),
        ("x2", 0, False, "group"),
    ]
    body = {"external_id": "C-1", "member_id": member.pk, "amount": "1000.00"}
    first = api.post("/api/v1/purchases", body, idempotency_key="k1")
    assert first.status_code == 201
    created = first.json()
    assert created["bonus_points"] == 40
    assert created["campaigns"] == [
        {"id": created["campaigns"][0]["id"], "name": "x3", "points": 40, "applied": True}
    ]
    assert created["balance"]["available"] == 60
    replay = api.post("/api/v1/purchases", body, idempotency_key="k1")
    assert replay.json() == created
