import datetime as dt
from decimal import Decimal

from loyalty.models import Account
from loyalty.services import adjust_points, quote_purchase, record_purchase


def test_default_program_worked_example(member, partner, now, db):
    res = record_purchase(
        member_id=member.pk, partner=partner, external_id="A1", amount="3000", now=now
    )
    assert res.purchase.earned_points == 60
    adjust_points(member_id=member.pk, points=4940, reason="gift", staff=None, now=now)
    later = now + dt.timedelta(days=1)
    q = quote_purchase(member_id=member.pk, amount="10000", now=later)
    assert q.max_redeem_points == 3000
    res = record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="A2",
        amount="10000",
        redeem_points=3000,
        now=later,
    )
    assert res.purchase.earned_points == 140
    acc = Account.objects.get(pk=member.pk)
    assert acc.available == 5000 - 3000 + 140
    assert res.purchase.discount == Decimal("3000.00")
