"""Member sessions for the cabinet. Members are not Django users: the session keeps a member id.

Logging in rotates the session key (against session fixation); logging out flushes the session.
`member_required` lets a view run only for a logged-in member and sets `request.member`.
"""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, resolve_url

from customers.models import Member

SESSION_KEY = "cabinet_member_id"


def login_member(request, member: Member) -> None:
    """Start a member session under a new session key, keeping the language and similar data."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = member.pk
    request.member = member


def logout_member(request) -> None:
    request.session.flush()
    request.member = None


def get_member(request) -> Member | None:
    """The logged-in member (cached on the request); a closed account is logged out."""
    if hasattr(request, "member"):
        return request.member
    member_id = request.session.get(SESSION_KEY)
    member = Member.objects.filter(pk=member_id).first() if member_id else None
    if member is not None and member.status == Member.Status.CLOSED:
        request.session.flush()
        member = None
    request.member = member
    return member


def member_required(view):
    """Send visitors to the login page, coming back to where they were going."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if get_member(request) is None:
            url = resolve_url(settings.LOGIN_URL)
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper
