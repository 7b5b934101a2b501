"""The member's points history (filterable, paginated) and one purchase with its lines."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils.http import urlencode

from cabinet.forms import HISTORY_KINDS, HistoryFilterForm
from cabinet.member_auth import member_required
from cabinet.views.common import period_bounds, render_page
from loyalty.models import Purchase
from loyalty.selectors import ledger_entries

PAGE_SIZE = 20


@member_required
def history(request):
    member = request.member
    form = HistoryFilterForm(request.GET or None)
    kind, start, end = "", None, None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
        start, end = period_bounds(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    entries = ledger_entries(member.pk, kinds=HISTORY_KINDS.get(kind)).select_related(
        "purchase__partner"
    )
    if kind == "purchase":
        entries = entries.filter(purchase__isnull=False)
    if start:
        entries = entries.filter(created_at__gte=start)
    if end:
        entries = entries.filter(created_at__lt=end)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render_page(
        request,
        "cabinet/history.html",
        {"form": form, "page": page, "query": urlencode(query)},
    )


@member_required
def purchase_detail(request, pk: int):
    member = request.member
    purchase = get_object_or_404(
        Purchase.objects.select_related("partner", "store"), pk=pk, member_id=member.pk
    )
    return render_page(
        request,
        "cabinet/purchase.html",
        {
            "purchase": purchase,
            "lines": purchase.lines.all(),
            "entries": ledger_entries(member.pk).filter(purchase=purchase),
            "refunds": purchase.refunds.all(),
        },
    )
