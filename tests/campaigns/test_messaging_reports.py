"""Delivery figures and conversion of a trigger, on a hand-made log: every expected number below
is counted by hand from the definitions in campaigns/messaging_reports.py."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.checkout import record_purchase
from campaigns.messaging_reports import conversions, delivery_figures, trigger_report
from campaigns.models import Message, Trigger
from tests.factories import make_member

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
S, R = Message.Status, Message.Reason


def make_trigger(code="expiry-test", conversion_days=7, **fields) -> Trigger:
    return Trigger.objects.create(
        code=code,
        name=code,
        kind=fields.pop("kind", Trigger.Kind.EXPIRY),
        topic=fields.pop("topic", Trigger.Topic.EXPIRY),
        channels=["email"],
        conversion_days=conversion_days,
        **fields,
    )


def log(trigger, member, status, reason="", *, created, sent=None, occasion=None) -> Message:
    return Message.objects.create(
        trigger=trigger,
        member=member,
        topic=trigger.topic,
        channel="email" if status != S.SUPPRESSED else "",
        status=status,
        reason=reason,
        occasion=occasion or f"{status}-{reason}-{created:%Y%m%d%H%M}",
        created_at=created,
        sent_at=sent,
    )


def buy(member, partner, moment, external_id):
    return record_purchase(
        member_id=member.pk, partner=partner, now=moment, amount="500.00", external_id=external_id
    )


@pytest.fixture
def period(now):
    return now, now + 30 * DAY


@pytest.fixture
def data(now, partner):
    """One trigger (7-day window) and another; members messaged, held out and suppressed."""
    trigger = make_trigger()
    other = make_trigger("other", kind=Trigger.Kind.WELCOME, topic=Trigger.Topic.OFFERS)
    joined = now - 10 * DAY
    a, b, c, d, e, h1, h2, z = (make_member(now=joined) for _ in range(8))
    # Messaged: A twice (bought 3 days after the first), B (bought 7 days and 1 minute after:
    # too late), C (bought only before the message; also held out once — counts as messaged).
    log(trigger, a, S.SENT, created=now, sent=now + HOUR, occasion="a-1")
    log(trigger, a, S.SENT, created=now + 2 * DAY, sent=now + 2 * DAY, occasion="a-2")
    buy(a, partner, now + 3 * DAY, "a")
    log(trigger, b, S.SENT, created=now, sent=now, occasion="b-1")
    buy(b, partner, now + 7 * DAY + dt.timedelta(minutes=1), "b")
    log(trigger, c, S.SENT, created=now + DAY, sent=now + DAY, occasion="c-1")
    buy(c, partner, now - DAY, "c")
    log(trigger, c, S.SUPPRESSED, R.HOLDOUT, created=now + 5 * DAY, occasion="c-2")
    # Waited for quiet hours: D still queued, E sent in the morning (and bought the next day).
    log(trigger, d, S.QUEUED, R.QUIET_HOURS, created=now + 4 * DAY, occasion="d-1")
    log(trigger, e, S.SENT, R.QUIET_HOURS, created=now + 4 * DAY, sent=now + 4 * DAY + 9 * HOUR)
    buy(e, partner, now + 5 * DAY, "e")
    log(trigger, e, S.FAILED, R.ERROR, created=now + 6 * DAY)
    # Suppressed for each reason once, on member D.
    for i, reason in enumerate((R.CAP, R.CONSENT, R.PREFERENCE, R.NO_ADDRESS)):
        log(trigger, d, S.SUPPRESSED, reason, created=now + (10 + i) * DAY)
    # Held out: H1 bought two days later, H2 never.
    log(trigger, h1, S.SUPPRESSED, R.HOLDOUT, created=now)
    buy(h1, partner, now + 2 * DAY, "h1")
    log(trigger, h2, S.SUPPRESSED, R.HOLDOUT, created=now)
    # Outside the period, and another trigger: never counted for `trigger`.
    log(trigger, z, S.SENT, created=now - DAY, sent=now - DAY)
    buy(z, partner, now + HOUR, "z")
    log(other, z, S.SENT, created=now, sent=now)
    return trigger, other


def test_delivery_figures_count_statuses_and_suppression_reasons(data, period):
    trigger, other = data
    start, end = period
    figures = delivery_figures(start=start, end=end)[trigger.pk]
    assert (figures.queued, figures.sent, figures.failed, figures.suppressed) == (1, 5, 1, 7)
    assert figures.total == 14
    assert figures.waited_quiet_hours == 2  # one still waiting, one sent after waiting
    assert figures.suppressed_by == {"holdout": 3, "cap": 1, "consent": 1, "preference": 1,
                                     "no_address": 1}  # fmt: skip
    assert delivery_figures(start=start, end=end)[other.pk].sent == 1


def test_conversion_compares_members_messaged_with_the_holdout_group(data, period):
    trigger, _ = data
    start, end = period
    result = conversions(start=start, end=end, trigger_ids=[trigger.pk])[trigger.pk]
    # Messaged: A (bought), B (too late), C (before only), E (bought) — C's holdout row does not
    # put C in the holdout group.
    assert (result.messaged, result.messaged_bought) == (4, 2)
    # Held out: H1 (bought), H2 (did not).
    assert (result.held_out, result.held_out_bought) == (2, 1)
    assert result.messaged_share == Decimal("0.5000")
    assert result.held_out_share == Decimal("0.5000")
    assert result.uplift == Decimal("0.0000")


def test_a_longer_conversion_window_counts_the_later_purchase(data, period):
    trigger, _ = data
    Trigger.objects.filter(pk=trigger.pk).update(conversion_days=8)
    start, end = period
    result = conversions(start=start, end=end, trigger_ids=[trigger.pk])[trigger.pk]
    assert (result.messaged, result.messaged_bought) == (4, 3)  # B now counts
    assert result.messaged_share == Decimal("0.7500")
    assert result.uplift == Decimal("0.2500")


def test_the_report_of_a_trigger_without_messages_has_zeros_and_no_uplift(period):
    trigger = make_trigger("quiet")
    start, end = period
    report = trigger_report(trigger=trigger, start=start, end=end)
    assert report.delivery.total == 0
    assert report.conversion.messaged == 0
    assert report.conversion.uplift is None
    assert [count for _, _, count in report.delivery.suppressed_rows()] == [0] * 8
