"""The cashier desk: find a member, quote and record a check, refund. Thin over the services:
the views parse the forms, call one service, log the action and render the result."""

from django.contrib.auth.views import LoginView, LogoutView
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from campaigns import events
from campaigns.checkout import quote_purchase, record_purchase
from customers.errors import DomainError, InvalidInput, MemberBlocked
from customers.models import Member
from customers.otp import CodeRateLimited
from customers.phones import mask_phone
from desk.access import desk_required, member_id_from_ref, member_ref
from desk.activity import Action, is_over_lookup_limit, log_activity, lookup_limit
from desk.errors import CHECK_CODES, CHECK_FIELDS, form_errors_json, show_error
from desk.forms import (
    CheckSearchForm,
    DeskLoginForm,
    EnrollForm,
    GuestCheckForm,
    LookupForm,
    RefundForm,
    check_forms,
    new_token,
    read_check,
)
from desk.lookup import (
    CARD,
    MAX_TAIL_MATCHES,
    PHONE,
    QR,
    TAIL,
    find_members,
    parse_query,
)
from desk.presenters import mask_name, member_card, short_entry
from loyalty.errors import (
    IdempotencyRefused,
    InsufficientPoints,
    PurchaseExists,
    RedeemLimitExceeded,
    RequestInProgress,
)
from loyalty.models import GuestCheck, Purchase, Refund
from loyalty.selectors import member_balance, staff_store
from loyalty.services import idempotency, refund_purchase
from loyalty.services.enrolment import enroll_member
from loyalty.services.guest_checks import record_guest_check
from loyalty.services.presence import (
    Confirmation,
    desk_pass,
    desk_pass_is_valid,
    is_live_qr,
    send_redeem_code,
)
from loyalty.services.program import get_program

RECENT_PURCHASES = 10


REFUND_REFUSED = _lazy(
    "This form already made a refund with other lines or amount: see the purchase's refunds, "
    "or start a new refund."
)
CHECK_REFUSED = _lazy("This form already recorded another check. Start a new check.")
ENROL_REFUSED = _lazy("This form already enrolled another phone. Start the enrolment again.")
GUEST_CHECK_REFUSED = _lazy("This form already recorded another sale. Start a new one.")


def _key_refused(exc: IdempotencyRefused, reused: str) -> str:
    """The cashier's words for a form's key refused: sent before with other data (`reused`),
    or its first submit still running past the wait."""
    if isinstance(exc, RequestInProgress):
        return _("This form is still being processed. Wait a few seconds and send it again.")
    return reused


def desk_key(token: str) -> str:
    """The Idempotency-Key of a desk form's token: keys are stored per partner, and the desk's
    live beside the partner's own API keys."""
    return f"desk:{token}"


class DeskLoginView(LoginView):
    template_name = "desk/login.html"
    authentication_form = DeskLoginForm

    def get_default_redirect_url(self):
        return reverse("desk:lookup")


class DeskLogoutView(LogoutView):
    next_page = "desk:login"


# --- lookup and enrolment ----------------------------------------------------------------------


def _rate_limited(request, form, *, now, context):
    """Refuse and log when the cashier is over the lookup limit; None when within it."""
    if not is_over_lookup_limit(request.user, now=now):
        return None
    log_activity(request, Action.DENIED, now=now)
    message = _("Too many lookups: at most %(n)s a minute. Wait a minute and try again.") % {
        "n": lookup_limit()
    }
    form.is_valid()
    form.add_error(None, message)
    return render(request, "desk/lookup.html", {"form": LookupForm(), **context}, status=429)


