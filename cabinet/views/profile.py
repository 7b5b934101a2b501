"""The member's profile: details, important dates and consents (notification choices have
their own page, cabinet/views/notifications.py)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cabinet.forms import EraseForm, ImportantDateForm, ProfileForm
from cabinet.member_auth import logout_member, member_required
from cabinet.views.common import add_domain_error, render_page
from campaigns import events
from customers.errors import DomainError
from customers.models import Consent, DataRequest
from customers.notifications import add_important_date, remove_important_date
from customers.selectors import live_consents
from customers.services import erase_member, record_data_request, set_consent, update_profile
from loyalty.personal_data import member_data_json


def _profile_page(request, *, profile_form=None, date_form=None, status=200):
    member = request.member
    live = live_consents(member)
    consents = [
        {"kind": kind.value, "label": kind.label, "live": kind.value in live}
        for kind in Consent.Kind
    ]
    return render_page(
        request,
        "cabinet/profile.html",
        {
            "profile_form": profile_form
            or ProfileForm(
                initial={
                    "first_name": member.first_name,
                    "last_name": member.last_name,
                    "email": member.email,
                    "birth_date": member.birth_date,
                    "time_zone": member.time_zone,
                }
            ),
            "date_form": date_form or ImportantDateForm(),
            "dates": member.important_dates.all(),
            "consents": consents,
            "consent_history": member.consents.all(),
        },
        status=status,
    )


@member_required
def profile(request):
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        now = timezone.now()
        try:
            update_profile(
                member=request.member,
                now=now,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                birth_date=data["birth_date"],
                time_zone=data["time_zone"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            events.on_profile_saved(request.member, now=now)
            messages.success(request, _("Your profile is saved."))
            return redirect("cabinet:profile")
    return _profile_page(request, profile_form=form, status=400)


@member_required
@require_POST
def date_add(request):
    form = ImportantDateForm(request.POST)
    if form.is_valid():
        try:
            add_important_date(member=request.member, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The date is added."))
            return redirect("cabinet:profile")
    return _profile_page(request, date_form=form, status=400)


@member_required
@require_POST
def date_remove(request, pk: int):
    if not remove_important_date(member=request.member, date_id=pk):
        raise Http404
    messages.success(request, _("The date is removed."))
    return redirect("cabinet:profile")


@member_required
@require_POST
def consent(request):
    kind = request.POST.get("kind", "")
    give = request.POST.get("action") == "give"
    if kind == Consent.Kind.PERSONAL_DATA and not give and not request.POST.get("confirm"):
        messages.error(
            request,
            _("Tick the box to confirm: withdrawing this consent asks us to close your account."),
        )
        return redirect("cabinet:profile")
    try:
        set_consent(
            member=request.member, kind=kind, given=give, now=timezone.now(), source="cabinet"
        )
    except DomainError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Consent given.") if give else _("Consent withdrawn."))
    return redirect("cabinet:profile")


@member_required
@require_GET
def data_export(request):
    """The member's copy of everything stored about them, as a JSON file; the download is
    logged."""
    member, now = request.member, timezone.now()
    body = member_data_json(member=member, now=now)
    record_data_request(
        member=member, kind=DataRequest.Kind.EXPORT, source=DataRequest.Source.CABINET, now=now
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"kopilka-data-{member.card_number}-{now:%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@member_required
def erase(request):
    """The "Delete my data" page says what erasure means; a confirmed form erases."""
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erase_member(
            member_id=request.member.pk, now=timezone.now(), source=DataRequest.Source.CABINET
        )
        logout_member(request)
        messages.success(request, _("Your personal data is erased and your account is closed."))
        return redirect("cabinet:login")
    status = 400 if request.method == "POST" else 200
    return render_page(request, "cabinet/erase.html", {"form": form}, status=status)
