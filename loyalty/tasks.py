"""Celery beat jobs: thin wrappers over the services, safe to run twice.

Each job does all the work due as of the moment it runs, so a job missed for days (worker down,
machine off) catches up in its next run, and each logs and returns one line saying what it did.
"""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from loyalty.services import activate_due_points, burn_expired_points, review_tiers

logger = logging.getLogger(__name__)


def _report(job: str, now: dt.datetime, counts: dict[str, int]) -> str:
    """One line for the worker's log and the task's result: the job, its `now`, its counts."""
    done = ", ".join(f"{name} {count}" for name, count in counts.items())
    line = f"{job} as of {timezone.localtime(now).isoformat(timespec='seconds')}: {done}"
    logger.info(line)
    return line


@shared_task(name="loyalty.tasks.activate_points")
def activate_points() -> str:
    now = timezone.now()
    return _report("activate_points", now, {"lots activated": activate_due_points(now=now)})


@shared_task(name="loyalty.tasks.burn_points")
def burn_points() -> str:
    now = timezone.now()
    return _report("burn_points", now, {"lots burnt": burn_expired_points(now=now)})


@shared_task(name="loyalty.tasks.review_tiers")
def review_tiers_task() -> str:
    now = timezone.now()
    return _report("review_tiers", now, review_tiers(now=now))


@shared_task(name="loyalty.tasks.purge_idempotency_records")
def purge_idempotency_records() -> str:
    from loyalty.services.idempotency import delete_old_records

    now = timezone.now()
    return _report(
        "purge_idempotency_records", now, {"records deleted": delete_old_records(now=now)}
    )


@shared_task(name="loyalty.tasks.purge_login_codes")
def purge_login_codes() -> str:
    from customers.otp import delete_old_codes

    now = timezone.now()
    return _report("purge_login_codes", now, {"codes deleted": delete_old_codes(now=now)})


@shared_task(name="loyalty.tasks.run_history_import")
def run_history_import(job_id: int) -> str:
    """Process one history import job (safe to run twice: a finished job is left alone, a
    second runner stops; a job cut short resumes after its last chunk)."""
    from loyalty.services.history import process_history_import

    now = timezone.now()
    job = process_history_import(job_id=job_id, now=now)
    if job is None:
        return _report("run_history_import", now, {"jobs run": 0})
    return _report(
        "run_history_import",
        now,
        {
            "rows": job.rows_processed,
            "imported": job.rows_imported,
            "skipped": job.rows_skipped,
            "failed": job.rows_failed,
        },
    )
