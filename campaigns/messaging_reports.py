"""What triggers did: delivery figures and conversion (read only).

Delivery figures count a trigger's messages made in a period (by `created_at`) by status, and the
suppressed ones by reason; "waited for quiet hours" counts every message that had to wait (it
may be queued or sent by now).

Conversion compares two groups of distinct members over the same period:
- messaged: members sent a message of the trigger (status sent); the message's moment is its
  `sent_at`;
- held out: members the trigger kept back on purpose (status suppressed, reason holdout); their
  moment is the row's `created_at`, when the message would have gone. A member who was also
  sent a message of the trigger in the period counts only as messaged.
A member converted when they bought (a loyalty Purchase of theirs, by the time it was bought,
`occurred_at`) after the moment and within the trigger's `conversion_days`. Shares are converted
members / members of the group; uplift is the messaged share less the held-out share (0.0500 is
+5 percentage points), None while either group is empty.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DateTimeField, DurationField, Exists, F, Func, OuterRef, Q
from django.db.models import ExpressionWrapper as Expr

from campaigns.models import Message, Trigger
from loyalty.models import Purchase

RATIO = Decimal("0.0001")
Status = Message.Status
Reason = Message.Reason

# The reasons a suppressed message is counted under, in the order the report lists them.
SUPPRESSION_REASONS = (
    Reason.CAP,
    Reason.CONSENT,
    Reason.PREFERENCE,
    Reason.NO_ADDRESS,
    Reason.NO_TEMPLATE,
    Reason.HOLDOUT,
    Reason.INACTIVE,
    Reason.STALE,
)


@dataclass(frozen=True)
class DeliveryFigures:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    waited_quiet_hours: int = 0
    suppressed_by: dict[str, int] = field(default_factory=dict)  # reason → messages

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed + self.suppressed

    def suppressed_rows(self) -> list[tuple[str, str, int]]:
        """(reason, its label, messages) for every reason, zeros included, in report order."""
        known = [
            (r.value, str(r.label), self.suppressed_by.get(r.value, 0)) for r in SUPPRESSION_REASONS
        ]
        other = sum(n for r, n in self.suppressed_by.items() if r not in SUPPRESSION_REASONS)
        return known + ([("", "—", other)] if other else [])


@dataclass(frozen=True)
class Conversion:
    messaged: int
    messaged_bought: int
    held_out: int
    held_out_bought: int

    @property
    def messaged_share(self) -> Decimal | None:
        return _share(self.messaged_bought, self.messaged)

    @property
    def held_out_share(self) -> Decimal | None:
        return _share(self.held_out_bought, self.held_out)

    @property
    def uplift(self) -> Decimal | None:
        if self.messaged_share is None or self.held_out_share is None:
            return None
        return self.messaged_share - self.held_out_share


NO_CONVERSION = Conversion(0, 0, 0, 0)


@dataclass(frozen=True)
class TriggerReport:
    trigger: Trigger
    start: dt.datetime
    end: dt.datetime
    delivery: DeliveryFigures
    conversion: Conversion


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, rounding=ROUND_HALF_UP)


def _messages(trigger_ids: Iterable[int] | None, start: dt.datetime, end: dt.datetime):
    messages = Message.objects.filter(created_at__gte=start, created_at__lt=end)
    if trigger_ids is not None:
        messages = messages.filter(trigger_id__in=list(trigger_ids))
    return messages


def delivery_figures(
    *, start: dt.datetime, end: dt.datetime, trigger_ids: Iterable[int] | None = None
) -> dict[int, DeliveryFigures]:
    """Per trigger (id): its messages made from `start` until `end` by status, the suppressed
    ones by reason, and how many waited for the end of quiet hours. One query."""
    rows = (
        _messages(trigger_ids, start, end)
        .values("trigger_id", "status", "reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict] = {}
    for row in rows:
        figures = counts.setdefault(
            row["trigger_id"], {"by": {}, **dict.fromkeys(Status.values, 0), "waited": 0}
        )
        figures[row["status"]] += row["n"]
        if row["status"] == Status.SUPPRESSED:
            figures["by"][row["reason"]] = figures["by"].get(row["reason"], 0) + row["n"]
        if row["reason"] == Reason.QUIET_HOURS:
            figures["waited"] += row["n"]
    return {
        trigger_id: DeliveryFigures(
            queued=c[Status.QUEUED],
            sent=c[Status.SENT],
            failed=c[Status.FAILED],
            suppressed=c[Status.SUPPRESSED],
            waited_quiet_hours=c["waited"],
            suppressed_by=c["by"],
        )
        for trigger_id, c in counts.items()
    }


def _days(expression) -> Func:
    return Func(
        expression, template="make_interval(days => %(expressions)s)", output_field=DurationField()
    )


def conversions(
    *, start: dt.datetime, end: dt.datetime, trigger_ids: Iterable[int] | None = None
) -> dict[int, Conversion]:
    """Per trigger (id): the members messaged and held out from `start` until `end`, and how
    many of each bought within the trigger's conversion window after their message. One query
    (the purchase checks are EXISTS on the purchases' member index)."""
    messages = _messages(trigger_ids, start, end)
    sent = Q(status=Status.SENT, sent_at__isnull=False)
    held_out = Q(status=Status.SUPPRESSED, reason=Reason.HOLDOUT)
    also_sent = messages.filter(
        sent, trigger_id=OuterRef("trigger_id"), member_id=OuterRef("member_id")
    )
    bought = Purchase.objects.filter(
        member_id=OuterRef("member_id"),
        occurred_at__gt=OuterRef("moment"),
        occurred_at__lte=OuterRef("window_end"),
    )
    rows = (
        messages.filter(sent | (held_out & ~Exists(also_sent)))
        .annotate(
            moment=Func(
                F("sent_at"), F("created_at"), function="COALESCE", output_field=DateTimeField()
            ),
        )
        .annotate(
            window_end=Expr(
                F("moment") + _days(F("trigger__conversion_days")), output_field=DateTimeField()
            )
        )
        .annotate(converted=Exists(bought))
        .values("trigger_id", "status")
        .annotate(
            members=Count("member_id", distinct=True),
            bought=Count("member_id", distinct=True, filter=Q(converted=True)),
        )
        .order_by()
    )
    counts: dict[int, dict] = {}
    for row in rows:
        c = counts.setdefault(row["trigger_id"], {})
        c[row["status"]] = (row["members"], row["bought"])
    return {
        trigger_id: Conversion(
            messaged=c.get(Status.SENT, (0, 0))[0],
            messaged_bought=c.get(Status.SENT, (0, 0))[1],
            held_out=c.get(Status.SUPPRESSED, (0, 0))[0],
            held_out_bought=c.get(Status.SUPPRESSED, (0, 0))[1],
        )
        for trigger_id, c in counts.items()
    }


def trigger_report(*, trigger: Trigger, start: dt.datetime, end: dt.datetime) -> TriggerReport:
    """The trigger's delivery figures and conversion for messages made from `start` until `end`."""
    ids = [trigger.pk]
    return TriggerReport(
        trigger=trigger,
        start=start,
        end=end,
        delivery=delivery_figures(start=start, end=end, trigger_ids=ids).get(
            trigger.pk, DeliveryFigures()
        ),
        conversion=conversions(start=start, end=end, trigger_ids=ids).get(
            trigger.pk, NO_CONVERSION
        ),
    )
