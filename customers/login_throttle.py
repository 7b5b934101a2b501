"""Limit password guessing on the staff logins (the cashier desk and the back-office).

Failed attempts are counted per user name and per IP in the cache (set CACHE_URL to Redis when
several processes serve logins, so that they share the count). After MAX_FAILURES failures in
WINDOW_SECONDS, further attempts are refused without checking the password until the window
passes; a successful login clears the user name's count.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _keys(request, username: str) -> list[str]:
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return [f"login-fail:user:{username.strip().lower()}", f"login-fail:ip:{ip}"]


def is_locked_out(request, username: str) -> bool:
    user_key, ip_key = _keys(request, username)
    counts = cache.get_many([user_key, ip_key])
    return counts.get(user_key, 0) >= MAX_FAILURES or counts.get(ip_key, 0) >= MAX_FAILURES * 4


def record_failure(request, username: str) -> None:
    for key in _keys(request, username):
        if cache.add(key, 1, WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS)


def clear_failures(request, username: str) -> None:
    cache.delete(_keys(request, username)[0])


class ThrottledLoginMixin:
    """For AuthenticationForm subclasses: refuse after too many failures, count each failure."""

    throttle_messages = {
        "locked_out": _("Too many failed attempts. Try again in 15 minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and is_locked_out(self.request, username):
            raise forms.ValidationError(self.throttle_messages["locked_out"], code="locked_out")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if username and any(e.code == "invalid_login" for e in error.error_list):
                record_failure(self.request, username)
            raise
        clear_failures(self.request, username)
        return cleaned


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