@desk_required
def lookup(request):
    """One field: a phone in any notation, a card number, a scanned card, or last digits."""
    if request.method != "POST":
        return render(request, "desk/lookup.html", {"form": LookupForm()})
    now = timezone.now()
    form = LookupForm(request.POST)
    limited = _rate_limited(request, form, now=now, context={"form": form})
    if limited:
        return limited
    if not form.is_valid():
        return render(request, "desk/lookup.html", {"form": form}, status=422)
    try:
        query = parse_query(form.cleaned_data["q"])
    except InvalidInput as exc:
        show_error(form, exc, {"q": "q"})
        return render(request, "desk/lookup.html", {"form": form}, status=422)

    members = find_members(query)
    found = members[0] if len(members) == 1 else None
    log_activity(request, Action.LOOKUP, now=now, query=query.masked, member=found)
    if found is not None and query.kind != TAIL:
        if not found.is_active:
            form.add_error("q", str(MemberBlocked.default_detail))
            return render(request, "desk/lookup.html", {"form": form}, status=422)
        if query.kind == QR:
            if not is_live_qr(member_id=found.pk, token=query.value, now=now):
                form.add_error(
                    "q", _("The QR code has expired: ask the customer to open the card again.")
                )
                return render(request, "desk/lookup.html", {"form": form}, status=422)
            # The live QR proves the customer is here: it lets this check spend points.
            request.session[_pass_key(found.pk)] = desk_pass(member_id=found.pk)
        return redirect("desk:member", ref=member_ref(found.pk, request.user))
    if not members and query.kind in (CARD, QR):
        form.add_error("q", _("No member has this card."))
        return render(request, "desk/lookup.html", {"form": form}, status=422)
    context = {"form": form, "query_masked": query.masked}
    if members:
        context["matches"] = [
            short_entry(m, member_ref(m.pk, request.user)) for m in members[:MAX_TAIL_MATCHES]
        ]
        context["more_matches"] = len(members) > MAX_TAIL_MATCHES
    else:
        phone = query.value if query.kind == PHONE else ""
        context.update(_enroll_context(EnrollForm(initial={"phone": phone, "token": new_token()})))
    return render(request, "desk/lookup.html", context)


def _enroll_context(enroll_form) -> dict:
    return {
        "not_found": True,
        "enroll_form": enroll_form,
        "consent_text": get_program().join_consent_text,
    }


@require_POST
@desk_required
def enroll(request):
    """Enrol the customer on the spot: phone and consent to personal data processing."""
    now = timezone.now()
    form = EnrollForm(request.POST)
    limited = _rate_limited(request, form, now=now, context=_enroll_context(form))
    if limited:
        return limited
    if form.is_valid():
        phone, consent = form.cleaned_data["phone"], form.cleaned_data["consent"]

        def work() -> dict:
            member = enroll_member(
                phone=phone,
                consents={"personal_data": consent},
                channel=Member.Channel.DESK,
                now=now,
            )
            events.on_joined(member, now=now)
            log_activity(
                request, Action.ENROLL, now=now, query=mask_phone(member.phone), member=member
            )
            return {"member_id": member.pk}

        store = staff_store(request.user)
        token = form.cleaned_data["token"]
        try:
            if token is None or store is None:  # an old page, or staff of no partner
                answer = work()
            else:
                answer, _replayed = idempotency.run_once(
                    partner_id=store.partner_id,
                    key=desk_key(str(token)),
                    fingerprint=idempotency.body_fingerprint(
                        {"enrol": phone.strip(), "consent": consent}
                    ),
                    now=now,
                    work=work,
                )
        except IdempotencyRefused as exc:
            form.add_error(None, _key_refused(exc, ENROL_REFUSED))
        except DomainError as exc:
            show_error(
                form,
                exc,
                {"consents": "consent", "phone": "phone"},
                {"invalid_phone": "phone", "member_exists": "phone"},
            )
        else:
            return redirect("desk:member", ref=member_ref(answer["member_id"], request.user))
    context = {"form": LookupForm(), **_enroll_context(form)}
    return render(request, "desk/lookup.html", context, status=422)


# --- the member and the check ------------------------------------------------------------------


def _pass_key(member_id: int) -> str:
    return f"desk-presence-{member_id}"


def _confirmation(request, member_id: int, form) -> Confirmation:
    """The proof of presence this check offers: the live QR seen at the lookup, or the code
    the customer read out."""
    return Confirmation(
        code=form.cleaned_data.get("confirmation_code") or "",
        desk_pass=request.session.get(_pass_key(member_id), ""),
    )


def _member(request, ref) -> Member:
    member_id = member_id_from_ref(ref, request.user)
    return get_object_or_404(Member.objects.select_related("account"), pk=member_id)


def _render_member(request, member, ref, form, lines, *, status=200):
    context = {
        "card": member_card(member, now=timezone.now()),
        "ref": ref,
        "form": form,
        "lines": lines,
        "can_record": staff_store(request.user) is not None,
        "needs_proof": get_program().needs_redeem_confirmation,
        "qr_seen": desk_pass_is_valid(
            member_id=member.pk, value=request.session.get(_pass_key(member.pk), "")
        ),
    }
    return render(request, "desk/member.html", context, status=status)


