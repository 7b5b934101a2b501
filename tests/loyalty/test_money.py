"""Money arithmetic: one rounding helper, exact to the kopeck."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.money import add_months, floor_points, parse_money, split_proportionally

weights = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40)


@given(weights=weights, data=st.data())
def test_split_sums_exactly_and_never_exceeds_a_weight(weights, data):
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    if sum(weights) == 0:
        total = 0
    shares = split_proportionally(total, weights)
    assert sum(shares) == total
    assert len(shares) == len(weights)
    for share, weight in zip(shares, weights):
        assert 0 <= share <= weight
        if weight == 0:
            assert share == 0


@given(weights=weights, data=st.data())
def test_split_is_within_one_of_the_exact_proportion(weights, data):
    weight_sum = sum(weights)
    total = data.draw(st.integers(min_value=0, max_value=10**12)) if weight_sum else 0
    shares = split_proportionally(total, weights)
    for share, weight in zip(shares, weights):
        exact_floor = total * weight // weight_sum if weight_sum else 0
        assert exact_floor <= share <= exact_floor + 1


def test_split_ties_go_to_the_earlier_line():
    assert split_proportionally(1, [1, 1, 1]) == [1, 0, 0]
    assert split_proportionally(2, [1, 1, 1]) == [1, 1, 0]


def test_split_refuses_negative_or_impossible_input():
    with pytest.raises(ValueError):
        split_proportionally(-1, [1])
    with pytest.raises(ValueError):
        split_proportionally(1, [0, 0])


def test_points_round_down_to_whole_points():
    assert floor_points(Decimal("3000"), Decimal("50")) == 60
    assert floor_points(Decimal("149.99"), Decimal("50")) == 2
    assert floor_points(Decimal("0"), Decimal("50")) == 0


@pytest.mark.parametrize("bad", ["1.001", "abc", "NaN", "Infinity", None, ""])
def test_money_has_at_most_two_decimals(bad):
    with pytest.raises((ValueError, TypeError)):
        parse_money(bad)


def test_six_months_after_the_31st_is_the_last_day_of_the_month():
    import datetime as dt

    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
