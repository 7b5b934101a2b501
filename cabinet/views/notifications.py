"""What the member wants to be told and how: choices per topic and channel, push in this
browser, and the unsubscribe page that works without login."""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cabinet.forms import NotificationForm
from cabinet.member_auth import member_required
from cabinet.views.common import render_page
from campaigns import push, unsubscribe
from customers.errors import DomainError
from customers.models import NotificationPreference
from customers.notifications import CHANNEL_CONSENT, consented_channels, notification_choices
from customers.services import consent_text

# The largest push subscription body the cabinet reads (a real one is ~400 bytes).
MAX_SUBSCRIPTION_BYTES = 4096


def _page(request, *, status=200):
    member = request.member
    consented = consented_channels([member.pk]).get(member.pk, set())
    form = NotificationForm(choices=notification_choices(member), consented=consented)
    consent_words = {
        channel: consent_text(CHANNEL_CONSENT[channel])
        for channel in NotificationPreference.Channel.values
    }
    return render_page(
        request,
        "cabinet/notifications.html",
        {
            "notification_form": form,
            "consent_words": [
                (label, consent_words[channel])
                for channel, label, live in form.channels()
                if not live
            ],
            "vapid_public_key": push.application_server_key(),
            "push_consent_words": consent_words[NotificationPreference.Channel.PUSH],
            "push_subscriptions": member.push_subscriptions.order_by("-created_at"),
        },
        status=status,
    )


@member_required
def notifications(request):
    if request.method != "POST":
        return _page(request)
    member = request.member
    consented = consented_channels([member.pk]).get(member.pk, set())
    form = NotificationForm(request.POST, choices=notification_choices(member), consented=consented)
    if form.is_valid():
        given = unsubscribe.choose_notifications(
            member=member, choices=form.choices(), now=timezone.now(), source="cabinet"
        )
        messages.success(request, _("Your notification choices are saved."))
        for channel in sorted(given):
            messages.info(
                request,
                _("Consent given: %(words)s") % {"words": consent_text(CHANNEL_CONSENT[channel])},
            )
    return redirect("cabinet:notifications")


def _json_error(code: str, detail: str, *, fields=None, status=400):
    return JsonResponse({"code": code, "detail": detail, "fields": fields or {}}, status=status)


def _read_json(request):
    if len(request.body) > MAX_SUBSCRIPTION_BYTES:
        return None, _json_error("too_large", _("The request is too large."), status=413)
    try:
        data = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None, _json_error("invalid_json", _("The request is not valid JSON."))
    if not isinstance(data, dict):
        return None, _json_error("invalid_json", _("The request must be a JSON object."))
    return data, None


@member_required
@require_POST
def push_subscribe(request):
    """Store this browser's push subscription (the JSON of PushSubscription.toJSON())."""
    data, error = _read_json(request)
    if error:
        return error
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    fields = {"endpoint": data.get("endpoint"), **{k: keys.get(k) for k in ("p256dh", "auth")}}
    if not all(isinstance(value, str) for value in fields.values()):
        return _json_error(
            "invalid_subscription",
            _("This is not a valid push subscription."),
            fields={k: [_("This field is required.")] for k, v in fields.items() if not v},
        )
    try:
        push.subscribe(
            member=request.member,
            **fields,
            user_agent=request.headers.get("User-Agent", ""),
            now=timezone.now(),
        )
    except DomainError as exc:
        return _json_error(
            "invalid_subscription",
            str(exc.detail),
            fields={k: [str(m) for m in v] for k, v in exc.fields.items()},
        )
    return JsonResponse({"subscribed": True}, status=201)


@member_required
@require_POST
def push_unsubscribe(request):
    """Forget this browser's subscription (the JSON `{"endpoint": ...}`)."""
    data, error = _read_json(request)
    if error:
        return error
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return _json_error(
            "invalid_subscription",
            _("This is not a valid push subscription."),
            fields={"endpoint": [_("This field is required.")]},
        )
    removed = push.unsubscribe(member=request.member, endpoint=endpoint)
    return JsonResponse({"removed": removed})


@member_required
@require_POST
def push_remove(request, pk: int):
    """The page's "Remove" button for one of the member's browsers (works without JS)."""
    if not push.unsubscribe(member=request.member, subscription_id=pk):
        raise Http404
    messages.success(request, _("The browser will get no more notifications."))
    return redirect("cabinet:notifications")


@require_GET
def service_worker(request):
    """The service worker, served from the site root so that its scope is the whole cabinet."""
    body = render_to_string("cabinet/sw.js")
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@csrf_exempt  # mail clients post RFC 8058 one-click unsubscribes without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request, token: str):
    """One click switches the message's topic off for its channel, no login needed; buttons
    switch off all marketing on the channel, or undo. A damaged link says so (400)."""
    try:
        subscription = unsubscribe.read_token(token)
    except unsubscribe.BadToken:
        return render_page(request, "cabinet/unsubscribe_invalid.html", status=400)
    now = timezone.now()
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "all":
        unsubscribe.switch_off_channel(subscription, now=now)
        state = "all_off"
    elif action in ("undo", "undo_all"):
        unsubscribe.undo(subscription, now=now, consent_too=action == "undo_all")
        state = "on"
    else:  # GET, or the one-click POST (body "List-Unsubscribe=One-Click")
        unsubscribe.switch_off_topic(subscription)
        state = "topic_off"
    return render_page(
        request,
        "cabinet/unsubscribe.html",
        {
            "state": state,
            "channel_label": NotificationPreference.Channel(subscription.channel).label,
            "topic_label": NotificationPreference.Kind(subscription.topic).label,
            "token": token,
        },
    )
