"""The desk activity log and the per-cashier lookup limit counted from it.

The limit is counted from the log rows of the last minute, so it holds across server processes.
"""

import datetime as dt

from cabinet.models import DeskActivity
from loyalty.services.program import get_program

Action = DeskActivity.Action
LIMITED_ACTIONS = (Action.LOOKUP, Action.ENROLL)
WINDOW = dt.timedelta(minutes=1)


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def log_activity(request, action: str, *, now, query="", member=None, purchase=None) -> None:
    user = request.user
    DeskActivity.objects.create(
        user=user,
        store_id=user.store_id,
        action=action,
        query=query[:100],
        member=member,
        purchase=purchase,
        ip=client_ip(request),
        created_at=now,
    )


def lookup_limit() -> int:
    return get_program().desk_lookups_per_minute


def is_over_lookup_limit(user, *, now) -> bool:
    """True when the cashier has used up this minute's lookups (and enrolments)."""
    used = DeskActivity.objects.filter(
        user=user, action__in=LIMITED_ACTIONS, created_at__gt=now - WINDOW
    ).count()
    return used >= lookup_limit()
