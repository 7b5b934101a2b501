"""The rules every triggered message obeys (campaigns/messaging.py): consent and the member's
choices, the frequency cap, quiet hours in the member's time zone, one message per occasion
however often a job runs, holdout, retries — each checked on real rows and real outbox files."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from campaigns import messaging
from campaigns.messaging import Occasion
from campaigns.models import (
    Message,
    MessageTemplate,
    MessagingSettings,
    Segment,
    SegmentMember,
    Trigger,
)
from customers.models import NotificationPreference
from customers.notifications import CHANNEL_CONSENT
from customers.services import set_consent
from tests.factories import make_member

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=MOSCOW)  # a Tuesday, outside quiet hours
Status, Reason = Message.Status, Message.Reason

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    settings.PUSH_BACKEND = "campaigns.push.FilePushBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return tmp_path


def sms_files(outbox):
    return sorted(outbox.glob("sms-*.txt"))


def make_trigger(code="expiry-3d", channels=("sms", "email"), **fields) -> Trigger:
    trigger = Trigger.objects.create(
        code=code,
        name=code,
        kind=fields.pop("kind", Trigger.Kind.EXPIRY),
        topic=fields.pop("topic", Trigger.Topic.EXPIRY),
        enabled=True,
        channels=list(channels),
        **fields,
    )
    for channel in ("sms", "email", "push"):
        MessageTemplate.objects.create(
            trigger=trigger,
            channel=channel,
            language="ru",
            subject="Баллы сгорают",
            text="{{ first_name }}, через {{ days }} дня сгорят {{ points }} "
            '{{ points|plural_ru:"балл,балла,баллов" }} — успейте использовать до '
            '{{ expires_on|date:"j E" }}',
            html="<p>{{ first_name }}: {{ points }}</p>" if channel == "email" else "",
        )
    MessageTemplate.objects.create(
        trigger=trigger,
        channel="sms",
        language="en",
        text="{{ first_name }}, {{ points }} points expire on {{ expires_on|date:'F j' }}",
    )
    return trigger


def member_with(*channels, now=NOON, **fields):
    """A member who gave the marketing consent of each channel named."""
    member = make_member(now=now - dt.timedelta(days=100), **fields)
    for channel in channels:
        set_consent(
            member=member, kind=CHANNEL_CONSENT[channel], given=True, now=now, source="test"
        )
    return member


def occasion(member, key="2026-03-13", points=250):
    return Occasion(
        member_id=member.pk,
        key=key,
        variables={"points": points, "days": 3, "expires_on": key},
    )


def run(trigger, occasions, now=NOON, **kwargs):
    with time_machine.travel(now, tick=False):
        return messaging.dispatch(trigger, occasions, now=now, **kwargs)


@pytest.fixture
def sent_at_once(django_capture_on_commit_callbacks):
    """Dispatch with the delivery tasks the commit queues run (Celery is eager in tests)."""

    def dispatch(trigger, occasions, now=NOON, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return run(trigger, occasions, now=now, **kwargs)

    return dispatch


def test_a_consenting_member_gets_one_sms_in_their_words_with_their_figures(outbox, sent_at_once):
    trigger = make_trigger()
    anna = member_with("sms", first_name="Анна")

    report = sent_at_once(trigger, [occasion(anna)])

    message = Message.objects.get(member=anna, trigger=trigger)
    assert (message.status, message.channel, message.occasion) == ("sent", "sms", "2026-03-13")
    [sms] = sms_files(outbox)
    assert sms.read_text() == (
        f"To: {anna.phone}\n\n"
        "Анна, через 3 дня сгорят 250 баллов — успейте использовать до 13 марта\n"
    )
    assert report.count("queued") == 1 and report.found == 1


def test_english_speaking_members_get_the_english_words(outbox, sent_at_once):
    trigger = make_trigger()
    john = member_with("sms", first_name="John")
    john.language = "en"
    john.save(update_fields=["language"])

    sent_at_once(trigger, [occasion(john, points=21)])

    assert "John, 21 points expire on March 13" in sms_files(outbox)[0].read_text()


def test_without_the_channels_marketing_consent_nothing_goes_and_the_log_says_why(outbox):
    trigger = make_trigger()
    silent = member_with()  # personal data only

    report = run(trigger, [occasion(silent)])

    message = Message.objects.get(member=silent)
    assert (message.status, message.reason) == ("suppressed", "consent")
    assert report.count("suppressed", "consent") == 1
    assert not sms_files(outbox) and not mail.outbox


def test_the_first_channel_the_member_allows_is_used(sent_at_once):
    trigger = make_trigger(channels=("sms", "email"))
    reader = member_with("email", email="reader@example.com", first_name="Ира")

    sent_at_once(trigger, [occasion(reader)])

    assert Message.objects.get(member=reader).channel == "email"
    [email] = mail.outbox
    assert email.to == ["reader@example.com"]
    assert "Ира, через 3 дня сгорят 250 баллов" in email.body
    assert email.alternatives[0][0] == "<p>Ира: 250</p>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_choices_default_to_consent_and_a_switched_off_topic_is_respected(outbox):
    trigger = make_trigger(channels=("sms",))
    default_on = member_with("sms")
    switched_off = member_with("sms")
    NotificationPreference.objects.create(
        member=switched_off, channel="sms", kind="expiry", enabled=False
    )
    on_without_consent = member_with()
    NotificationPreference.objects.create(
        member=on_without_consent, channel="sms", kind="expiry", enabled=True
    )

    run(trigger, [occasion(m) for m in (default_on, switched_off, on_without_consent)])

    outcome = {m.member_id: (m.status, m.reason) for m in Message.objects.all()}
    assert outcome == {
        default_on.pk: ("queued", ""),
        switched_off.pk: ("suppressed", "preference"),
        on_without_consent.pk: ("suppressed", "consent"),
    }


def test_switching_off_another_topic_does_not_stop_this_one():
    trigger = make_trigger(channels=("sms",))
    member = member_with("sms")
    NotificationPreference.objects.create(
        member=member, channel="sms", kind="offers", enabled=False
    )

    run(trigger, [occasion(member)])

    assert Message.objects.get(member=member).status == "queued"


def test_at_most_three_messages_in_seven_days_across_all_triggers(sent_at_once, outbox):
    member = member_with("sms")
    triggers = [make_trigger(code=f"t{i}") for i in range(4)]
    for day, trigger in enumerate(triggers[:3]):
        sent_at_once(trigger, [occasion(member)], now=NOON + dt.timedelta(days=day))

    report = run(triggers[3], [occasion(member)], now=NOON + dt.timedelta(days=3))

    assert report.count("suppressed", "cap") == 1
    assert len(sms_files(outbox)) == 3
    # A week after the first message, there is room for one again.
    later = run(triggers[3], [occasion(member, key="2026-03-20")], now=NOON + dt.timedelta(days=7))
    assert later.count("queued") == 1


def test_the_cap_counts_the_messages_of_one_run_too():
    MessagingSettings.objects.update_or_create(pk=1, defaults={"cap_messages": 2})
    trigger = make_trigger(kind=Trigger.Kind.WELCOME, topic=Trigger.Topic.OFFERS)
    member = member_with("sms")

    report = run(trigger, [occasion(member, key=f"welcome:{step}") for step in (1, 2, 3)])

    assert (report.count("queued"), report.count("suppressed", "cap")) == (2, 1)


def test_holdout_and_suppressed_messages_do_not_count_against_the_cap():
    member = member_with("sms")
    blocked = make_trigger(code="blocked", channels=("email",))  # no e-mail consent
    for day in range(5):
        run(blocked, [occasion(member, key=f"d{day}")], now=NOON + dt.timedelta(days=day))

    report = run(make_trigger(code="open"), [occasion(member)], now=NOON + dt.timedelta(days=5))

    assert report.count("queued") == 1


def test_a_message_due_in_quiet_hours_waits_for_the_morning_and_is_not_dropped(
    outbox, django_capture_on_commit_callbacks
):
    trigger = make_trigger(channels=("sms",))
    member = member_with("sms")
    late = dt.datetime(2026, 3, 10, 23, 30, tzinfo=MOSCOW)

    with django_capture_on_commit_callbacks(execute=True):
        report = run(trigger, [occasion(member)], now=late)

    message = Message.objects.get(member=member)
    assert (message.status, message.reason) == ("queued", "quiet_hours")
    assert message.send_after == dt.datetime(2026, 3, 11, 9, 0, tzinfo=MOSCOW)
    assert report.count("queued", "quiet_hours") == 1 and not sms_files(outbox)

    call_command("run_triggers", "--trigger", "nothing", "--now", "2026-03-11T08:59")
    assert not sms_files(outbox)
    call_command("run_triggers", "--trigger", "nothing", "--now", "2026-03-11T09:00")
    message.refresh_from_db()
    assert message.status == "sent" and len(sms_files(outbox)) == 1


def test_quiet_hours_are_the_members_own_time_zone():
    trigger = make_trigger(channels=("sms",))
    moscow = member_with("sms")
    yekaterinburg = member_with("sms")  # two hours ahead of Moscow
    yekaterinburg.time_zone = "Asia/Yekaterinburg"
    yekaterinburg.save(update_fields=["time_zone"])
    evening = dt.datetime(2026, 3, 10, 20, 0, tzinfo=MOSCOW)  # 22:00 in Yekaterinburg

    run(trigger, [occasion(moscow), occasion(yekaterinburg)], now=evening)

    waits = dict(Message.objects.values_list("member_id", "send_after"))
    assert waits[moscow.pk] == evening
    assert waits[yekaterinburg.pk] == dt.datetime(
        2026, 3, 11, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Yekaterinburg")
    )


@pytest.mark.parametrize(
    ("clock", "quiet_until"),
    [
        ("20:59", None),
        ("21:00", "2026-03-11 09:00"),
        ("02:00", "2026-03-10 09:00"),
        ("09:00", None),
    ],
)
def test_quiet_hours_span_midnight(clock, quiet_until):
    hour, minute = map(int, clock.split(":"))
    local = dt.datetime(2026, 3, 10, hour, minute, tzinfo=MOSCOW)
    expected = (
        dt.datetime.fromisoformat(quiet_until).replace(tzinfo=MOSCOW) if quiet_until else None
    )
    assert messaging.quiet_until(local, dt.time(21), dt.time(9)) == expected


def test_a_job_run_twice_or_retried_writes_and_sends_one_message(outbox, sent_at_once):
    trigger = make_trigger(channels=("sms",))
    member = member_with("sms")

    sent_at_once(trigger, [occasion(member), occasion(member)])
    again = sent_at_once(trigger, [occasion(member)], now=NOON + dt.timedelta(hours=1))

    assert Message.objects.count() == 1 and len(sms_files(outbox)) == 1
    assert again.already == 1 and again.count("queued") == 0
    # The delivery task delivered twice (a redelivered Celery message) sends nothing more.
    message = Message.objects.get()
    assert messaging.deliver(message.pk, now=NOON) == "skipped"
    assert len(sms_files(outbox)) == 1


def test_a_stale_occasion_is_not_sent():
    trigger = make_trigger()
    member = member_with("sms")
    expired = Occasion(member.pk, "2026-03-09", {"points": 1}, stale_at=NOON - dt.timedelta(1))

    report = run(trigger, [expired])

    assert report.stale == 1 and not Message.objects.exists()


def test_holdout_members_are_logged_and_never_sent(outbox, sent_at_once):
    trigger = make_trigger(channels=("sms",), holdout_percent=50)
    members = [member_with("sms") for _ in range(16)]

    report = sent_at_once(trigger, [occasion(m) for m in members])

    held = set(Message.objects.filter(reason="holdout").values_list("member_id", flat=True))
    assert 0 < len(held) < 16
    assert held == {m.pk for m in members if messaging.held_out(f"trigger-{trigger.pk}", m.pk, 50)}
    assert len(sms_files(outbox)) == 16 - len(held) == report.count("queued")


def test_only_the_triggers_segment_is_its_audience():
    segment = Segment.objects.create(code="vip-list", name="VIP", kind=Segment.Kind.STATIC)
    trigger = make_trigger(segment=segment)
    inside, outside = member_with("sms"), member_with("sms")
    SegmentMember.objects.create(segment=segment, member=inside, since=NOON)

    report = run(trigger, [occasion(inside), occasion(outside)])

    assert list(Message.objects.values_list("member_id", flat=True)) == [inside.pk]
    assert report.not_audience == 1


def test_a_dry_run_decides_the_same_and_writes_nothing(outbox):
    trigger = make_trigger()
    member, silent = member_with("sms"), member_with()

    report = run(trigger, [occasion(member), occasion(silent)], dry_run=True)

    assert report.count("queued") == 1 and report.count("suppressed", "consent") == 1
    assert not Message.objects.exists() and not sms_files(outbox)


def test_a_channel_down_is_retried_with_growing_delays_then_failed(settings, outbox):
    settings.SMS_BACKEND = "tests.campaigns.test_messaging.DownSMS"
    trigger = make_trigger(channels=("sms",))
    member = member_with("sms")
    run(trigger, [occasion(member)])
    message = Message.objects.get()

    moments = []
    at = NOON
    for _attempt in range(messaging.MAX_ATTEMPTS - 1):
        assert messaging.deliver(message.pk, now=at) == "retry"
        message.refresh_from_db()
        moments.append(message.send_after - at)
        assert messaging.deliver(message.pk, now=at) == "waiting"  # not before its time
        at = message.send_after
    assert moments == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert messaging.deliver(message.pk, now=at) == "failed"
    message.refresh_from_db()
    assert (message.status, message.reason, message.attempts) == ("failed", "error", 5)
    assert "gateway down" in message.error


def test_consent_withdrawn_while_a_message_waited_stops_it(outbox):
    trigger = make_trigger(channels=("sms",))
    member = member_with("sms")
    late = dt.datetime(2026, 3, 10, 23, 0, tzinfo=MOSCOW)
    run(trigger, [occasion(member)], now=late)
    set_consent(member=member, kind="marketing_sms", given=False, now=late, source="cabinet")

    call_command("run_triggers", "--trigger", "nothing", "--now", "2026-03-11T09:30")

    message = Message.objects.get()
    assert (message.status, message.reason) == ("suppressed", "consent")
    assert not sms_files(outbox)


def test_a_broken_template_fails_that_message_with_the_error_and_not_the_job():
    trigger = make_trigger(channels=("sms",))
    MessageTemplate.objects.filter(trigger=trigger, channel="sms", language="ru").update(
        text="{% if %}"
    )
    member = member_with("sms")

    report = run(trigger, [occasion(member)])

    message = Message.objects.get()
    assert (message.status, message.reason) == ("failed", "error")
    assert message.error and report.count("failed") == 1


def test_a_member_no_longer_active_gets_nothing():
    trigger = make_trigger()
    member = member_with("sms")
    member.status = "closed"
    member.save(update_fields=["status"])

    report = run(trigger, [occasion(member)])

    assert report.not_audience == 1 and not Message.objects.exists()


class DownSMS:
    def send(self, phone, text):
        from customers.sms import SMSTemporaryError

        raise SMSTemporaryError("gateway down")


@pytest.mark.django_db(transaction=True)
def test_triggers_racing_for_one_member_never_pass_the_cap_together():
    from tests.race import race

    MessagingSettings.objects.update_or_create(pk=1, defaults={"cap_messages": 2})
    member = member_with("sms")
    triggers = [make_trigger(code=f"race-{i}", channels=("sms",)) for i in range(8)]

    outcomes = race(
        *[
            lambda t=t: messaging.dispatch(t, [occasion(member)], now=NOON, enqueue=False)
            for t in triggers
        ]
    )

    assert all(isinstance(o, messaging.Report) for o in outcomes), outcomes
    statuses = sorted(Message.objects.values_list("status", "reason"))
    assert statuses == [("queued", "")] * 2 + [("suppressed", "cap")] * 6


def test_the_default_expiry_reminder_catches_up_after_three_days_of_downtime_once(outbox, capsys):
    """Beat stopped the day the reminder came due (3 days before the points burn) and ran
    again three days later: the member still gets one reminder with the right figures, and
    the runs after it send nothing more."""
    from tests.loyalty.helpers import give

    member = member_with("sms", first_name="Вера", now=dt.datetime(2026, 1, 10, tzinfo=MOSCOW))
    give(member, 250, dt.datetime(2026, 1, 10, 12, 0, tzinfo=MOSCOW))  # burns at 11 July 00:00
    Trigger.objects.filter(code="expiry").update(channels=["sms"])

    call_command("run_triggers", "--trigger", "expiry", "--now", "2026-07-07T11:00")
    assert not sms_files(outbox)  # 4 days before: not due yet
    # Due from 8 July; beat is down on 8, 9 and 10 July until 10:00.
    call_command("run_triggers", "--now", "2026-07-10T10:00")
    call_command("run_triggers", "--now", "2026-07-10T10:10")

    [sms] = sms_files(outbox)
    assert "Через 1 день сгорят 250 баллов — успейте использовать до 10 июля." in sms.read_text()
    assert Message.objects.filter(member=member).count() == 1
    out = capsys.readouterr().out
    assert "expiry as of 2026-07-10T10:00" in out and "to send 1" in out
    assert "already done 1" in out
