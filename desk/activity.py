"""The desk activity log and the per-cashier lookup limit.

The limit is a shared counter (customers/ratelimit.py) taken before each lookup or enrolment,
so it holds across server processes and for lookups sent at once.
"""

import datetime as dt

from customers import ratelimit
from desk.models import DeskActivity
from loyalty.selectors import staff_store_id_query
from loyalty.services.program import get_program

Action = DeskActivity.Action
WINDOW = dt.timedelta(minutes=1)


def client_ip(request) -> str | None:
    return ratelimit.client_ip(request)


def log_activity(request, action: str, *, now, query="", member=None, purchase=None) -> None:
    user = request.user
    DeskActivity.objects.create(
        user=user,
        store_id=staff_store_id_query(user),
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
    """True when the cashier has used up this minute's lookups (and enrolments); else the
    lookup is counted."""
    key = f"desk-lookup:user:{user.pk}"
    hit = ratelimit.take(key, limit=lookup_limit(), period=WINDOW, now=now)
    return not hit
