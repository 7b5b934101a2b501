"""Who may use the cashier desk, and the signed member references its URLs carry."""

from functools import wraps

from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from customers.staff_access import CASHIER_GROUP, can_see_personal_data

MEMBER_REF_SALT = "desk.member"
MEMBER_REF_MAX_AGE = 8 * 60 * 60  # one shift


def is_desk_user(user) -> bool:
    """Users in the "cashier" group, and back-office staff who work with members' personal
    data (marketers, admins); nobody else — not analysts, who see no personal data."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff and can_see_personal_data(user):
        return True
    return user.groups.filter(name=CASHIER_GROUP).exists()


def desk_required(view):
    """Send strangers to the desk login; refuse signed-in users who are not desk staff."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('desk:login')}?next={request.path}")
        if not is_desk_user(request.user):
            return render(request, "desk/denied.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def member_ref(member_id: int, user) -> str:
    """A reference to a member found by this cashier's lookup: member ids are not guessable in
    URLs, so the only way to a member's page is a lookup (rate-limited and logged)."""
    return signing.dumps([member_id, user.pk], salt=MEMBER_REF_SALT)


def member_id_from_ref(ref: str, user) -> int:
    try:
        member_id, user_id = signing.loads(ref, salt=MEMBER_REF_SALT, max_age=MEMBER_REF_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise Http404 from exc
    if user_id != user.pk:
        raise Http404
    return member_id
