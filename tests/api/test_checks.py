"""The fast path for check bodies (api/checks.py) agrees with the serializers."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from api import serializers as s
from api.checks import plain_check
from api.views import parse

PLAIN_LINE = {
    "sku": "MILK-1L",
    "name": "Milk",
    "quantity": "2",
    "price": "89.90",
    "amount": "179.80",
}


def serializer_result(serializer_class, data):
    try:
        return parse(serializer_class, data)
    except ValidationError:
        return "invalid"


# Well-formed bodies, then (half the time) one value replaced by an odd one.
def good_text(min_size, max_size):
    letters = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"))
    return st.one_of(
        st.text(letters, min_size=min_size, max_size=max_size),
        st.from_regex(rf" {{0,2}}[A-Za-z0-9.-]{{{min_size},{max_size}}} {{0,2}}", fullmatch=True),
    )


money = st.from_regex(r"\d{1,10}(\.\d{1,2})?", fullmatch=True)
quantity = st.from_regex(r"\d{1,9}(\.\d{1,3})?", fullmatch=True)
line = st.fixed_dictionaries(
    {"sku": good_text(1, 64)},
    optional={
        "name": good_text(0, 200),
        "category": good_text(0, 100),
        "quantity": quantity,
        "price": money,
        "amount": money,
        "redeemable": st.booleans(),
    },
)
body = st.fixed_dictionaries(
    {"member_id": st.integers(1, 10**6), "external_id": good_text(1, 100)},
    optional={
        "lines": st.lists(line, max_size=4),
        "amount": st.one_of(st.none(), money),
        "redeem_points": st.integers(0, 10**9),
        "store_id": st.one_of(st.none(), st.integers(1, 10**6)),
    },
)
odd = st.one_of(
    st.text(max_size=70),
    st.sampled_from(
        ["", " ", "a" * 65, "a" * 101, "x\x00y", "\ud800", "\u00a0B", "a\nb", "\t", "true"]
    ),
    st.sampled_from(["1.", ".5", "1.5 ", " 2", "NaN", "1e3", "-0", "+1", "-5.00", "1.001"]),
    st.sampled_from(["99999999999", "9999999999.99", "0000000000.00", "1234567890.123"]),
    st.sampled_from([0, -1, 1, 2**63 - 1, 2**63, 2**70, 10**9 + 1, 1.0, True, False, None]),
    st.lists(st.just(PLAIN_LINE), min_size=0, max_size=2),
    st.just({}),
)


@st.composite
def check(draw):
    data = draw(body)
    if draw(st.booleans()):
        target = data
        if data.get("lines") and draw(st.booleans()):
            target = draw(st.sampled_from(data["lines"]))
        key = draw(st.sampled_from([*sorted(target), "occurred_at", "x"]))
        target[key] = draw(odd)
    return data


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=check(), purchase=st.booleans())
def test_a_plain_check_is_validated_exactly_as_the_serializer_does(data, purchase):
    plain = plain_check(data, purchase=purchase)
    if plain is not None:
        assert plain == serializer_result(s.PurchaseIn if purchase else s.QuoteIn, data)


@pytest.mark.parametrize("purchase", [False, True])
def test_the_usual_bodies_take_the_fast_path(purchase):
    data = {
        "member_id": 42,
        "lines": [PLAIN_LINE, {"sku": " CIG ", "amount": "250", "redeemable": False}],
        "redeem_points": 10,
        "external_id": "0001-000123",
        "store_id": None,
    }
    plain = plain_check(data, purchase=purchase)
    assert plain is not None
    assert plain == parse(s.PurchaseIn if purchase else s.QuoteIn, data)
    assert plain["lines"][1]["sku"] == "CIG"
    assert str(plain["lines"][0]["quantity"]) == "2.000"
    assert ("external_id" in plain) is purchase


@pytest.mark.parametrize(
    "data",
    [
        {"member_id": "42", "amount": "10.00"},  # the serializer accepts a numeric string
        {"member_id": 42, "amount": 10},  # and JSON numbers
        {"member_id": 42, "amount": "10.001"},  # and words the error
        {"member_id": 42, "amount": "99999999999"},  # 11 whole digits: over max_digits
        {"member_id": 42, "lines": [{"sku": "A", "quantity": "1234567890"}]},  # 10 whole digits
        {"member_id": 42, "lines": [{"sku": "A" * 65}]},
        {"member_id": 42, "redeem_points": 10**9 + 1},
        [],
    ],
)
@pytest.mark.parametrize("purchase", [False, True])
def test_other_bodies_go_to_the_serializer(data, purchase):
    if purchase and isinstance(data, dict):
        data = {**data, "external_id": "A"}  # so that only the odd value can send it there
    assert plain_check(data, purchase=purchase) is None


def test_a_purchase_time_goes_to_the_serializer_and_a_quote_ignores_it():
    data = {"member_id": 42, "amount": "1.00", "external_id": "A", "occurred_at": "2026-01-01"}
    assert plain_check(data, purchase=True) is None
    assert plain_check(data, purchase=False) == parse(s.QuoteIn, data)


def test_the_bounds_are_right_at_the_serializers_limits():
    data = {
        "member_id": 2**63 - 1,
        "amount": "9999999999.99",
        "lines": [{"sku": "A" * 64, "quantity": "999999999.999", "price": "9999999999.99"}],
        "redeem_points": 10**9,
    }
    assert plain_check(data, purchase=False) == parse(s.QuoteIn, data)
