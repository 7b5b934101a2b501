"""One parser of a check body (loyalty.services.checks.parse_check): it accepts, answers and
words errors exactly as the documented serializers (api/serializers.py) would."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from api import serializers as s
from api.errors import flatten_errors
from api.views import parse
from core.errors import InvalidInput
from loyalty.services.checks import parse_check

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
    except ValidationError as exc:
        return flatten_errors(exc.detail)


def parser_result(data, purchase):
    try:
        return parse_check(data, purchase=purchase)
    except InvalidInput as exc:
        return {name: [str(m) for m in messages] for name, messages in exc.fields.items()}


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


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=check(), purchase=st.booleans())
def test_any_check_is_accepted_or_refused_exactly_as_the_documented_serializer_says(data, purchase):
    expected = serializer_result(s.PurchaseIn if purchase else s.QuoteIn, data)
    assert parser_result(data, purchase) == expected


@pytest.mark.parametrize("purchase", [False, True])
def test_a_usual_check_is_trimmed_and_quantized(purchase):
    data = {
        "member_id": 42,
        "lines": [PLAIN_LINE, {"sku": " CIG ", "amount": "250", "redeemable": False}],
        "redeem_points": 10,
        "external_id": "0001-000123",
        "store_id": None,
    }
    parsed = parse_check(data, purchase=purchase)
    assert parsed == parse(s.PurchaseIn if purchase else s.QuoteIn, data)
    assert parsed["lines"][1]["sku"] == "CIG"
    assert str(parsed["lines"][0]["quantity"]) == "2.000"
    assert ("external_id" in parsed) is purchase


ODD_BODIES = [
    {"member_id": "42", "amount": "10.00"},  # a numeric string is a number
    {"member_id": 42, "amount": 10},  # and so is a JSON number
    {"member_id": 42, "amount": " "},  # a blank total is no total
    {"member_id": 42, "amount": "10.001"},
    {"member_id": 42, "amount": "99999999999"},  # 11 whole digits: over max_digits
    {"member_id": 42, "amount": "1e3"},
    {"member_id": 42, "lines": [{"sku": "A", "quantity": "1234567890"}]},  # 10 whole digits
    {"member_id": 42, "lines": [{"sku": "A" * 65 + "\x00"}]},  # two messages for one field
    {"member_id": 42, "lines": [None, 5, {"sku": "A", "redeemable": "maybe"}]},
    {"member_id": 42, "lines": "A"},
    {"member_id": 42, "lines": None},
    {"member_id": 42, "lines": [{"sku": "A"}] * 501},
    {"member_id": 42, "redeem_points": 10**9 + 1},
    {"member_id": True, "redeem_points": 1.5},
    {"member_id": 42, "occurred_at": "1999-12-31T23:59:59Z", "confirmation": {"code": 7}},
    {"member_id": 42, "occurred_at": "yesterday", "confirmation": "1234"},
    {"member_id": 42, "occurred_at": "2026-01-01", "confirmation": None, "store_id": "x"},
    {"member_id": 42, "occurred_at": 12, "external_id": "\ud800"},
    {},
    [],
    None,
    "body",
]


@pytest.mark.parametrize("data", ODD_BODIES)
@pytest.mark.parametrize("purchase", [False, True])
def test_odd_checks_get_the_documented_answer_and_messages(data, purchase):
    expected = serializer_result(s.PurchaseIn if purchase else s.QuoteIn, data)
    assert parser_result(data, purchase) == expected


def test_a_purchase_time_is_read_in_the_shops_time_zone_and_a_quote_ignores_it():
    data = {"member_id": 42, "amount": "1.00", "external_id": "A", "occurred_at": "2026-01-01"}
    assert parse_check(data, purchase=True) == parse(s.PurchaseIn, data)
    assert "occurred_at" not in parse_check(data, purchase=False)


def test_the_bounds_are_right_at_the_documented_limits():
    data = {
        "member_id": 2**63 - 1,
        "amount": "9999999999.99",
        "lines": [{"sku": "A" * 64, "quantity": "999999999.999", "price": "9999999999.99"}],
        "redeem_points": 10**9,
    }
    assert parse_check(data, purchase=False) == parse(s.QuoteIn, data)
