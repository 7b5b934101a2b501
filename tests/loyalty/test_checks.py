"""The services' check rules (loyalty.services.checks.build_check) word a line's errors under
the same `fields` keys as the check parser the API and the desk use: lines.0.price."""

import pytest
from django.utils import translation

from core.errors import InvalidInput
from loyalty.errors import InvalidCheck
from loyalty.services.checks import build_check, parse_check


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def fields_of(lines=None, amount=None) -> dict:
    with pytest.raises(InvalidCheck) as refused:
        build_check(lines, amount)
    return {name: [str(m) for m in messages] for name, messages in refused.value.fields.items()}


def test_a_lines_errors_are_keyed_like_the_parsers():
    assert list(fields_of([{"sku": "A", "price": "1"}, {"sku": " "}])) == ["lines.1.sku"]
    assert list(fields_of([{"sku": "A", "price": "1", "quantity": "0"}])) == ["lines.0.quantity"]
    with pytest.raises(InvalidInput) as parsed:
        parse_check({"member_id": 1, "lines": [{"sku": "A"}, {"sku": ""}]}, purchase=False)
    assert list(parsed.value.fields) == ["lines.1.sku"]


def test_a_line_needs_a_price_or_an_amount():
    assert fields_of([{"sku": "MILK", "quantity": "2"}]) == {
        "lines.0.price": ["Each line needs a price or an amount."]
    }
    by_amount = build_check([{"sku": "MILK", "quantity": "2", "amount": "179.80"}])
    assert str(by_amount[0].amount) == "179.80"
