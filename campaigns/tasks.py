"""Beat jobs of the campaigns app (schedules: campaigns/migrations, and one per trigger kept by
campaigns/schedules.py): thin wrappers over campaigns/events.py (event bonuses) and
campaigns/messaging.py (triggered messages), each safe to run twice (an occasion is given or
told once) and catching up after downtime within its window."""

import datetime as dt
import logging
from collections import Counter

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from campaigns import events

logger = logging.getLogger(__name__)


def summary(job: str, now: dt.datetime, results: list[events.Given]) -> str:
    """One line: the job, its `now`, how many members per outcome and the points given."""
    counts = Counter(row.reason for row in results)
    points = sum(row.points for row in results)
    done = ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items())) or "none due"
    line = (
        f"{job} as of {timezone.localtime(now).isoformat(timespec='seconds')}: "
        f"{done}; {points} points"
    )
    logger.info(line)
    return line


@shared_task(name="campaigns.tasks.give_birthday_bonuses")
def give_birthday_bonuses() -> str:
    now = timezone.now()
    return summary("give_birthday_bonuses", now, events.birthday_bonuses(now=now))


@shared_task(name="campaigns.tasks.give_anniversary_bonuses")
def give_anniversary_bonuses() -> str:
    now = timezone.now()
    return summary("give_anniversary_bonuses", now, events.anniversary_bonuses(now=now))


# --- triggered messages (campaigns/messaging.py) --------------------------------------------------
@shared_task(name="campaigns.tasks.run_trigger")
def run_trigger(code: str) -> str:
    """One trigger's beat job: find its occasions and dispatch them (safe to run twice)."""
    from campaigns import messaging
    from campaigns.models import Trigger

    now = timezone.now()
    trigger = Trigger.objects.select_related("segment").filter(code=code).first()
    if trigger is None or not messaging.is_due(trigger, now):
        return f"{code}: not due"
    return messaging.run_trigger(trigger, now=now).line()


DELIVERY_BATCH = 200


def enqueue_delivery(message_ids: list[int]) -> None:
    """Hand queued messages to the Celery queue in batches, once the transaction commits."""
    batches = [
        message_ids[i : i + DELIVERY_BATCH] for i in range(0, len(message_ids), DELIVERY_BATCH)
    ]
    for batch in batches:
        transaction.on_commit(lambda batch=batch: deliver_messages.delay(batch))


@shared_task(name="campaigns.tasks.deliver_messages")
def deliver_messages(message_ids: list[int]) -> str:
    """Send each message once; the ones a channel could not take now are handed back to the
    queue after their backoff (the row keeps the attempts, so a lost task loses nothing: the
    sweep below sends what is due)."""
    from campaigns import messaging

    outcomes = Counter()
    retry: dict[int, float] = {}
    for message_id in message_ids:
        outcome = messaging.deliver(message_id, now=timezone.now())
        outcomes[outcome] += 1
        if outcome == "retry":
            retry[message_id] = messaging.retry_delay(message_id)
    for message_id, delay in retry.items():
        deliver_messages.apply_async(([message_id],), countdown=delay)
    return ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))


@shared_task(name="campaigns.tasks.send_due_messages")
def send_due_messages() -> str:
    """Every few minutes: queue the messages whose time has come — quiet hours ended, a retry's
    delay passed, or a delivery task was lost."""
    from campaigns import messaging

    ids = messaging.due_message_ids(now=timezone.now())
    enqueue_delivery(ids)
    return f"{len(ids)} due"


@shared_task(name="campaigns.tasks.recompute_segments")
def recompute_segments() -> str:
    """The segments' beat job: incremental (a full run after the thresholds changed)."""
    from campaigns.segments import recompute

    now = timezone.now()
    result = recompute(now=now)
    if result.skipped:
        line = "recompute_segments: another run in progress"
    else:
        sizes = ", ".join(
            f"{row.segment.code} {row.members} (+{row.joined} -{row.left})"
            for row in result.segments
        )
        line = (
            f"recompute_segments as of {timezone.localtime(now).isoformat(timespec='seconds')}"
            f" ({'full' if result.full else 'incremental'}, {result.looked_at} members): {sizes}"
        )
    logger.info(line)
    return line


# --- webhooks to partners (campaigns/webhooks/) ---------------------------------------------------
@shared_task(name="campaigns.tasks.find_webhook_events")
def find_webhook_events() -> str:
    """Every 30 s: turn the rows committed since the last sweep into webhook events and queue
    their deliveries (safe to run twice: an event is written once)."""
    from campaigns.webhooks import events

    line = f"find_webhook_events: {events.sweep(now=timezone.now()).line()}"
    logger.info(line)
    return line


@shared_task(name="campaigns.tasks.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str:
    """POST one webhook delivery; a retry is handed back to the queue after its backoff (the
    row keeps its time, so a lost task loses nothing: send_due_webhooks sends what is due)."""
    from campaigns.webhooks import delivery

    outcome = delivery.deliver(delivery_id, now=timezone.now())
    if outcome == "retry":
        deliver_webhook.apply_async((delivery_id,), countdown=delivery.retry_delay(delivery_id))
    return outcome


@shared_task(name="campaigns.tasks.send_due_webhooks")
def send_due_webhooks() -> str:
    """Every minute: queue the webhook deliveries whose time has come — a retry's delay passed,
    or a delivery task was lost."""
    from campaigns.webhooks import delivery

    ids = delivery.due_delivery_ids(now=timezone.now())
    with transaction.atomic():
        delivery.enqueue(ids)
    return f"{len(ids)} due"


@shared_task(name="campaigns.tasks.send_monthly_report")
def send_monthly_report() -> str:
    """On the 1st: e-mail last month's program report to the marketers, once per month."""
    from campaigns.monthly_report import previous_month, program_today
    from campaigns.monthly_report import send_monthly_report as send

    now = timezone.now()
    month = previous_month(program_today(now))
    delivery = send(now=now, month=month)
    if delivery is None:
        line = f"send_monthly_report {month:%Y-%m}: already sent or nobody to send it to"
    else:
        line = f"send_monthly_report {month:%Y-%m}: sent to {len(delivery.recipients)}"
    logger.info(line)
    return line


# --- bulk operations (campaigns/bulk.py) ---------------------------------------------------------
@shared_task(name="campaigns.tasks.run_bulk_operation")
def run_bulk_operation(operation_id: int) -> str:
    """Move a queued bulk operation's points in chunks (safe to run twice: items done stay done)."""
    from campaigns import bulk

    done = bulk.run_operation(operation_id=operation_id, now=timezone.now())
    return f"bulk #{operation_id}: {done} members processed"


@shared_task(name="campaigns.tasks.undo_bulk_operation")
def undo_bulk_operation(operation_id: int) -> str:
    """Write the reversing entries of a bulk operation whose undo was asked (safe to run twice)."""
    from campaigns import bulk

    done = bulk.undo_operation(operation_id=operation_id, now=timezone.now())
    return f"bulk #{operation_id}: {done} members reversed"


@shared_task(name="campaigns.tasks.rollup_metrics")
def rollup_metrics() -> str:
    """Roll up the program's figures: yesterday, days missed, days that got late rows."""
    from campaigns.metrics.rollups import rollup_pending

    now = timezone.now()
    report = rollup_pending(now=now)
    line = (
        f"rollup_metrics as of {timezone.localtime(now).isoformat(timespec='seconds')}: "
        f"{len(report.days)} days ({len(report.late_days)} with late rows), "
        f"{len(report.months)} months"
    )
    logger.info(line)
    return line
