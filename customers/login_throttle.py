"""Limit password guessing on the staff logins (the cashier desk and the back-office).

Password checks are counted per user name and per IP in the shared counters of
customers/ratelimit.py, so the limit holds across every server process. Each check takes its
slot before the password is verified: after MAX_FAILURES attempts in WINDOW, further ones are
refused without checking the password until the window passes, even when they arrive at once
in several processes. A successful login clears the user name's count and gives its IP slot
back (the IP limit counts failures only).
"""

import datetime as dt

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import ratelimit

MAX_FAILURES = 5
MAX_FAILURES_PER_IP = MAX_FAILURES * 4
WINDOW = dt.timedelta(minutes=15)


def _keys(request, username: str) -> tuple[str, str]:
    ip = ratelimit.client_ip(request) if request is not None else None
    return f"login-fail:user:{username.strip().lower()}", f"login-fail:ip:{ip or ''}"


def take_attempt(request, username: str, *, now: dt.datetime) -> bool:
    """Count a password check for the user name and the IP; False (nothing counted) when
    either has used up its window."""
    user_key, ip_key = _keys(request, username)
    if not ratelimit.take(user_key, limit=MAX_FAILURES, period=WINDOW, now=now):
        return False
    if not ratelimit.take(ip_key, limit=MAX_FAILURES_PER_IP, period=WINDOW, now=now):
        ratelimit.give_back(user_key, period=WINDOW, now=now)
        return False
    return True


def clear_failures(request, username: str, *, now: dt.datetime) -> None:
    """After a successful login: the user name starts afresh, the IP gets its slot back."""
    user_key, ip_key = _keys(request, username)
    ratelimit.reset(user_key, period=WINDOW, now=now)
    ratelimit.give_back(ip_key, period=WINDOW, now=now)


class ThrottledLoginMixin:
    """For AuthenticationForm subclasses: count each password check, refuse past the limit."""

    throttle_messages = {
        "locked_out": _("Too many failed attempts. Try again in 15 minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        now = timezone.now()
        if username and not take_attempt(self.request, username, now=now):
            raise forms.ValidationError(self.throttle_messages["locked_out"], code="locked_out")
        cleaned = super().clean()  # a wrong password keeps the attempt counted
        if username:
            clear_failures(self.request, username, now=now)
        return cleaned


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
