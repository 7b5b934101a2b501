"""The statement: the balance and the history of a chosen period as a PDF (WeasyPrint).

Its URL carries the member's card number; any other number is a 404, like a foreign purchase.
"""

import datetime as dt

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from cabinet.forms import StatementForm
from cabinet.member_auth import member_required
from cabinet.views.common import period_bounds, program_today, render_page
from loyalty.history import history_groups, history_rows
from loyalty.models import LedgerEntry
from loyalty.selectors import member_balance
from loyalty.services.program import get_program

DEFAULT_DAYS = 90


def _form_page(request, form, status=200):
    return render_page(request, "cabinet/statement.html", {"form": form}, status=status)


@member_required
def statement(request):
    today = program_today(timezone.now())
    form = StatementForm(
        initial={"date_from": today - dt.timedelta(days=DEFAULT_DAYS), "date_to": today}
    )
    return _form_page(request, form)


def _statement_context(member, date_from: dt.date, date_to: dt.date, now: dt.datetime) -> dict:
    start, end = period_bounds(date_from, date_to)
    opening = LedgerEntry.objects.filter(account_id=member.pk, created_at__lt=start).aggregate(
        total=Coalesce(Sum("points"), 0)
    )["total"]
    moved = LedgerEntry.objects.filter(
        account_id=member.pk, created_at__gte=start, created_at__lt=end
    ).aggregate(
        earned=Coalesce(Sum("points", filter=Q(points__gt=0)), 0),
        spent=Coalesce(Sum("points", filter=Q(points__lt=0)), 0),
    )
    rows = history_rows(history_groups(member.pk, start=start, end=end, newest_first=False))
    return {
        "program": get_program(),
        "member": member,
        "date_from": date_from,
        "date_to": date_to,
        "generated_at": now,
        "opening": opening,
        "earned": moved["earned"],
        "spent": -moved["spent"],
        "closing": opening + moved["earned"] + moved["spent"],
        "balance": member_balance(member.pk, now=now),
        "rows": rows,
    }


@member_required
def statement_pdf(request, card_number: str):
    member = request.member
    if card_number != member.card_number:
        raise Http404
    form = StatementForm(request.GET)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    from weasyprint import HTML  # imported on use: it is heavy and only this page needs it

    context = _statement_context(
        member, form.cleaned_data["date_from"], form.cleaned_data["date_to"], timezone.now()
    )
    html = render_to_string("cabinet/statement_pdf.html", context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    period = f"{context['date_from']:%Y%m%d}-{context['date_to']:%Y%m%d}"
    name = f"statement-{member.card_number}-{period}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
