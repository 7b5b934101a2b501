"""Triggers and their messages in the back-office: marketers edit triggers, templates and the
messaging settings and read the log; analysts only read, with members as bare numbers; nobody
edits the log; the default triggers come with words in both languages; the preview renders a
template for a real member."""

import datetime as dt
import io
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns import templating
from campaigns.messaging_preview import SAMPLE_OCCASIONS
from campaigns.models import Message, MessageTemplate, MessagingSettings, Segment, Trigger
from campaigns.templatetags.messaging import plural_ru
from campaigns.templating import recipients
from config.management.commands._demo_messaging import DEMO_TRIGGERS
from tests.campaigns.conftest import EN
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TRIGGERS = "/admin/campaigns/trigger/"
LOG = "/admin/campaigns/message/"
SETTINGS = "/admin/campaigns/messagingsettings/"
PHONE = "+79161112233"
DAY = dt.timedelta(days=1)


@pytest.fixture
def expiry():
    return Trigger.objects.get(code="expiry")


def log(trigger, member, status, reason="", *, occasion, created=None) -> Message:
    return Message.objects.create(
        trigger=trigger,
        member=member,
        topic=trigger.topic,
        status=status,
        reason=reason,
        occasion=occasion,
        address=member.phone,
        body=f"{member.first_name}, hello",
        created_at=created or timezone.now(),
    )


def trigger_form(**fields) -> dict:
    """The trigger add form as a browser posts it (no templates), with `fields` changed."""
    data = {
        "code": "spring",
        "name": "Spring",
        "kind": "inactivity",
        "topic": "offers",
        "params": "{}",
        "channels": ["email"],
        "channel_order": "push,email,sms",
        "holdout_percent": "0",
        "conversion_days": "7",
        "send_at_0": "",
        "send_at_1": "",
        "templates-TOTAL_FORMS": "0",
        "templates-INITIAL_FORMS": "0",
        "templates-MIN_NUM_FORMS": "0",
        "templates-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def form_errors(response) -> dict:
    form = response.context["adminform"].form
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


# --- the default triggers ------------------------------------------------------------------------


def test_every_kind_but_broadcast_has_a_default_trigger_only_expiry_and_welcome_on():
    kinds = set(Trigger.objects.values_list("kind", flat=True))
    assert kinds == set(Trigger.Kind.values) - {Trigger.Kind.BROADCAST}
    on = set(Trigger.objects.filter(enabled=True).values_list("code", flat=True))
    assert on == {"expiry", "welcome"}
    assert Trigger.objects.get(code="expiry").params == {"days": 3}
    assert MessagingSettings.objects.count() == 1


def test_each_default_trigger_has_words_for_every_channel_in_both_languages():
    for trigger in Trigger.objects.all():
        pairs = set(trigger.templates.values_list("channel", "language"))
        assert pairs == {(c, lang) for c in ("email", "sms", "push") for lang in ("ru", "en")}
        email = trigger.templates.get(channel="email", language="ru")
        assert email.subject and email.html and "{{ unsubscribe_url }}" in email.text


def test_default_templates_render_with_russian_plurals_and_the_occasion_figures(member):
    expiry = Trigger.objects.get(code="expiry")
    variables = templating.variables_for(
        recipients([member.pk])[member.pk],
        SAMPLE_OCCASIONS["expiry"],
        channel="push",
        topic="expiry",
    )
    ru = templating.render(expiry.templates.get(channel="push", language="ru"), variables)
    assert ru.text == "Через 3 дня сгорят 250 баллов — успейте использовать до 18 мая."
    one = templating.render(
        expiry.templates.get(channel="push", language="ru"),
        {**variables, "points": 21, "days": 1},
    )
    assert one.text.startswith("Через 1 день сгорит 21 балл —")
    en = templating.render(expiry.templates.get(channel="push", language="en"), variables)
    assert en.text == "In 3 days, 250 points will expire — use them by May 18."
    # Every default template compiles and renders with its kind's sample variables.
    for template in MessageTemplate.objects.select_related("trigger"):
        values = templating.variables_for(
            recipients([member.pk])[member.pk],
            SAMPLE_OCCASIONS[template.trigger.kind],
            channel=template.channel,
            topic=template.trigger.topic,
        )
        rendered = templating.render(template, values)
        assert rendered.text and "{{" not in rendered.text, template


@pytest.mark.parametrize(
    ("number", "word"),
    [(1, "балл"), (21, "балл"), (2, "балла"), (24, "балла"), (5, "баллов"), (11, "баллов"),
     (12, "баллов"), (111, "баллов"), (0, "баллов"), (250, "баллов")],
)  # fmt: skip
def test_plural_ru_picks_the_form_the_number_needs(number, word):
    assert plural_ru(number, "балл,балла,баллов") == word


# --- who sees what -------------------------------------------------------------------------------


def test_the_pages_open_for_a_superuser_a_marketer_and_an_analyst(
    admin_client, marketer, analyst, expiry, member
):
    message = log(expiry, member, Message.Status.SENT, occasion="2026-01-18")
    settings_row = MessagingSettings.objects.get()
    pages = [
        TRIGGERS,
        f"{TRIGGERS}{expiry.pk}/change/",
        f"{TRIGGERS}{expiry.pk}/report/",
        LOG,
        f"{LOG}{message.pk}/change/",
        f"{LOG}?member__id__exact={member.pk}",
        f"/admin/campaigns/messagingsettings/{settings_row.pk}/change/",
    ]
    for client in (admin_client, marketer, analyst):
        for url in pages:
            assert client.get(url).status_code == 200, url
    for client in (admin_client, marketer):
        assert client.get(f"{TRIGGERS}{expiry.pk}/preview/").status_code == 200
        assert client.get(TRIGGERS + "add/?kind=broadcast").status_code == 200


def test_an_analyst_reads_triggers_but_changes_nothing_and_sees_no_preview(analyst, expiry, en):
    page = analyst.get(f"{TRIGGERS}{expiry.pk}/change/", **EN).content.decode()
    assert 'name="_save"' not in page
    assert "push → e-mail → SMS" in page  # the channels in their order, read-only
    assert "try the channels in this order" not in page  # not the order picker
    assert analyst.get(TRIGGERS + "add/").status_code == 403
    posted = trigger_form(code="expiry", name="Renamed", kind="expiry", topic="expiry")
    assert analyst.post(f"{TRIGGERS}{expiry.pk}/change/", posted).status_code == 403
    analyst.post(TRIGGERS, {"action": "switch_off", "_selected_action": [expiry.pk]})
    expiry.refresh_from_db()
    assert (expiry.name, expiry.enabled) == ("Баллы сгорают через 3 дня", True)
    # The preview shows a member's name and numbers: not for staff who see members as numbers.
    assert analyst.get(f"{TRIGGERS}{expiry.pk}/preview/").status_code == 403
    settings_row = MessagingSettings.objects.get()
    url = f"{SETTINGS}{settings_row.pk}/change/"
    analyst.post(url, {"cap_messages": "9", "cap_days": "7"})
    settings_row.refresh_from_db()
    assert settings_row.cap_messages == 3


def test_the_log_shows_an_analyst_members_as_numbers_and_hides_what_was_sent(
    analyst, marketer, expiry
):
    member = make_member(phone=PHONE, first_name="Ольга")
    message = log(expiry, member, Message.Status.SENT, occasion="2026-01-18")
    for page in (analyst.get(LOG), analyst.get(f"{LOG}{message.pk}/change/")):
        text = page.content.decode()
        assert f"#{member.pk}" in text
        assert member.card_number not in text and PHONE[2:] not in text and "Ольга" not in text
    detail = marketer.get(f"{LOG}{message.pk}/change/").content.decode()
    assert member.card_number in detail and "Ольга" in detail


def test_nobody_edits_or_deletes_the_log(admin_client, expiry, member):
    message = log(expiry, member, Message.Status.SENT, occasion="2026-01-18")
    assert admin_client.get(LOG + "add/").status_code == 403
    page = admin_client.get(f"{LOG}{message.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    admin_client.post(f"{LOG}{message.pk}/change/", {"status": "failed"})
    assert admin_client.get(f"{LOG}{message.pk}/delete/").status_code == 403
    assert 'name="action"' not in admin_client.get(LOG).content.decode()  # no actions at all
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


# --- the log's filters ---------------------------------------------------------------------------


def test_the_log_filters_by_trigger_status_reason_channel_member_and_date(admin_client, expiry):
    welcome = Trigger.objects.get(code="welcome")
    anna, boris = make_member(phone=PHONE), make_member()
    now = timezone.now()
    rows = {
        "anna-sent": log(expiry, anna, Message.Status.SENT, occasion="a1"),
        "anna-cap": log(expiry, anna, "suppressed", "cap", occasion="a2"),
        "boris-quiet": log(expiry, boris, "queued", "quiet_hours", occasion="b1"),
        "boris-welcome": log(welcome, boris, Message.Status.SENT, occasion="b2"),
        "old": log(welcome, anna, "failed", "error", occasion="a3", created=now - 40 * DAY),
    }  # fmt: skip
    Message.objects.filter(pk=rows["anna-sent"].pk).update(channel="sms")

    def shown(query: str) -> set[str]:
        response = admin_client.get(LOG + query)
        assert response.status_code == 200, query
        ids = {m.pk for m in response.context["cl"].result_list}
        return {name for name, row in rows.items() if row.pk in ids}

    assert shown(f"?trigger__id__exact={welcome.pk}") == {"boris-welcome", "old"}
    assert shown("?status__exact=suppressed") == {"anna-cap"}
    assert shown("?reason__exact=quiet_hours") == {"boris-quiet"}
    assert shown("?channel__exact=sms") == {"anna-sent"}
    assert shown(f"?member__id__exact={anna.pk}") == {"anna-sent", "anna-cap", "old"}
    assert shown("?q=8 (916) 111-22-33") == {"anna-sent", "anna-cap", "old"}  # phone, any form
    assert shown(f"?q={boris.card_number}") == {"boris-quiet", "boris-welcome"}
    since = urlencode({"created_at__gte": (now - 7 * DAY).isoformat()})
    assert shown(f"?{since}") == {"anna-sent", "anna-cap", "boris-quiet", "boris-welcome"}


def test_the_member_page_links_to_the_members_messages(admin_client):
    member = make_member(phone=PHONE)
    page = admin_client.get(f"/admin/customers/member/{member.pk}/change/").content.decode()
    assert f"{LOG}?member__id__exact={member.pk}" in page


def test_the_trigger_page_links_to_its_messages_report_and_preview(admin_client, expiry):
    page = admin_client.get(f"{TRIGGERS}{expiry.pk}/change/").content.decode()
    assert f"{LOG}?trigger__id__exact={expiry.pk}" in page
    assert f"{TRIGGERS}{expiry.pk}/report/" in page
    assert f"{TRIGGERS}{expiry.pk}/preview/" in page


# --- the trigger form ----------------------------------------------------------------------------


def test_channels_are_saved_ticked_in_the_chosen_order(marketer):
    posted = trigger_form(channels=["email", "sms"], channel_order="sms,push,email")
    response = marketer.post(TRIGGERS + "add/", posted)
    assert response.status_code == 302, form_errors(response)
    assert Trigger.objects.get(code="spring").channels == ["sms", "email"]


def test_parameters_are_checked_for_the_kind(marketer, en):
    response = marketer.post(TRIGGERS + "add/", trigger_form(params='{"days": 0}'), **EN)
    assert response.status_code == 200
    assert "days" in " ".join(form_errors(response)["params"])
    response = marketer.post(TRIGGERS + "add/", trigger_form(params='{"colour": 1}'), **EN)
    assert "colour" in " ".join(form_errors(response)["params"])
    assert not Trigger.objects.filter(code="spring").exists()


def test_a_broadcast_needs_a_segment_and_a_send_time(marketer, en):
    posted = trigger_form(code="sale", kind="broadcast", params="{}")
    response = marketer.post(TRIGGERS + "add/", posted, **EN)
    assert set(form_errors(response)) >= {"segment", "send_at"}
    segment = Segment.objects.create(code="vip-test", name="VIP test", kind="static")
    posted.update(segment=segment.pk, send_at_0="2027-03-01", send_at_1="10:00")
    response = marketer.post(TRIGGERS + "add/", posted, **EN)
    assert response.status_code == 302, form_errors(response)
    assert Trigger.objects.get(code="sale").segment == segment


def test_new_broadcast_opens_the_form_with_the_kind_chosen(marketer):
    page = marketer.get(TRIGGERS)
    assert f'href="{TRIGGERS}add/?kind=broadcast"' in page.content.decode()
    form = marketer.get(TRIGGERS + "add/?kind=broadcast").context["adminform"].form
    assert form.initial["kind"] == "broadcast"
    assert form.initial["topic"] == "offers"


def test_a_template_that_does_not_compile_is_not_saved(marketer, expiry, en):
    template = expiry.templates.get(channel="sms", language="ru")
    page = marketer.get(f"{TRIGGERS}{expiry.pk}/change/")
    posted = _change_form_as_posted(page)
    index = next(
        key
        for key, value in posted.items()
        if key.endswith("-id") and str(value) == str(template.pk)
    ).split("-")[1]
    posted[f"templates-{index}-text"] = "Hi {{ first_name }}"
    response = marketer.post(f"{TRIGGERS}{expiry.pk}/change/", posted, **EN)
    assert response.status_code == 302  # the form as shown saves
    template.refresh_from_db()
    assert template.text == "Hi {{ first_name }}"
    posted[f"templates-{index}-text"] = "{% if %}broken"
    response = marketer.post(f"{TRIGGERS}{expiry.pk}/change/", posted, **EN)
    assert response.status_code == 200
    assert "Template error" in response.content.decode()
    template.refresh_from_db()
    assert "broken" not in template.text


def test_switching_triggers_off_and_on(marketer, expiry):
    marketer.post(TRIGGERS, {"action": "switch_off", "_selected_action": [expiry.pk]})
    expiry.refresh_from_db()
    assert not expiry.enabled
    marketer.post(TRIGGERS, {"action": "switch_on", "_selected_action": [expiry.pk]})
    expiry.refresh_from_db()
    assert expiry.enabled


def _change_form_as_posted(response) -> dict:
    """The change form's fields with their current values, as a browser would post them."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = list(value)
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    data.pop("send_at", None)
    data.update(send_at_0="", send_at_1="")
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                data[inline_form.add_prefix(name)] = "" if value is None else value
    return data


# --- the report and the settings -----------------------------------------------------------------


def test_the_report_page_shows_the_figures_of_the_period(admin_client, expiry, member, en):
    log(expiry, member, Message.Status.SENT, occasion="a1")
    log(expiry, make_member(), "suppressed", "cap", occasion="b1")
    response = admin_client.get(f"{TRIGGERS}{expiry.pk}/report/", **EN)
    report = response.context["report"]
    assert (report.delivery.sent, report.delivery.suppressed_by) == (1, {"cap": 1})
    page = response.content.decode()
    assert 'id="row-suppressed-cap"' in page
    old = admin_client.get(f"{TRIGGERS}{expiry.pk}/report/?first=2020-01-01&last=2020-01-31")
    assert old.context["report"].delivery.total == 0
    bad = admin_client.get(f"{TRIGGERS}{expiry.pk}/report/?first=2020-02-01&last=2020-01-01")
    assert bad.status_code == 200 and bad.context["form"].errors


def test_the_trigger_list_shows_recent_sent_and_suppressed(admin_client, expiry, member):
    log(expiry, member, Message.Status.SENT, occasion="a1")
    log(expiry, member, "suppressed", "cap", occasion="a2")
    log(expiry, member, "suppressed", "holdout", occasion="a3")
    response = admin_client.get(TRIGGERS)
    row = next(t for t in response.context["cl"].result_list if t.pk == expiry.pk)
    assert (row.sent_30, row.suppressed_30) == (1, 2)


def test_the_settings_list_opens_the_one_row(marketer):
    row = MessagingSettings.objects.get()
    response = marketer.get(SETTINGS)
    assert response.status_code == 302
    assert response["Location"].endswith(f"{SETTINGS}{row.pk}/change/")
    assert marketer.get(SETTINGS + "add/").status_code == 403  # there is a row already
    marketer.post(
        f"{SETTINGS}{row.pk}/change/",
        {"cap_messages": "2", "cap_days": "7", "quiet_start": "22:00", "quiet_end": "08:00"},
    )
    row.refresh_from_db()
    assert (row.cap_messages, row.quiet_start) == (2, dt.time(22, 0))


# --- the preview ---------------------------------------------------------------------------------


def test_the_preview_renders_a_template_for_a_real_member(marketer, expiry):
    make_member(phone=PHONE, first_name="Ольга")
    response = marketer.post(
        f"{TRIGGERS}{expiry.pk}/preview/",
        {"member": "8 916 111-22-33", "channel": "email", "language": "", "variables": "{}"},
    )
    assert response.status_code == 200
    rendered = response.context["rendered"]
    assert rendered.subject == "Баллы скоро сгорят"
    assert rendered.text.startswith("Ольга, здравствуйте!")
    page = response.content.decode()
    assert 'sandbox=""' in page and "srcdoc=" in page
    assert "&lt;p&gt;Ольга, здравствуйте!&lt;/p&gt;" in page  # the HTML, inert in the attribute


def test_the_preview_refuses_an_unknown_phone_with_a_form_error(marketer, expiry, en):
    response = marketer.post(
        f"{TRIGGERS}{expiry.pk}/preview/",
        {"member": "+79990000000", "channel": "email", "variables": "{}"},
        **EN,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["member"] == ["No member matches."]
    assert response.context["rendered"] is None


def test_the_preview_says_when_the_trigger_has_no_words_for_the_channel(marketer, expiry, en):
    make_member(phone=PHONE)
    expiry.templates.filter(channel="sms").delete()
    url = f"{TRIGGERS}{expiry.pk}/preview/"
    response = marketer.post(url, {"member": PHONE, "channel": "sms"}, **EN)
    assert response.context["missing"] is True
    assert 'id="trigger-preview-missing"' in response.content.decode()


def test_the_preview_shows_a_broken_saved_template_as_a_form_error(marketer, expiry, en):
    make_member(phone=PHONE)
    expiry.templates.filter(channel="push").update(text="{% if %}")
    url = f"{TRIGGERS}{expiry.pk}/preview/"
    response = marketer.post(url, {"member": PHONE, "channel": "push", "language": "ru"}, **EN)
    assert response.status_code == 200
    assert "Template error" in str(response.context["form"].non_field_errors())


def test_the_preview_uses_the_sample_occasion_when_none_is_given(marketer, expiry):
    make_member(phone=PHONE)
    url = f"{TRIGGERS}{expiry.pk}/preview/"
    response = marketer.post(url, {"member": PHONE, "channel": "push", "language": "en"})
    assert response.context["rendered"].text.startswith("In 3 days, 250 points will expire")


# --- the demo ------------------------------------------------------------------------------------


def test_the_demo_switches_triggers_on_and_leaves_a_week_of_messages_once(db, tmp_path, settings):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    call_command("seed_demo", members=30, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())
    on = set(Trigger.objects.filter(enabled=True).values_list("code", flat=True))
    assert on == set(DEMO_TRIGGERS)
    assert Trigger.objects.get(code="expiry").holdout_percent == 20
    made = Message.objects.count()
    assert made > 0
    week_ago = timezone.now() - 8 * DAY
    assert not Message.objects.filter(created_at__lt=week_ago).exists()
    call_command("seed_demo", members=30, api_key_file=str(tmp_path / "k"), stdout=io.StringIO())
    assert Message.objects.count() == made
