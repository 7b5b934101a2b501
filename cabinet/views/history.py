"""The member's points history (filterable, paginated) and one purchase with its lines."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils.http import urlencode

from cabinet.forms import HISTORY_KINDS, HistoryFilterForm
from cabinet.member_auth import member_required
from cabinet.views.common import period_bounds, render_page
from loyalty.history import PURCHASE_KINDS, history_groups, history_rows
from loyalty.models import Purchase

PAGE_SIZE = 20


@member_required
def history(request):
    member = request.member
    form = HistoryFilterForm(request.GET or None)
    kind, start, end = "", None, None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
        start, end = period_bounds(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
    kinds = PURCHASE_KINDS if kind == "purchase" else HISTORY_KINDS.get(kind)
    groups = history_groups(member.pk, kinds=kinds, start=start, end=end)
    page = Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = history_rows(page.object_list)
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
            "rows": history_rows(history_groups(member.pk, purchase_id=purchase.pk)),
            "refunds": purchase.refunds.all(),
        },
    )
