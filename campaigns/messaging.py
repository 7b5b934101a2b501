"""Triggered messages: from a trigger's occasions to one logged message each, and its delivery.

`dispatch` takes the occasions a trigger's finder (campaigns/triggers.py) yields and, for each
(member, trigger, occasion) that has no message yet, decides in this order:
1. the member is active and in the trigger's segment (others are not its audience: no row);
2. the trigger's holdout (a stable share of members, logged as suppressed: holdout);
3. the topic's channels the member allows — the channel's marketing consent is live and the
   topic is not switched off there (customers.notifications.allowed) — then the first of them
   the member can be reached by and the trigger has words for (suppressed: consent,
   preference, no address, no template);
4. the frequency cap: at most N marketing messages (queued or sent) in D days per member across
   all triggers, counted while the member's row is locked so two jobs cannot both pass
   (suppressed: cap);
5. quiet hours in the member's time zone: the message is queued to go at their end (queued:
   quiet hours), otherwise at once.
Every outcome is one `Message` row; the unique (member, trigger, occasion) makes a job that runs
twice, is retried or catches up after downtime write nothing new. Queued messages go through the
Celery queue (campaigns.tasks.deliver_messages) and `deliver` sends each one once: it claims the
row under lock, checks consent again (it may have been withdrawn while the message waited), and
on a temporary failure retries with a growing delay, failing it after MAX_ATTEMPTS.
"""

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from zoneinfo import ZoneInfo

from django.db import transaction
from django.template import TemplateSyntaxError
from django.utils import timezone

from campaigns import templating
from campaigns.engine import held_out
from campaigns.models import Message, MessagingSettings, Trigger
from customers import notifications
from customers.models import Member
from loyalty.services.program import get_program

logger = logging.getLogger(__name__)

CHUNK = 1000
MAX_ATTEMPTS = 5
DETAILS = 200  # outcomes a report keeps for printing
_QUEUED, _SENT = Message.Status.QUEUED, Message.Status.SENT
_SUPPRESSED, _FAILED = Message.Status.SUPPRESSED, Message.Status.FAILED
Reason = Message.Reason


@dataclass(frozen=True)
class Occasion:
    """Something a trigger tells one member about, once: `key` is unique per (trigger,
    member); `variables` are its own template variables (JSON values); past `stale_at` it is not
    worth sending any more."""

    member_id: int
    key: str
    variables: dict = field(default_factory=dict)
    stale_at: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    member_id: int
    occasion: str
    channel: str
    status: str
    reason: str


@dataclass
class Report:
    """What one run of a trigger found and did (or, in a dry run, would do)."""

    trigger: str
    now: dt.datetime
    dry_run: bool = False
    found: int = 0
    already: int = 0
    stale: int = 0
    not_audience: int = 0
    outcomes: Counter = field(default_factory=Counter)
    details: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[(outcome.status, outcome.reason)] += 1
        if len(self.details) < DETAILS:
            self.details.append(outcome)

    def count(self, status: str, reason: str | None = None) -> int:
        return sum(n for (s, r), n in self.outcomes.items() if s == status and reason in (None, r))

    def line(self) -> str:
        queued = self.count(_QUEUED)
        waiting = self.count(_QUEUED, Reason.QUIET_HOURS)
        suppressed = ", ".join(
            f"{reason} {n}"
            for (status, reason), n in sorted(self.outcomes.items())
            if status == _SUPPRESSED
        )
        failed = self.count(_FAILED)
        parts = [
            f"{self.trigger} as of {timezone.localtime(self.now).isoformat(timespec='minutes')}"
            + (" (dry run)" if self.dry_run else ""),
            f"found {self.found}",
            f"to send {queued}" + (f" ({waiting} after quiet hours)" if waiting else ""),
            f"suppressed {self.count(_SUPPRESSED)}" + (f" ({suppressed})" if suppressed else ""),
        ]
        if failed:
            parts.append(f"failed {failed}")
        if self.already:
            parts.append(f"already done {self.already}")
        if self.stale:
            parts.append(f"too late {self.stale}")
        if self.not_audience:
            parts.append(f"not in the audience {self.not_audience}")
        return "; ".join(parts)


