"""Demo data for `seed_demo`: one finished bulk award (campaigns/bulk.py) — a thank-you to the
first members who joined, given by the marketer from an uploaded list of their phones."""

import datetime as dt

from campaigns import bulk
from campaigns.models import BulkOperation
from customers.models import Member

MEMBERS = 20
POINTS = 100
REASON = "Спасибо, что с нами с первых дней"


def seed_bulk(*, marketer, now: dt.datetime) -> str:
    """Once (nothing is done while any bulk operation exists): award POINTS to the first
    MEMBERS members by their phones, run to the end. Returns a line for the command's output."""
    if BulkOperation.objects.exists():
        return "Demo bulk award: already there."
    phones = list(
        Member.objects.filter(status=Member.Status.ACTIVE, erased_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("phone", flat=True)[:MEMBERS]
    )
    if not phones:
        return "Demo bulk award: no members."
    operation = bulk.create_operation(
        kind=BulkOperation.Kind.AWARD,
        points=POINTS,
        reason=REASON,
        rows=list(enumerate(phones, start=1)),
        list_name="first-members.csv",
        staff=marketer,
        now=now,
    )
    bulk.submit_operation(operation_id=operation.pk, staff=marketer, now=now)
    # The worker may have run it already (after commit); a second run does nothing.
    bulk.run_operation(operation_id=operation.pk, now=now)
    operation.refresh_from_db()
    return (
        f"Demo bulk award #{operation.pk}: {operation.points_moved} points to "
        f"{operation.applied} members."
    )
