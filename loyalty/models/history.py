"""The audit history of the program's settings: who changed what, when, before and after.

django-pghistory keeps it with database triggers: every insert, every update that changes a
setting and every delete of a tracked row writes a snapshot of the row (an "event") in the same
transaction, whoever writes it (admin, command, migration, shell). The admin attaches who did it
(loyalty/admin/history.py); anything else is recorded without a user ("system").

Columns that are bookkeeping, not settings (counters, timestamps of runs, `updated_at`), are
left out of the snapshot, and a write that changes only them writes no event: the purchase path
and the beat jobs keep their speed and the history holds only decisions.
"""

import pghistory

from loyalty.models.program import Program, Tier


def track_settings(model, *, exclude: tuple[str, ...] = (), model_name: str):
    """Record inserts, updates of any column but `exclude`, and deletes of `model`'s rows.

    The update trigger's condition compares only the snapshotted columns, so an UPDATE that
    touches nothing else (a counter, a no-op save) fires no event.
    """
    return pghistory.track(
        pghistory.InsertEvent(trigger_name="audit_insert"),
        pghistory.UpdateEvent(trigger_name="audit_update"),
        pghistory.DeleteEvent(trigger_name="audit_delete"),
        exclude=list(exclude),
        model_name=model_name,
        append_only=True,
    )(model)


track_settings(Program, exclude=("updated_at",), model_name="ProgramEvent")
track_settings(Tier, model_name="TierEvent")