# --- the rules ------------------------------------------------------------------------------------
def member_zone(time_zone: str, program_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or program_zone)
    except (ValueError, KeyError):
        return ZoneInfo(program_zone)


def quiet_until(local: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime | None:
    """The end of the quiet hours `local` falls in (a local moment), or None outside them.
    The hours may span midnight (21:00–09:00) or not (13:00–15:00); start == end: none."""
    moment = local.timetz().replace(tzinfo=None)
    if start == end:
        return None
    inside = start <= moment < end if start < end else moment >= start or moment < end
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


def holdout_scope(trigger: Trigger) -> str:
    return f"trigger-{trigger.pk}"


def in_holdout(trigger: Trigger, member_id: int) -> bool:
    """The trigger's control group: told nothing and given no bonus of its campaign."""
    return held_out(holdout_scope(trigger), member_id, trigger.holdout_percent)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- dispatch -------------------------------------------------------------------------------------
def dispatch(
    trigger: Trigger,
    occasions: Iterable[Occasion],
    *,
    now: dt.datetime,
    dry_run: bool = False,
    enqueue: bool = True,
) -> Report:
    """Decide and log one message per new occasion (see the module's docstring); queue the
    ones due now for delivery (unless `enqueue` is off: the caller sends them itself). A dry
    run decides the same way and writes nothing."""
    report = Report(trigger=trigger.code, now=now, dry_run=dry_run)
    rules = MessagingSettings.current()
    templates = templating.templates_of(trigger)
    for chunk in _chunks(occasions, CHUNK):
        due = _dispatch_chunk(trigger, chunk, now, dry_run, rules, templates, report)
        if due and enqueue and not dry_run:
            from campaigns.tasks import enqueue_delivery

            enqueue_delivery(due)
    return report


def _dispatch_chunk(trigger, chunk, now, dry_run, rules, templates, report) -> list[int]:
    from campaigns import channels, segments

    report.found += len(chunk)
    fresh: dict[tuple[int, str], Occasion] = {}
    for occasion in chunk:
        if occasion.stale_at is not None and occasion.stale_at <= now:
            report.stale += 1
        else:
            fresh.setdefault((occasion.member_id, occasion.key), occasion)
    member_ids = {member_id for member_id, _key in fresh}
    done = set(
        Message.objects.filter(
            trigger=trigger, member_id__in=member_ids, occasion__in={key for _m, key in fresh}
        ).values_list("member_id", "occasion")
    )
    report.already += len(done & fresh.keys())
    todo = [occasion for pair, occasion in fresh.items() if pair not in done]
    if not todo:
        return []
    member_ids = {occasion.member_id for occasion in todo}
    people = templating.recipients(member_ids)
    audience = set(people)
    if trigger.segment_id is not None:
        audience &= segments.members_in(trigger.segment, audience)
    consented = notifications.consented_channels(audience)
    allowed = notifications.allowed(audience, trigger.topic, trigger.channels, consented=consented)
    reachable = channels.reachable_channels(audience, trigger.channels)

    rows: list[Message] = []
    candidates: list[tuple[Occasion, str]] = []
    for occasion in todo:
        member_id = occasion.member_id
        if member_id not in audience:
            report.not_audience += 1
            continue
        if in_holdout(trigger, member_id):
            rows.append(_row(trigger, occasion, now, _SUPPRESSED, Reason.HOLDOUT))
            continue
        permitted = allowed.get(member_id, [])
        if not permitted:
            refused = (
                Reason.PREFERENCE
                if consented.get(member_id, set()) & set(trigger.channels)
                else Reason.CONSENT
            )
            rows.append(_row(trigger, occasion, now, _SUPPRESSED, refused))
            continue
        usable = [c for c in permitted if c in reachable.get(member_id, ())]
        if not usable:
            rows.append(_row(trigger, occasion, now, _SUPPRESSED, Reason.NO_ADDRESS))
            continue
        language = people[member_id].language
        worded = [c for c in usable if templating.template_for(templates, c, language)]
        if not worded:
            rows.append(_row(trigger, occasion, now, _SUPPRESSED, Reason.NO_TEMPLATE))
            continue
        candidates.append((occasion, worded[0]))

    with transaction.atomic():
        rows += _capped_and_timed(trigger, candidates, people, now, dry_run, rules, templates)
        for message in rows:
            report.add(
                Outcome(
                    message.member_id,
                    message.occasion,
                    message.channel,
                    message.status,
                    message.reason,
                )
            )
        if dry_run or not rows:
            return []
        Message.objects.bulk_create(rows, ignore_conflicts=True)
    due_keys = {
        (m.member_id, m.occasion)
        for m in rows
        if m.status == _QUEUED and m.send_after is not None and m.send_after <= now
    }
    if not due_keys:
        return []
    return [
        pk
        for pk, member_id, key in Message.objects.filter(
            trigger=trigger,
            status=_QUEUED,
            member_id__in={m for m, _k in due_keys},
            occasion__in={k for _m, k in due_keys},
        ).values_list("pk", "member_id", "occasion")
        if (member_id, key) in due_keys
    ]


def _capped_and_timed(trigger, candidates, people, now, dry_run, rules, templates):
    """The frequency cap (counted with the members' rows locked) and quiet hours."""
    if not candidates:
        return []
    member_ids = sorted({occasion.member_id for occasion, _channel in candidates})
    if not dry_run:
        # NO KEY UPDATE: purchases referencing the member (KEY SHARE) are not blocked.
        list(
            Member.objects.select_for_update(no_key=True)
            .filter(pk__in=member_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    sent = Counter(
        Message.objects.filter(
            member_id__in=member_ids,
            status__in=[_QUEUED, _SENT],
            created_at__gt=now - dt.timedelta(days=rules.cap_days),
        ).values_list("member_id", flat=True)
    )
    program_zone = get_program().time_zone
    rows = []
    for occasion, channel in candidates:
        member_id = occasion.member_id
        if sent[member_id] >= rules.cap_messages:
            rows.append(_row(trigger, occasion, now, _SUPPRESSED, Reason.CAP, channel=channel))
            continue
        sent[member_id] += 1
        recipient = people[member_id]
        zone = member_zone(recipient.time_zone, program_zone)
        wait = quiet_until(now.astimezone(zone), rules.quiet_start, rules.quiet_end)
        template = templating.template_for(templates, channel, recipient.language)
        variables = templating.variables_for(
            recipient, occasion.variables, channel=channel, topic=trigger.topic
        )
        try:
            words = templating.render(template, variables)
        except TemplateSyntaxError as error:
            row = _row(trigger, occasion, now, _FAILED, Reason.ERROR, channel=channel)
            row.error = str(error)[:500]
            rows.append(row)
            continue
        row = _row(
            trigger,
            occasion,
            now,
            _QUEUED,
            Reason.QUIET_HOURS if wait else Reason.NONE,
            channel=channel,
        )
        row.send_after = wait.astimezone(dt.UTC) if wait else now
        row.subject, row.body, row.html = words.subject[:200], words.text, words.html
        rows.append(row)
    return rows


def _row(trigger, occasion, now, status, reason, *, channel="") -> Message:
    return Message(
        member_id=occasion.member_id,
        trigger=trigger,
        occasion=occasion.key[:100],
        topic=trigger.topic,
        channel=channel,
        status=status,
        reason=reason,
        context=dict(occasion.variables),
        created_at=now,
    )


# --- running triggers -----------------------------------------------------------------------------
def is_due(trigger: Trigger, now: dt.datetime) -> bool:
    """On, and for a broadcast: its time has come and it has not gone out yet."""
    if not trigger.enabled:
        return False
    if trigger.kind == Trigger.Kind.BROADCAST:
        return (
            trigger.send_at is not None
            and trigger.send_at <= now
            and (trigger.last_run_at is None or trigger.last_run_at < trigger.send_at)
        )
    return True


def run_trigger(
    trigger: Trigger, *, now: dt.datetime, dry_run: bool = False, enqueue: bool = True
) -> Report:
    """Find the trigger's occasions as of `now` and dispatch them; remember the run."""
    from campaigns.triggers import FINDERS

    occasions = FINDERS[trigger.kind](trigger, now, dry_run=dry_run)
    report = dispatch(trigger, occasions, now=now, dry_run=dry_run, enqueue=enqueue)
    if not dry_run:
        Trigger.objects.filter(pk=trigger.pk).update(last_run_at=now)
        trigger.last_run_at = now
    logger.info(report.line())
    return report


def run_due(
    *,
    now: dt.datetime,
    dry_run: bool = False,
    codes: Iterable[str] | None = None,
    enqueue: bool = True,
) -> list[Report]:
    """Run every due trigger (or the named ones, on or off) as beat would."""
    triggers = Trigger.objects.select_related("segment").order_by("kind", "code")
    chosen = (
        triggers.filter(code__in=list(codes)) if codes else (t for t in triggers if is_due(t, now))
    )
    return [run_trigger(t, now=now, dry_run=dry_run, enqueue=enqueue) for t in chosen]


# --- delivery -------------------------------------------------------------------------------------
def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt: 1, 2, 4, 8… minutes."""
    return dt.timedelta(minutes=2 ** max(0, attempts - 1))


def deliver(message_id: int, *, now: dt.datetime) -> str:
    """Send one queued message once, if it is due; returns what happened: sent, retry,
    failed, suppressed, waiting or skipped (already handled, or being sent elsewhere)."""
    from campaigns import channels

    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("member")
            .filter(pk=message_id, status=_QUEUED)
            .first()
        )
        if message is None:
            return "skipped"
        if message.send_after is not None and message.send_after > now:
            return "waiting"
        member = message.member
        if member.status != Member.Status.ACTIVE:
            return _close(message, _SUPPRESSED, Reason.INACTIVE)
        consented = notifications.consented_channels([member.pk])
        if message.channel not in notifications.allowed(
            [member.pk], message.topic, [message.channel], consented=consented
        ).get(member.pk, []):
            has_consent = message.channel in consented.get(member.pk, set())
            return _close(
                message, _SUPPRESSED, Reason.PREFERENCE if has_consent else Reason.CONSENT
            )
        message.address = channels.address_of(message.channel, member)
        if not message.address:
            return _close(message, _SUPPRESSED, Reason.NO_ADDRESS)
        message.attempts += 1
        try:
            channels.send(message, now=now)
        except channels.PermanentFailure as error:
            message.error = str(error)[:500]
            return _close(message, _FAILED, Reason.ERROR)
        except channels.TemporaryFailure as error:
            message.error = str(error)[:500]
            if message.attempts >= MAX_ATTEMPTS:
                return _close(message, _FAILED, Reason.ERROR)
            message.send_after = now + backoff(message.attempts)
            message.save(update_fields=["address", "attempts", "error", "send_after"])
            return "retry"
        message.sent_at = now
        return _close(message, _SENT, message.reason)


def retry_delay(message_id: int) -> float:
    """Seconds until a message's next attempt (0 if it is due)."""
    send_after = Message.objects.filter(pk=message_id).values_list("send_after", flat=True).first()
    if send_after is None:
        return 0.0
    return max(0.0, (send_after - timezone.now()).total_seconds())


def _close(message: Message, status: str, reason: str) -> str:
    message.status, message.reason = status, reason
    message.save(update_fields=["status", "reason", "address", "attempts", "error", "sent_at"])
    return status


def due_message_ids(*, now: dt.datetime, limit: int = 5000) -> list[int]:
    """Queued messages whose time has come (after quiet hours, a retry's delay, or a lost
    task), oldest first."""
    return list(
        Message.objects.filter(status=_QUEUED, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
