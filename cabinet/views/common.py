"""What every cabinet page shares: rendering with the program and member, domain errors on
forms, the client's IP and periods in the program's time zone."""

import datetime as dt

from django.shortcuts import render

from cabinet.member_auth import get_member
from customers import ratelimit
from customers.errors import DomainError
from loyalty.services.program import get_program, program_zone


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    context = {"program": get_program(), "member": get_member(request), **(context or {})}
    return render(request, template, context, status=status)


def add_domain_error(form, error: DomainError) -> None:
    """Show a service's error on the form: on its fields when the form has them, else on top."""
    placed = False
    for field, messages in (error.fields or {}).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, str(message))
        placed = True
    if not placed:
        form.add_error(None, str(error.detail))


def client_ip(request) -> str | None:
    # One rule for every per-IP limit: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
    # address the nearest one saw.
    return ratelimit.client_ip(request)


def period_bounds(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start of date_from, start of the day after date_to) in the program's time zone."""
    zone = program_zone(get_program())
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone) if date_from else None
    end = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        if date_to
        else None
    )
    return start, end


def program_today(now: dt.datetime) -> dt.date:
    return now.astimezone(program_zone(get_program())).date()