@desk_required
def member_page(request, ref):
    """The result card and the check form."""
    member = _member(request, ref)
    form, lines = check_forms()
    return _render_member(request, member, ref, form, lines)


def _quote_json(quote) -> dict:
    return {
        "available_points": quote.available_points,
        "max_redeem_points": quote.max_redeem_points,
        "redeem_points": quote.redeem_points,
        "earn_points": quote.earn_points,
        "bonus_points": quote.bonus_points,
        "discount": str(quote.discount),
        "to_pay": str(sum((ln.amount for ln in quote.lines), 0) - quote.discount),
        # The bonuses this check gets, then the campaigns that lost and why.
        "campaigns": [
            f"{c['name']} +{c['points']}" if c["applied"] else f"{c['name']}: {c['reason_text']}"
            for c in quote.campaigns
        ],
        "lines": [
            {"sku": ln.sku, "amount": str(ln.amount), "discount": str(ln.discount)}
            for ln in quote.lines
        ],
    }


@require_POST
@desk_required
def quote(request, ref):
    """The live quote for the check form, as JSON: nothing is written."""
    member_id = member_id_from_ref(ref, request.user)
    form, lines = check_forms(request.POST)
    if not (form.is_valid() and lines.is_valid()):
        return JsonResponse({"ok": False, "errors": form_errors_json(form, lines)}, status=422)
    check = read_check(form, lines, member_id=member_id)
    if check.args is None:
        return JsonResponse({"ok": False, "errors": form_errors_json(form, lines)}, status=422)
    store = staff_store(request.user)
    args = {
        **check.args,
        "partner": store.partner if store else None,
        "store": store,
        "channel": Purchase.Channel.TILL,
    }
    now = timezone.now()
    try:
        result = quote_purchase(member_id=member_id, now=now, **args)
    except (RedeemLimitExceeded, InsufficientPoints) as exc:
        # Still show what this check allows, with the error on the points field.
        show_error(form, exc, CHECK_FIELDS, CHECK_CODES)
        result = quote_purchase(member_id=member_id, now=now, **{**args, "redeem_points": None})
        body = {"ok": False, "errors": form_errors_json(form), **_quote_json(result)}
        return JsonResponse(body, status=422)
    except DomainError as exc:
        show_error(form, exc, CHECK_FIELDS, CHECK_CODES, lines=check.rows)
        return JsonResponse({"ok": False, "errors": form_errors_json(form, lines)}, status=422)
    return JsonResponse({"ok": True, "errors": {}, **_quote_json(result)})


@require_POST
@desk_required
def record_check(request, ref):
    """Confirm the check. The form's token is the purchase's Idempotency-Key (scoped to the
    desk, per partner, through the idempotency service like the API's): a second click of the
    same form — even while the first still runs — waits for it and shows its receipt instead of
    recording again."""
    member = _member(request, ref)
    form, lines = check_forms(request.POST)
    valid = form.is_valid() & lines.is_valid()
    store = staff_store(request.user)
    if store is None:
        form.add_error(None, _("Your account has no store, so it cannot record purchases."))
    elif valid and (typed := read_check(form, lines, member_id=member.pk)).args is not None:
        now = timezone.now()
        token = str(form.cleaned_data["token"])
        check = typed.args
        external_id = form.cleaned_data["check_number"].strip() or (
            f"{Purchase.GENERATED_PREFIX}{token}"
        )
        guard = idempotency.KeyGuard(
            partner_id=store.partner_id,
            key=desk_key(token),
            fingerprint=idempotency.body_fingerprint(
                {"member": member.pk, "external_id": external_id, **check}
            ),
            now=now,
            wait=True,
        )
        try:
            result = record_purchase(
                member_id=member.pk,
                partner=store.partner,
                store=store,
                cashier=request.user,
                external_id=external_id,
                idempotency_key=guard.key,
                idempotency=guard,
                now=now,
                confirmation=_confirmation(request, member.pk, form),
                channel=Purchase.Channel.TILL,
                **check,
            )
        except idempotency.Replay:
            first = _partner_purchases(request).filter(idempotency_key=guard.key).first()
            if first is not None:
                return redirect("desk:receipt", pk=first.pk)
            form.add_error(None, _("This check was already sent. Start a new check."))
        except PurchaseExists as exc:
            if exc.extra.get("idempotency_key") == guard.key:
                return redirect("desk:receipt", pk=exc.extra["id"])
            show_error(form, exc, CHECK_FIELDS, CHECK_CODES)
        except IdempotencyRefused as exc:
            form.add_error(None, _key_refused(exc, CHECK_REFUSED))
        except DomainError as exc:
            show_error(form, exc, CHECK_FIELDS, CHECK_CODES, lines=typed.rows)
        else:
            log_activity(
                request,
                Action.PURCHASE,
                now=now,
                member=member,
                purchase=result.purchase,
                query=mask_phone(member.phone),
            )
            return redirect("desk:receipt", pk=result.purchase.pk)
    return _render_member(request, member, ref, form, lines, status=422)


