"""Joining and logging in with a one-time code: no passwords.

Both start with a form that sends a code (SMS to a phone, e-mail to an address) and keep what
they need in the session under OTP_SESSION_KEY; the code page finishes them. Neither page tells
whether a phone or e-mail is in the program: a login answers "if it is registered, we sent a
code" (with an invitation to join) for any, and joining with a member's phone sends that member
a code that logs them in. The sending limits (per phone/e-mail and per IP) apply first.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cabinet.forms import CodeForm, JoinForm, LoginForm
from cabinet.member_auth import get_member, login_member, logout_member
from cabinet.views.common import add_domain_error, client_ip, render_page
from campaigns import events
from customers.errors import DomainError, InvalidPhone, MemberExists
from customers.models import Consent, Member
from customers.otp import (
    CodeInvalid,
    CodeRateLimited,
    is_email,
    member_for_target,
    normalize_target,
    request_login_code,
    send_login_code,
    verify_code,
)
from customers.phones import mask_phone, normalize_phone
from customers.services import consent_text
from customers.sms import SMSError
from loyalty.services.enrolment import enroll_member
from loyalty.services.program import get_program

OTP_SESSION_KEY = "cabinet_otp"


def _safe_next(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("cabinet:home")


def _send(request, form, target: str, *, purpose: str) -> bool:
    """Send a code (for a login: as `request_login_code` answers any target alike); a refusal
    by the limits goes on the form."""
    send = request_login_code if purpose == "login" else send_login_code
    try:
        send(target=target, ip=client_ip(request), now=timezone.now())
    except CodeRateLimited as exc:
        minutes = max(1, round(exc.extra.get("retry_after", 60) / 60))
        form.add_error(
            None,
            _("Too many codes were requested. Try again in %(minutes)d min.")
            % {"minutes": minutes},
        )
        return False
    except SMSError:  # the SMS gateway is down or refused it (customers.sms): say so, no 500
        form.add_error(
            None, _("We could not send the code just now. Please try again in a few minutes.")
        )
        return False
    return True


def login_view(request):
    if get_member(request) is not None:
        return redirect("cabinet:home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            target = normalize_target(form.cleaned_data["target"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if _send(request, form, target, purpose="login"):
                request.session[OTP_SESSION_KEY] = {
                    "target": target,
                    "purpose": "login",
                    "next": next_url,
                }
                return redirect("cabinet:code")
    return render_page(request, "cabinet/login.html", {"form": form, "next": next_url})


def join_view(request):
    if get_member(request) is not None:
        return redirect("cabinet:home")
    initial = {"phone": request.GET.get("phone", ""), "referral_code": request.GET.get("ref", "")}
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            phone = normalize_phone(data["phone"])
        except InvalidPhone as exc:
            form.add_error("phone", str(exc.detail))
        else:
            # A member's phone gets its code too (and logs in with it): no answer here tells
            # who is in the program.
            if _send(request, form, phone, purpose="join"):
                request.session[OTP_SESSION_KEY] = {
                    "target": phone,
                    "purpose": "join",
                    "join": {
                        "first_name": data["first_name"],
                        "email": data["email"],
                        "referral_code": data["referral_code"],
                        "consents": {
                            Consent.Kind.PERSONAL_DATA.value: True,
                            Consent.Kind.MARKETING_SMS.value: data["marketing_sms"],
                            Consent.Kind.MARKETING_EMAIL.value: data["marketing_email"],
                        },
                    },
                }
                return redirect("cabinet:code")
    return render_page(request, "cabinet/join.html", {"form": form})


def _finish_join(request, pending: dict, target: str):
    """Enrol after the phone is proven; a phone that joined meanwhile simply logs in."""
    join = pending["join"]
    try:
        member = enroll_member(
            phone=target,
            consents=join["consents"],
            now=timezone.now(),
            channel=Member.Channel.CABINET,
            email=join["email"] or None,
            first_name=join["first_name"],
            referral_code=join["referral_code"] or None,
            # What the join page showed: the program's consent text above the tick box.
            consent_texts={
                Consent.Kind.PERSONAL_DATA: consent_text(
                    Consent.Kind.PERSONAL_DATA, preamble=get_program().join_consent_text
                )
            },
        )
    except MemberExists:
        return member_for_target(target), None
    except DomainError as exc:
        return None, exc
    events.on_joined(member, now=member.created_at, referral_code=join["referral_code"] or "")
    messages.success(request, _("Welcome to the program! Your card is ready below."))
    return member, None


def code_view(request):
    pending = request.session.get(OTP_SESSION_KEY)
    if not pending:
        return redirect("cabinet:login")
    target = pending["target"]
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_code(target=target, code=form.cleaned_data["code"], now=timezone.now())
        except CodeInvalid as exc:
            form.add_error(
                "code",
                _("The code is wrong. Tries left: %(left)d.")
                % {"left": exc.extra["attempts_left"]},
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if pending["purpose"] == "join":
                member, error = _finish_join(request, pending, target)
                if error is not None:
                    del request.session[OTP_SESSION_KEY]
                    join = pending["join"]
                    join_form = JoinForm(
                        {
                            "phone": target,
                            "first_name": join["first_name"],
                            "email": join["email"],
                            "referral_code": join["referral_code"],
                            "personal_data": True,
                            **{k: v for k, v in join["consents"].items() if v},
                        }
                    )
                    join_form.is_valid()
                    add_domain_error(join_form, error)
                    return render_page(
                        request, "cabinet/join.html", {"form": join_form}, status=400
                    )
            else:
                member = member_for_target(target)
            if member is None:
                del request.session[OTP_SESSION_KEY]
                return redirect("cabinet:login")
            del request.session[OTP_SESSION_KEY]
            login_member(request, member)
            return redirect(_safe_next(request, pending.get("next")))
    shown = target if is_email(target) else mask_phone(target)
    join_url = reverse("cabinet:join")
    if not is_email(target):
        join_url += "?" + urlencode({"phone": target})
    return render_page(
        request,
        "cabinet/code.html",
        {
            "form": form,
            "target": shown,
            "by_email": is_email(target),
            "login": pending["purpose"] == "login",
            "join_url": join_url,
        },
    )


@require_POST
def resend_view(request):
    pending = request.session.get(OTP_SESSION_KEY)
    if not pending:
        return redirect("cabinet:login")
    form = CodeForm()
    if _send(request, form, pending["target"], purpose=pending["purpose"]):
        messages.info(request, _("A new code is on its way."))
    else:
        for error in form.non_field_errors():
            messages.error(request, error)
    return redirect("cabinet:code")


@require_POST
def logout_view(request):
    logout_member(request)
    return redirect("cabinet:login")
