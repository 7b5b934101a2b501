"""Reads for the audit history pages: what changed in a tracked row (loyalty/models/history.py),
who changed it and when; and the manual adjustments of a member's points.

A tracked row's events are snapshots (django-pghistory): a change is the difference between a
snapshot and the one before it, shown field by field with the fields' names and choice labels.
The person is the admin user the admin attached to the change (loyalty/admin/history.py); a
change made anywhere else (a command, a migration, a beat job) has none and reads as "system".
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from loyalty.models import LedgerEntry

BASELINE = "baseline"  # the snapshot taken when tracking started: a "before", not a change
EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    field: str  # the field's verbose name
    before: str
    after: str


@dataclass
class HistoryRow:
    """One line of an object's history page: an audited change or the admin's own note."""

    when: dt.datetime
    who: str  # the staff user's name, or "system"
    action: str  # "insert", "update", "delete" (audited) or "log" (the admin's change message)
    subject: str = ""  # the related row this line is about (a trigger's template), else empty
    changes: list[FieldChange] = field(default_factory=list)
    message: str = ""
    url: str = ""

    @property
    def action_label(self) -> str:
        labels = {
            "insert": gettext("created"),
            "update": gettext("changed"),
            "delete": gettext("deleted"),
            "log": gettext("admin log"),
        }
        return labels.get(self.action, self.action)


def system_name() -> str:
    return gettext("system")


def user_names(user_ids) -> dict:
    """Staff users' names by id (full name, else the login)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return {}
    return {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=ids)
    }


def display_value(model_field: models.Field, value, related: dict) -> str:
    """A stored value as staff read it: the choice's label, yes/no, a related row's name."""
    if value is None or value == "":
        return EMPTY
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return gettext("yes") if value else gettext("no")
    if isinstance(model_field, models.ForeignKey):
        return related.get((model_field.related_model, value), f"#{value}")
    if isinstance(model_field, models.JSONField):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(model_field, models.DateTimeField):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return str(formats.localize(value))


def _tracked_fields(event_model) -> list[models.Field]:
    """The tracked model's fields its events snapshot (its id and the events' own left out)."""
    names = {f.name for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")}
    return [
        f
        for f in event_model.pgh_tracked_model._meta.concrete_fields
        if f.name in names and not f.primary_key
    ]


def _related_names(events: list, fields: list[models.Field]) -> dict:
    """The names of the rows the snapshots' foreign keys point at (a query per related model)."""
    wanted: dict = {}
    for model_field in fields:
        if isinstance(model_field, models.ForeignKey):
            values = {getattr(e, model_field.attname) for e in events} - {None}
            wanted.setdefault(model_field.related_model, set()).update(values)
    return {
        (model, obj.pk): str(obj)
        for model, pks in wanted.items()
        if pks
        for obj in model._default_manager.filter(pk__in=pks)
    }


def _changes(event, before, fields, related) -> list[FieldChange]:
    """What `event` did to its row against the snapshot `before` it (None: none known)."""
    label = event.pgh_label
    changes = []
    for model_field in fields:
        name = capfirst(str(model_field.verbose_name))
        after = getattr(event, model_field.attname)
        if label == "insert":
            if after not in (None, "", [], {}):
                changes.append(FieldChange(name, EMPTY, display_value(model_field, after, related)))
        elif label == "delete":
            changes.append(FieldChange(name, display_value(model_field, after, related), EMPTY))
        elif before is None:
            changes.append(FieldChange(name, "?", display_value(model_field, after, related)))
        elif getattr(before, model_field.attname) != after:
            changes.append(
                FieldChange(
                    name,
                    display_value(model_field, getattr(before, model_field.attname), related),
                    display_value(model_field, after, related),
                )
            )
    return changes


def _audited_rows(event_model, events, subject_fields=()) -> list[HistoryRow]:
    """`events` (of one or more rows, oldest first) as history lines, baselines left out."""
    events = list(events)
    fields = _tracked_fields(event_model)
    related = _related_names(events, fields)
    contexts = {e.pgh_context_id: e.pgh_context for e in events if e.pgh_context_id}
    names = user_names((c.metadata or {}).get("user") for c in contexts.values())
    rows, previous = [], {}
    for event in events:
        before = previous.get(event.pgh_obj_id)
        previous[event.pgh_obj_id] = event
        if event.pgh_label == BASELINE:
            continue
        metadata = (contexts[event.pgh_context_id].metadata or {}) if event.pgh_context_id else {}
        user_id = metadata.get("user")
        rows.append(
            HistoryRow(
                when=event.pgh_created_at,
                who=names.get(user_id, f"#{user_id}") if user_id else system_name(),
                action=event.pgh_label,
                subject=_subject(event, subject_fields, related),
                changes=_changes(event, before, fields, related),
                url=metadata.get("url", ""),
            )
        )
    return rows


def _subject(event, subject_fields: tuple[str, ...], related) -> str:
    """A related row named by its own fields (a template: "e-mail · Русский")."""
    meta = event.pgh_tracked_model._meta
    return " · ".join(
        display_value(meta.get_field(name), getattr(event, meta.get_field(name).attname), related)
        for name in subject_fields
    )


def object_history(obj, *, children: dict | None = None) -> list[HistoryRow]:
    """Everything recorded about `obj`, newest first: its audited changes, those of its
    `children` (a related model → the name of its foreign key to `obj` and the fields that name
    one of its rows, e.g. a trigger's message templates: ("trigger", ("channel", "language")))
    and the admin's own log messages."""
    event_model = type(obj).pgh_event_model
    events = event_model.objects.filter(pgh_obj_id=obj.pk).select_related("pgh_context")
    rows = _audited_rows(event_model, events.order_by("pgh_id"))
    for child_model, (fk_name, subject_fields) in (children or {}).items():
        child_events = child_model.pgh_event_model.objects.filter(**{f"{fk_name}_id": obj.pk})
        rows += _audited_rows(
            child_model.pgh_event_model,
            child_events.select_related("pgh_context").order_by("pgh_id"),
            subject_fields,
        )
    logged = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj), for_concrete_model=False),
        object_id=str(obj.pk),
    ).select_related("user")
    for entry in logged:
        rows.append(
            HistoryRow(
                when=entry.action_time,
                who=entry.user.get_full_name() or entry.user.get_username(),
                action="log",
                message=entry.get_change_message(),
            )
        )
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows


# --- manual adjustments of points --------------------------------------------------------------


@dataclass
class Adjustment:
    """One manual change of a member's points, and who asked for and approved it."""

    when: dt.datetime
    points: int
    reason: str
    requested_by: str
    status: str = ""  # the approval's state, when the adjustment went through approvals
    decided_by: str = ""
    decided_at: dt.datetime | None = None
    note: str = ""
    balance_before: int | None = None
    balance_after: int | None = None
    member_text: str = ""  # what the member was told instead of the staff-only reason


def _balance_after_each(entry_ids: list[int], account_id: int) -> dict[int, int]:
    """The member's balance (sum of the ledger up to and including the entry) after each entry."""
    if not entry_ids:
        return {}
    earlier = (
        LedgerEntry.objects.filter(account_id=account_id)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lte=OuterRef("id"))
        )
        .order_by()
        .values("account_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return dict(
        LedgerEntry.objects.filter(pk__in=entry_ids)
        .annotate(after=Coalesce(Subquery(earlier), 0))
        .values_list("id", "after")
    )


def _adjustment_requests():
    try:
        return apps.get_model("loyalty", "AdjustmentRequest")
    except LookupError:
        return None


def manual_adjustments(account) -> list[Adjustment]:
    """The manual adjustments of `account`'s points, newest first, with the balance before and
    after each: those that went through requests (loyalty/models/adjustments.py: who asked, who
    approved or rejected, the balance it recorded) and the ledger's adjust entries of any other
    (one adjustment may take points from several lots: its entries are shown as one)."""
    request_model = _adjustment_requests()
    adjustments, linked = [], set()
    requests = []
    if request_model is not None:
        requests = list(
            request_model.objects.filter(member_id=account.pk).prefetch_related("entries")
        )
        for request in requests:
            linked.update(e.pk for e in request.entries.all())
    loose: dict[tuple, list] = {}
    for entry in LedgerEntry.objects.filter(
        account_id=account.pk, kind=LedgerEntry.Kind.ADJUST
    ).order_by("created_at", "id"):
        if entry.pk not in linked:
            key = (entry.created_at, entry.staff_id, entry.reason, entry.member_text)
            loose.setdefault(key, []).append(entry)
    last_entry = [max(e.pk for e in group) for group in loose.values()]
    last_entry += [
        max(e.pk for e in r.entries.all())
        for r in requests
        if r.balance_after is None and r.entries.all()
    ]
    after = _balance_after_each(last_entry, account.pk)
    staff_ids = {key[1] for key in loose}
    for request in requests:
        staff_ids.update((request.requested_by_id, request.decided_by_id))
    names = user_names(staff_ids)

    def name(user_id) -> str:
        return names.get(user_id, f"#{user_id}") if user_id else system_name()

    for (when, staff_id, reason, member_text), group in loose.items():
        points = sum(e.points for e in group)
        balance = after[max(e.pk for e in group)]
        adjustments.append(
            Adjustment(
                when,
                points,
                reason,
                name(staff_id),
                balance_before=balance - points,
                balance_after=balance,
                member_text=member_text,
            )
        )
    for request in requests:
        entries = list(request.entries.all())
        before, balance = request.balance_before, request.balance_after
        if balance is None and entries:
            balance = after[max(e.pk for e in entries)]
            before = balance - sum(e.points for e in entries)
        adjustments.append(
            Adjustment(
                when=request.requested_at,
                points=request.points,
                reason=request.reason,
                requested_by=name(request.requested_by_id),
                status=request.get_status_display(),
                decided_by=name(request.decided_by_id) if request.decided_by_id else "",
                decided_at=request.decided_at,
                note=request.note,
                balance_before=before,
                balance_after=balance,
                member_text=request.member_text,
            )
        )
    adjustments.sort(key=lambda a: a.when, reverse=True)
    return adjustments
