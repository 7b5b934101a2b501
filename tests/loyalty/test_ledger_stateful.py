"""Random purchases, refunds, adjustments, activations and burns, with time moving forward:
after every step every ledger invariant holds."""

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from loyalty.errors import InsufficientPoints, RedeemLimitExceeded, RefundExceedsPurchase
from loyalty.models import Account, Purchase
from loyalty.money import from_kopecks
from loyalty.services import (
    activate_due_points,
    adjust_points,
    burn_expired_points,
    quote_purchase,
    record_purchase,
    refund_purchase,
)
from loyalty.services.audit import ledger_problems
from tests.factories import T0, PartnerFactory, make_member
from tests.loyalty.helpers import days, set_program

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

_numbers = itertools.count(1)
line = st.tuples(st.integers(min_value=1, max_value=500_000), st.booleans())


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = T0
        self.member = make_member(now=T0)
        self.partner = PartnerFactory(name="Stateful shop")
        self.purchases: list[int] = []
        self.last_refund = None

    @initialize(policy=st.sampled_from(["debt", "withhold"]), delay=st.sampled_from([0, 0, 3, 7]))
    def configure(self, policy, delay):
        set_program(refund_policy=policy, activation_delay_days=delay)

    @rule(lines=st.lists(line, min_size=1, max_size=4), share=st.integers(0, 110))
    def purchase(self, lines, share):
        check = [
            {"sku": f"S{i}", "price": str(from_kopecks(k)), "redeemable": r}
            for i, (k, r) in enumerate(lines)
        ]
        quote = quote_purchase(member_id=self.member.pk, lines=check, now=self.now)
        redeem = quote.max_redeem_points * share // 100
        try:
            result = record_purchase(
                member_id=self.member.pk,
                partner=self.partner,
                external_id=f"P{next(_numbers)}",
                lines=check,
                redeem_points=redeem,
                now=self.now,
            )
        except (RedeemLimitExceeded, InsufficientPoints):
            # Over the cap: refused as over the share, or as over the balance when the
            # balance is what capped it.
            assert redeem > quote.max_redeem_points
            return
        assert redeem <= quote.max_redeem_points
        assert sum(d.discount for d in result.lines) == result.purchase.discount
        self.purchases.append(result.purchase.pk)

    @precondition(lambda self: self.purchases)
    @rule(data=st.data(), mode=st.sampled_from(["whole", "amount", "lines"]))
    def refund(self, data, mode):
        purchase = Purchase.objects.get(pk=data.draw(st.sampled_from(self.purchases)))
        kwargs = {}
        if mode == "amount":
            left = int((purchase.total - purchase.refunded_total) * 100)
            kwargs["amount"] = str(from_kopecks(data.draw(st.integers(1, max(1, left)))))
        elif mode == "lines":
            kwargs["lines"] = [{"sku": data.draw(st.sampled_from(["S0", "S1"])), "quantity": 1}]
        number = f"R{next(_numbers)}"
        try:
            refund = refund_purchase(
                purchase_id=purchase.pk, external_id=number, now=self.now, **kwargs
            )
        except RefundExceedsPurchase:
            return
        except Exception as exc:  # an unknown SKU is refused as invalid input
            assert getattr(exc, "code", "") == "invalid_check", exc
            return
        self.last_refund = (purchase.pk, number, kwargs, refund.pk)

    @precondition(lambda self: self.last_refund)
    @rule()
    def repeat_last_refund(self):
        purchase_id, number, kwargs, refund_id = self.last_refund
        before = Account.objects.get(pk=self.member.pk)
        again = refund_purchase(purchase_id=purchase_id, external_id=number, now=self.now, **kwargs)
        after = Account.objects.get(pk=self.member.pk)
        assert again.pk == refund_id
        assert (before.available, before.pending, before.debt) == (
            after.available,
            after.pending,
            after.debt,
        )

    @rule(points=st.integers(-300, 300).filter(bool))
    def adjust(self, points):
        try:
            adjust_points(
                member_id=self.member.pk, points=points, reason="stateful", staff=None, now=self.now
            )
        except InsufficientPoints:
            assert points < 0

    @rule()
    def activate(self):
        activate_due_points(now=self.now)

    @rule()
    def burn(self):
        burn_expired_points(now=self.now)
        burn_expired_points(now=self.now)

    @rule(n=st.integers(0, 120))
    def time_passes(self, n):
        self.now += days(n)

    @invariant()
    def every_invariant_holds(self):
        problems = ledger_problems(member_ids=[self.member.pk])
        assert problems == [], [str(p) for p in problems]
        for p in Purchase.objects.filter(member=self.member):
            assert 0 <= p.returned_points + p.forfeited_points <= p.redeemed_points
            assert 0 <= p.clawed_back_points <= p.earned_points
            assert p.refunded_total <= p.total


def test_random_ledger_histories_keep_every_invariant(db):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
