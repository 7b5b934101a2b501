"""Quotes, purchases and refunds through the partner API, with idempotency and isolation."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Member
from loyalty.models import Account, IdempotencyRecord, LedgerEntry, Purchase, Refund
from loyalty.services import record_purchase
from tests.api.test_auth_and_errors import assert_error
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

LINES = [
    {"sku": "MILK", "name": "Milk", "quantity": "2", "price": "100.00", "amount": "200.00"},
    {"sku": "BREAD", "quantity": "1", "price": "300.00", "amount": "300.00"},
    {"sku": "CIGS", "quantity": "1", "price": "500.00", "amount": "500.00", "redeemable": False},
]


def buy(api, member, key="key-1", **body):
    payload = {"external_id": "CHK-1", "member_id": member.pk, "amount": "1000.00", **body}
    return api.post("/api/v1/purchases", payload, idempotency_key=key)


def balance(member) -> int:
    return Account.objects.get(pk=member.pk).available


# --- quote ---------------------------------------------------------------------------------------
def test_a_quote_caps_redemption_at_30_percent_of_redeemable_goods_and_writes_nothing(
    api, rich_member, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        response = api.post(
            "/api/v1/purchases/quote",
            {"member_id": rich_member.pk, "lines": LINES, "redeem_points": 100},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["max_redeem_points"] == 150  # 30 % of the 500.00 ₽ of redeemable goods
    assert body["redeem_points"] == 100
    assert body["earn_points"] == 18  # (1000 - 100) / 50
    assert body["lines"] == [
        {"sku": "MILK", "amount": "200.00", "discount": "40.00"},
        {"sku": "BREAD", "amount": "300.00", "discount": "60.00"},
        {"sku": "CIGS", "amount": "500.00", "discount": "0.00"},
    ]
    assert body["campaigns"] == []
    assert not Purchase.objects.exists()
    assert balance(rich_member) == 1000


def test_a_quote_for_a_total_only(api, rich_member):
    body = api.post("/api/v1/purchases/quote", {"member_id": rich_member.pk, "amount": "99.99"})
    assert body.json()["max_redeem_points"] == 29
    assert body.json()["earn_points"] == 1


def test_a_quote_over_the_cap_is_422(api, rich_member):
    response = api.post(
        "/api/v1/purchases/quote",
        {"member_id": rich_member.pk, "amount": "100.00", "redeem_points": 31},
    )
    body = assert_error(response, 422, "redeem_limit_exceeded")
    assert body["max_redeem_points"] == 30


def test_a_quote_for_nobody_is_404_and_for_no_check_400(api, member):
    assert_error(
        api.post("/api/v1/purchases/quote", {"member_id": 99999, "amount": "10.00"}),
        404,
        "member_not_found",
    )
    assert_error(
        api.post("/api/v1/purchases/quote", {"member_id": member.pk}), 400, "invalid_check"
    )
    response = api.post("/api/v1/purchases/quote", {"member_id": member.pk, "amount": "10.001"})
    assert assert_error(response, 400, "invalid_input")["fields"]["amount"]


# --- purchase ------------------------------------------------------------------------------------
def test_a_purchase_redeems_then_earns_and_allocates_the_discount_over_lines(
    api, rich_member, store, django_assert_num_queries
):
    # 5 as below, plus reading the store.
    with django_assert_num_queries(6):
        response = buy(
            api, rich_member, lines=LINES, amount=None, redeem_points=150, store_id=store.pk
        )
    assert response.status_code == 201, response.content
    body = response.json()
    purchase = Purchase.objects.get()
    assert body["id"] == purchase.pk
    assert body["external_id"] == "CHK-1"
    assert body["redeemed_points"] == 150
    assert body["earned_points"] == 17  # (1000 - 150) / 50, rounded down
    assert body["total"] == "1000.00" and body["discount"] == "150.00"
    assert body["lines"][0] == {"sku": "MILK", "amount": "200.00", "discount": "60.00"}
    assert body["balance"] == {"available": 1000 - 150 + 17, "pending": 0}
    assert purchase.store == store
    assert purchase.idempotency_key == "key-1"
    assert body["occurred_at"].endswith("+03:00")


def test_the_number_of_queries_of_a_purchase_does_not_grow_with_lines(
    api, rich_member, django_assert_num_queries
):
    many = [{"sku": f"SKU{i}", "amount": "10.00"} for i in range(60)]
    # Key check; then take the idempotency key, lock the account and read its lots (one
    # statement), write it all — inside the service's transaction, which is 2 savepoints here.
    with django_assert_num_queries(5):
        response = buy(api, rich_member, lines=many, amount=None, redeem_points=100)
    assert response.status_code == 201


def test_a_purchase_without_an_idempotency_key_is_400(api, rich_member):
    response = api.post(
        "/api/v1/purchases",
        {"external_id": "CHK-1", "member_id": rich_member.pk, "amount": "10.00"},
    )
    assert_error(response, 400, "idempotency_key_required")
    assert not Purchase.objects.exists()


def test_over_the_cap_is_422_redeem_limit_exceeded(api, rich_member):
    body = assert_error(
        buy(api, rich_member, amount="100.00", redeem_points=31), 422, "redeem_limit_exceeded"
    )
    assert body["max_redeem_points"] == 30
    assert balance(rich_member) == 1000


def test_over_the_balance_is_422_insufficient_points(api, member):
    body = assert_error(buy(api, member, redeem_points=1), 422, "insufficient_points")
    assert body["available"] == 0


def test_a_blocked_member_is_422_member_blocked(api, rich_member):
    Member.objects.filter(pk=rich_member.pk).update(status=Member.Status.BLOCKED)
    assert_error(buy(api, rich_member), 422, "member_blocked")


def test_a_store_of_another_partner_is_refused(api, rich_member):
    foreign = StoreFactory()
    assert_error(buy(api, rich_member, store_id=foreign.pk), 400, "invalid_check")
    assert_error(buy(api, rich_member, key="k2", store_id=999999), 400, "invalid_check")


def test_the_same_check_number_under_another_key_is_409_purchase_exists(api, rich_member):
    first = buy(api, rich_member, key="key-1").json()
    body = assert_error(buy(api, rich_member, key="key-2"), 409, "purchase_exists")
    assert body["id"] == first["id"]
    assert "idempotency_key" not in body
    assert Purchase.objects.count() == 1


# --- idempotency ---------------------------------------------------------------------------------
def test_a_replay_returns_the_first_response_and_changes_nothing(api, rich_member):
    first = buy(api, rich_member, redeem_points=100)
    entries = LedgerEntry.objects.count()
    again = buy(api, rich_member, redeem_points=100)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.count() == entries
    assert Purchase.objects.count() == 1
    assert balance(rich_member) == 1000 - 100 + 18


def test_a_replay_after_later_purchases_still_answers_the_balance_of_its_time(api, rich_member):
    first = buy(api, rich_member, lines=LINES, amount=None, redeem_points=100)
    buy(api, rich_member, key="key-2", external_id="CHK-2", redeem_points=200)
    again = buy(api, rich_member, lines=LINES, amount=None, redeem_points=100)
    assert again.json() == first.json()
    assert again.json()["balance"] == {"available": 1000 - 100 + 18, "pending": 0}
    # The purchase row is the stored answer: the key's record holds no copy of it.
    record = IdempotencyRecord.objects.get(key="key-1")
    assert (record.response_status, record.response_body) == (201, None)


def test_a_key_used_again_after_its_record_was_deleted_replays_its_newest_purchase(
    api, rich_member
):
    buy(api, rich_member, key="k")
    IdempotencyRecord.objects.all().delete()  # as the daily clean-up does after 24 h
    second = buy(api, rich_member, key="k", external_id="CHK-2", amount="300.00")
    assert second.status_code == 201
    again = buy(api, rich_member, key="k", external_id="CHK-2", amount="300.00")
    assert again.json() == second.json() and again["Idempotent-Replayed"] == "true"


def test_a_refused_request_is_replayed_as_refused(api, member, now):
    assert_error(buy(api, member, redeem_points=5), 422, "insufficient_points")
    from loyalty.services import adjust_points

    adjust_points(member_id=member.pk, points=50, reason="gift", staff=None, now=now)
    # Same key and body: the stored answer, even though it would succeed now.
    assert_error(buy(api, member, redeem_points=5), 422, "insufficient_points")
    assert buy(api, member, key="key-2", redeem_points=5).status_code == 201


def test_the_same_key_with_another_body_is_422_idempotency_key_reused(api, rich_member):
    buy(api, rich_member, amount="100.00")
    assert_error(buy(api, rich_member, amount="200.00"), 422, "idempotency_key_reused")
    assert Purchase.objects.get().total == 100


def test_keys_are_per_partner(api, other_partner_api, rich_member):
    assert buy(api, rich_member).status_code == 201
    assert buy(other_partner_api, rich_member).status_code == 201
    assert Purchase.objects.count() == 2


def test_a_request_still_running_under_the_key_is_409_request_in_progress(
    api, rich_member, partner
):
    from loyalty.services.idempotency import request_hash

    payload = {"external_id": "CHK-2", "member_id": rich_member.pk, "amount": "1000.00"}
    # Claimed a moment ago by a request that has not finished yet.
    IdempotencyRecord.objects.create(
        partner=partner,
        key="busy",
        request_hash=request_hash("POST", "/api/v1/purchases", payload),
        created_at=timezone.now() - dt.timedelta(seconds=5),
    )
    response = api.post("/api/v1/purchases", payload, idempotency_key="busy")
    assert_error(response, 409, "request_in_progress")
    assert not Purchase.objects.exists()


def test_a_stale_claim_of_a_crashed_request_is_taken_over(api, rich_member, partner):
    from loyalty.services.idempotency import request_hash

    payload = {"external_id": "CHK-9", "member_id": rich_member.pk, "amount": "1000.00"}
    IdempotencyRecord.objects.create(
        partner=partner,
        key="crashed",
        request_hash=request_hash("POST", "/api/v1/purchases", payload),
        created_at=timezone.now() - dt.timedelta(minutes=2),
    )
    response = api.post("/api/v1/purchases", payload, idempotency_key="crashed")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get(key="crashed").response_status == 201


def test_a_crash_after_the_purchase_committed_is_answered_as_the_original_success(
    api, rich_member, partner, now
):
    """The process died between recording the purchase and storing the response."""
    from loyalty.services.idempotency import request_hash

    payload = {"external_id": "CHK-9", "member_id": rich_member.pk, "amount": "1000.00"}
    original = record_purchase(
        member_id=rich_member.pk,
        partner=partner,
        external_id="CHK-9",
        amount="1000.00",
        now=timezone.now(),
        idempotency_key="crashed",
    )
    IdempotencyRecord.objects.create(
        partner=partner,
        key="crashed",
        request_hash=request_hash("POST", "/api/v1/purchases", payload),
        created_at=timezone.now() - dt.timedelta(minutes=2),
    )
    response = api.post("/api/v1/purchases", payload, idempotency_key="crashed")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == original.purchase.pk
    assert body["earned_points"] == 20
    assert Purchase.objects.count() == 1
    assert api.post("/api/v1/purchases", payload, idempotency_key="crashed").json() == body


def test_a_purchase_that_fails_unexpectedly_leaves_its_key_free(api, rich_member, monkeypatch):
    import loyalty.services.purchases as purchases

    def broken(*args, **kwargs):
        raise RuntimeError("the tier check failed")

    # Inside the purchase's transaction, after the key was taken.
    monkeypatch.setattr(purchases, "upgrade_if_qualified", broken)
    assert_error(buy(api, rich_member, redeem_points=100), 500, "server_error")
    assert not IdempotencyRecord.objects.exists()
    assert not Purchase.objects.exists()
    monkeypatch.undo()
    assert buy(api, rich_member, redeem_points=100).status_code == 201
    assert balance(rich_member) == 1000 - 100 + 18


def test_an_answer_refused_before_the_purchase_began_is_stored_too(api, rich_member):
    first = buy(api, rich_member, store_id=999999)
    assert_error(first, 400, "invalid_check")
    assert buy(api, rich_member, store_id=999999).json() == first.json()
    assert_error(buy(api, rich_member, store_id=None), 422, "idempotency_key_reused")


def test_an_error_answer_yields_to_the_answer_stored_first(partner, now):
    """Two requests with one key, the first refused after its transaction rolled back: if the
    other stored its answer in between, that stored answer is the one sent."""
    from loyalty.services.idempotency import KeyGuard

    IdempotencyRecord.objects.create(
        partner=partner,
        key="k",
        request_hash="h",
        created_at=now,
        response_status=201,
        response_body={"id": 7},
        completed_at=now,
    )
    guard = KeyGuard(partner_id=partner.pk, key="k", fingerprint="h", now=now)
    assert guard.store_apart(422, {"code": "insufficient_points"}, now=now) == (201, {"id": 7})
    other = KeyGuard(partner_id=partner.pk, key="k", fingerprint="other", now=now)
    with pytest.raises(Exception, match="different request"):
        other.store_apart(422, {"code": "insufficient_points"}, now=now)


def test_old_idempotency_records_are_deleted_after_a_day(partner):
    from loyalty.services.idempotency import delete_old_records

    now = timezone.now()
    for key, age in (("old", 25), ("young", 23)):
        IdempotencyRecord.objects.create(
            partner=partner, key=key, request_hash="h", created_at=now - dt.timedelta(hours=age)
        )
    assert delete_old_records(now=now) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["young"]


def test_a_replay_after_the_records_are_purged_records_nothing_twice(api, rich_member):
    created = buy(api, rich_member, redeem_points=100).json()
    refunded = refund(api, created["id"])
    assert refunded.status_code == 201, refunded.content
    before = balance(rich_member)
    IdempotencyRecord.objects.all().delete()  # what the daily purge does after 24 hours

    assert_error(buy(api, rich_member, redeem_points=100), 409, "purchase_exists")
    again = refund(api, created["id"])  # a refund is known by its number: the same one answers
    assert again.status_code == 201 and again.json()["id"] == refunded.json()["id"]
    assert_error(refund(api, created["id"], key="other", amount="1.00"), 409, "refund_exists")
    assert balance(rich_member) == before
    assert Purchase.objects.count() == 1
    assert Refund.objects.count() == 1


# --- reading purchases and isolation -------------------------------------------------------------
def test_a_partner_reads_its_own_purchase_with_lines(api, rich_member):
    created = buy(api, rich_member, lines=LINES, amount=None, redeem_points=150).json()
    body = api.get(f"/api/v1/purchases/{created['id']}").json()
    assert body["id"] == created["id"]
    assert body["total"] == "1000.00"
    assert [ln["sku"] for ln in body["lines"]] == ["MILK", "BREAD", "CIGS"]
    assert body["lines"][0]["quantity"] == "2.000"
    assert body["refunds"] == []


def test_a_partner_cannot_see_or_refund_another_partners_purchase(
    api, other_partner_api, rich_member
):
    created = buy(api, rich_member).json()
    assert_error(
        other_partner_api.get(f"/api/v1/purchases/{created['id']}"), 404, "purchase_not_found"
    )
    response = other_partner_api.post(
        f"/api/v1/purchases/{created['id']}/refunds", {"external_id": "R1"}, idempotency_key="r"
    )
    assert_error(response, 404, "purchase_not_found")
    assert not Refund.objects.exists()


# --- refunds -------------------------------------------------------------------------------------
def refund(api, purchase_id, key="refund-1", **body):
    payload = {"external_id": "R-1", **body}
    return api.post(f"/api/v1/purchases/{purchase_id}/refunds", payload, idempotency_key=key)


def test_a_whole_refund_returns_redeemed_points_and_claws_back_earned(api, rich_member):
    created = buy(api, rich_member, redeem_points=100).json()
    response = refund(api, created["id"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["returned_points"] == 100
    assert body["clawed_back_points"] == 18
    assert body["shortfall_points"] == 0 and body["shortfall_amount"] == "0.00"
    assert body["balance"] == {"available": 1000, "pending": 0}
    assert body["amount"] == "1000.00"


def test_a_refund_by_lines_and_its_replay(api, rich_member):
    created = buy(api, rich_member, lines=LINES, amount=None).json()
    first = refund(api, created["id"], lines=[{"sku": "MILK", "quantity": "1"}])
    assert first.status_code == 201
    assert first.json()["amount"] == "100.00"
    again = refund(api, created["id"], lines=[{"sku": "MILK", "quantity": "1"}])
    assert again.json() == first.json()
    assert Refund.objects.count() == 1
    assert_error(
        refund(api, created["id"], lines=[{"sku": "MILK", "quantity": "2"}]),
        422,
        "idempotency_key_reused",
    )


def test_refunding_more_than_bought_is_422(api, rich_member):
    created = buy(api, rich_member, lines=LINES, amount=None).json()
    response = refund(api, created["id"], lines=[{"sku": "MILK", "quantity": "3"}])
    assert_error(response, 422, "refund_exceeds_purchase")
    assert_error(
        refund(api, created["id"], key="r2", amount="1000.01"), 422, "refund_exceeds_purchase"
    )


def test_a_refund_needs_an_idempotency_key_and_a_known_purchase(api, rich_member):
    created = buy(api, rich_member).json()
    response = api.post(f"/api/v1/purchases/{created['id']}/refunds", {"external_id": "R"})
    assert_error(response, 400, "idempotency_key_required")
    assert_error(refund(api, 999999), 404, "purchase_not_found")


def test_the_same_refund_number_with_another_body_is_409(api, rich_member):
    created = buy(api, rich_member, lines=LINES, amount=None).json()
    refund(api, created["id"], lines=[{"sku": "MILK", "quantity": "1"}])
    response = refund(api, created["id"], key="other", lines=[{"sku": "BREAD", "quantity": "1"}])
    assert_error(response, 409, "refund_exists")


def test_after_an_unexpected_failure_a_retry_with_the_same_key_runs_at_once(
    api, rich_member, monkeypatch
):
    from api import views as api_views

    def broken(**kwargs):
        raise RuntimeError("lost the database")

    with monkeypatch.context() as patch:
        patch.setattr(api_views, "record_purchase", broken)
        api.client.raise_request_exception = False
        assert_error(buy(api, rich_member), 500, "server_error")
    assert not IdempotencyRecord.objects.exists()
    assert buy(api, rich_member).status_code == 201


def test_enrolling_with_an_idempotency_key_replays_the_first_answer(api):
    body = {"phone": "+79125550199", "consents": {"personal_data": True}}
    first = api.post("/api/v1/members", body, idempotency_key="join-1")
    again = api.post("/api/v1/members", body, idempotency_key="join-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Member.objects.filter(phone="+79125550199").count() == 1
