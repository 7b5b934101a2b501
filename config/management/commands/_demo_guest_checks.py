"""Demo data for `seed_demo`: checks paid without a card over the same months as the members'
purchases, so the share of checks with a card and the average check of members against other
customers show something real on the dashboard."""

import datetime as dt
import random
from decimal import Decimal

from loyalty.models import GuestCheck, Purchase, Store
from loyalty.services.guest_checks import record_guest_check
from loyalty.services.program import get_program, program_zone

# About 35 % of the checks are paid without a card; customers without one buy a little less.
SHARE_WITHOUT_CARD = Decimal("0.35")
TOTALS = {"market": (Decimal("90"), Decimal("2200")), "coffee": (Decimal("110"), Decimal("520"))}


def seed_guest_checks(
    *,
    stores: dict[str, list[Store]],
    market: str,
    cashier,
    start: dt.datetime,
    now: dt.datetime,
    seed: int,
) -> int:
    """Once (nothing is done while any check without a card exists): record checks without a
    card at the demo stores between `start` and `now`, in shop hours of the program's time
    zone, as many as make about 35 % of all checks. Returns how many were recorded."""
    if GuestCheck.objects.exists():
        return 0
    with_card = Purchase.objects.filter(occurred_at__gte=start).count()
    count = int(with_card * SHARE_WITHOUT_CARD / (1 - SHARE_WITHOUT_CARD))
    rng = random.Random(seed * 7 + 19)
    zone = program_zone(get_program())
    days = max((now - start).days, 1)
    for number in range(1, count + 1):
        partner_name = market if rng.random() < 0.7 else next(p for p in stores if p != market)
        store = rng.choice(stores[partner_name])
        day = (start + dt.timedelta(days=rng.randrange(days))).astimezone(zone).date()
        moment = dt.datetime.combine(
            day, dt.time(rng.randint(9, 20), rng.randrange(60), rng.randrange(60)), tzinfo=zone
        )
        if moment > now:  # later today: the same hour yesterday
            moment -= dt.timedelta(days=1)
        low, high = TOTALS["market" if partner_name == market else "coffee"]
        total = (low + (high - low) * Decimal(rng.random()) ** 2).quantize(Decimal("0.01"))
        record_guest_check(
            partner=store.partner,
            store=store,
            external_id=f"{'KM' if partner_name == market else 'KZ'}-G-{number:06d}",
            total=total,
            occurred_at=moment,
            channel=Purchase.Channel.TILL,
            cashier=cashier if store == stores[market][0] else None,
            now=moment,
        )
    return count