@require_POST
@desk_required
def send_code(request, ref):
    """Send the customer the SMS code that lets this check spend their points."""
    member_id = member_id_from_ref(ref, request.user)
    try:
        send_redeem_code(member_id=member_id, now=timezone.now())
    except DomainError as exc:
        message = str(exc.detail)
        if "retry_after" in exc.extra:
            message += " " + _("Try again in %(n)s s.") % {"n": exc.extra["retry_after"]}
        limited = isinstance(exc, CodeRateLimited)
        return JsonResponse({"ok": False, "message": message}, status=429 if limited else 422)
    message = _("The code was sent to the customer's phone. Ask them to read it out.")
    return JsonResponse({"ok": True, "message": message})


def _partner_purchases(request):
    """Purchases the cashier may see: those of their store's partner."""
    store = staff_store(request.user)
    if store is None:
        return Purchase.objects.none()
    return Purchase.objects.filter(partner_id=store.partner_id)


@desk_required
def receipt(request, pk):
    """The receipt panel and the printable slip of a purchase."""
    purchase = get_object_or_404(
        _partner_purchases(request).select_related("member", "store"), pk=pk
    )
    lines = list(purchase.lines.all())
    for line in lines:
        line.to_pay = line.amount - line.discount
    context = {
        "purchase": purchase,
        "lines": lines,
        "name": mask_name(purchase.member),
        "phone": mask_phone(purchase.member.phone),
        "balance": member_balance(purchase.member_id, now=timezone.now()),
        "ref": member_ref(purchase.member_id, request.user),
    }
    return render(request, "desk/receipt.html", context)


# --- a sale without a card ---------------------------------------------------------------------


@desk_required
def guest_check(request):
    """A sale to a customer without a card: the total and the check number, recorded against
    the cashier's store for the program's figures (no points). The form's token is its
    Idempotency-Key: the same form sent twice records the sale once and shows it both times."""
    store = staff_store(request.user)
    if request.method != "POST":
        form = GuestCheckForm(initial={"token": new_token()})
        return _render_guest_check(request, form, store)
    form = GuestCheckForm(request.POST)
    if store is None:
        form.add_error(None, _("Your account has no store, so it cannot record purchases."))
    elif form.is_valid():
        now = timezone.now()
        total, number = form.cleaned_data["total"], form.cleaned_data["check_number"].strip()

        def work() -> dict:
            check = record_guest_check(
                partner=store.partner,
                store=store,
                external_id=number,
                total=total,
                occurred_at=now,
                channel=Purchase.Channel.TILL,
                cashier=request.user,
                now=now,
            )
            return {"guest_check_id": check.pk}

        try:
            answer, _replayed = idempotency.run_once(
                partner_id=store.partner_id,
                key=desk_key(str(form.cleaned_data["token"])),
                fingerprint=idempotency.body_fingerprint({"guest_check": number, "total": total}),
                now=now,
                work=work,
            )
        except IdempotencyRefused as exc:
            form.add_error(None, _key_refused(exc, GUEST_CHECK_REFUSED))
        except DomainError as exc:
            show_error(
                form,
                exc,
                {"total": "total", "external_id": "check_number"},
                {"guest_check_exists": "check_number", "purchase_exists": "check_number"},
            )
        else:
            return redirect("desk:guest_check_done", pk=answer["guest_check_id"])
    return _render_guest_check(request, form, store, status=422)


def _render_guest_check(request, form, store, *, status=200):
    context = {"form": form, "can_record": store is not None}
    return render(request, "desk/guest_check.html", context, status=status)


@desk_required
def guest_check_done(request, pk):
    """The sale without a card as recorded: its number and total, and on to the next one."""
    store = staff_store(request.user)
    checks = (
        GuestCheck.objects.filter(partner_id=store.partner_id)
        if store
        else GuestCheck.objects.none()
    )
    check = get_object_or_404(checks.select_related("store"), pk=pk)
    return render(request, "desk/guest_check_done.html", {"check": check})


# --- refunds -----------------------------------------------------------------------------------


@desk_required
def refund_search(request, ref=None):
    """Find the purchase to refund: the member's recent ones here, or by check number."""
    purchases = _partner_purchases(request)
    context = {"ref": ref, "search": CheckSearchForm(), "has_store": staff_store(request.user)}
    if ref is not None:
        member = _member(request, ref)
        context["name"] = mask_name(member)
        # "Here" is the cashier's store; a check of the partner's other stores is found by its
        # number below.
        here = purchases.filter(member=member, store=staff_store(request.user))
        context["recent"] = list(here.select_related("store")[:RECENT_PURCHASES])
    if "check" in request.GET:
        search = CheckSearchForm(request.GET)
        context["search"] = search
        if search.is_valid():
            number = search.cleaned_data["check"].strip().lstrip("№#").strip()
            by_number = Q(external_id=number)
            if number.isdigit() and len(number) < 18:
                by_number |= Q(pk=int(number))
            found = list(purchases.filter(by_number)[:2])
            if len(found) == 1:
                return redirect("desk:refund", pk=found[0].pk)
            search.add_error("check", _("No purchase with this check number here."))
    return render(request, "desk/refund_search.html", context)


@desk_required
def refund(request, pk):
    """Refund the whole check, chosen lines (quantities) or an amount; the form's token is the
    refund's number, so the same form sent twice refunds once."""
    purchase = get_object_or_404(_partner_purchases(request).select_related("member"), pk=pk)
    purchase_lines = list(purchase.lines.all())
    if request.method != "POST":
        form = RefundForm(initial={"token": new_token()}, purchase_lines=purchase_lines)
        return _render_refund(request, purchase, purchase_lines, form)
    form = RefundForm(request.POST, purchase_lines=purchase_lines)
    if form.is_valid():
        refund_args = form.refund_input(whole="whole" in request.POST)
        if refund_args is not None:
            now = timezone.now()
            token = str(form.cleaned_data["token"])
            key = desk_key(token)

            def work() -> dict:
                done = refund_purchase(
                    purchase_id=purchase.pk,
                    partner=purchase.partner,
                    external_id=f"desk-{token}",
                    idempotency_key=key,
                    cashier=request.user,
                    now=now,
                    **refund_args,
                )
                return {"refund_id": done.pk, "new": done.created_at == now}

            try:
                answer, replayed = idempotency.run_once(
                    partner_id=purchase.partner_id,
                    key=key,
                    fingerprint=idempotency.body_fingerprint(
                        {"purchase": purchase.pk, **refund_args}
                    ),
                    now=now,
                    work=work,
                )
            except IdempotencyRefused as exc:
                form.add_error(None, _key_refused(exc, REFUND_REFUSED))
            except DomainError as exc:
                show_error(form, exc, {"amount": "amount"}, {"refund_exists": None})
            else:
                if answer["new"] and not replayed:
                    log_activity(
                        request,
                        Action.REFUND,
                        now=now,
                        member=purchase.member,
                        purchase=purchase,
                        query=mask_phone(purchase.member.phone),
                    )
                return redirect("desk:refund_done", pk=answer["refund_id"])
    return _render_refund(request, purchase, purchase_lines, form, status=422)


def _render_refund(request, purchase, purchase_lines, form, *, status=200):
    context = {
        "purchase": purchase,
        "lines": purchase_lines,
        "form": form,
        "name": mask_name(purchase.member),
        "ref": member_ref(purchase.member_id, request.user),
    }
    return render(request, "desk/refund_form.html", context, status=status)


@desk_required
def refund_done(request, pk):
    """What the refund did to the points, and what to withhold from the cash refund."""
    done = get_object_or_404(
        Refund.objects.select_related("purchase__member").filter(
            purchase__in=_partner_purchases(request)
        ),
        pk=pk,
    )
    context = {
        "refund": done,
        "cash": done.paid_amount - done.shortfall_amount,
        "purchase": done.purchase,
        "name": mask_name(done.purchase.member),
        "balance": member_balance(done.purchase.member_id, now=timezone.now()),
        "ref": member_ref(done.purchase.member_id, request.user),
    }
    return render(request, "desk/refund_done.html", context)
