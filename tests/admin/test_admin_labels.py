"""The back-office labels every column, field and section through the translation catalogue, so
a Russian admin never shows an English field name ("Account", "From tier", "Idempotency key").

The pages are rendered in English with every translated string marked ⟦…⟧ (a pseudo-language):
a label that reaches the page without gettext shows up unmarked, whatever the catalogue holds.
"""

import html
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, label_for_field
from django.db.models import Field
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from customers.models import Consent, Member
from customers.services import set_consent
from loyalty.models import LedgerEntry, PartnerAPIKey, Refund, Tier
from loyalty.services import adjust_points, pin_tier, record_purchase, refund_purchase
from tests.factories import make_member

OUR_APPS = {"customers", "loyalty", "campaigns", "cabinet", "desk"}
# A language is offered under its own name, the same in every language of the admin.
AUTONYMS = {"Русский", "English"}


@pytest.fixture
def marked(settings, monkeypatch):
    """English pages in which every string that went through gettext reads ⟦…⟧."""
    settings.LANGUAGE_CODE = "en"
    real = translation._trans.gettext
    monkeypatch.setattr(translation._trans, "gettext", lambda message: f"⟦{real(message)}⟧")


def _get(client, name, *args) -> str:
    response = client.get(reverse(f"admin:{name}", args=args), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, name
    return response.content.decode()


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def column(page: str, field: str) -> str:
    """The header of a list's or a tabular inline's column."""
    match = re.search(rf'<th[^>]*class="[^"]*\bcolumn-{field}\b[^"]*"[^>]*>(.*?)</th>', page, re.S)
    assert match, f"no column {field}"
    return _text(match.group(1))


def label(page: str, field: str) -> str:
    """The label of a field on a change form (editable or read-only)."""
    match = re.search(
        rf'<div class="[^"]*\bfield-{field}\b[^"]*">.*?<label[^>]*>(.*?)</label>', page, re.S
    )
    assert match, f"no field {field}"
    return re.sub(r"(⟦:⟧|:)$", "", _text(match.group(1)))


def _admin_models():
    """Every model the admin shows: the registered ones and their inlines, from our apps."""
    for model, model_admin in admin.site._registry.items():
        yield model
        yield from (inline.model for inline in model_admin.inlines)


def test_every_field_the_admin_shows_has_a_translatable_label():
    untranslated = []
    for model in set(_admin_models()):
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, Field) or field.auto_created or field.primary_key:
                continue
            if not isinstance(field.verbose_name, Promise):
                untranslated.append(f"{model._meta.label}.{field.name}")
            if field.help_text and not isinstance(field.help_text, Promise):
                untranslated.append(f"{model._meta.label}.{field.name} (help text)")
            untranslated += [
                f"{model._meta.label}.{field.name} = {value!r}"
                for value, text in field.flatchoices
                if value != "" and not isinstance(text, Promise) and text not in AUTONYMS
            ]
    assert sorted(untranslated) == []


def _labels(model, model_admin, request):
    """Each column, read-only field and list filter of a model's admin, with its title."""
    names = [*model_admin.get_list_display(request), *model_admin.get_readonly_fields(request)]
    for name in names:
        # The object itself is titled with the model's name; "ID" reads the same in any language.
        if isinstance(name, str) and name not in ("action_checkbox", "__str__", "id"):
            yield name, label_for_field(name, model, model_admin)
    for spec in model_admin.get_list_filter(request):
        if isinstance(spec, tuple):
            spec = spec[0]
        if isinstance(spec, str):
            yield spec, get_fields_from_path(model, spec)[-1].verbose_name
        else:
            yield spec.__name__, spec.title


def test_every_column_read_only_field_and_filter_has_a_translatable_title(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    untranslated = [
        f"{model._meta.label}: {name} ({title!r})"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
        for name, title in _labels(model, model_admin, request)
        if not isinstance(title, Promise)
    ]
    assert untranslated == []


def test_the_ledger_names_its_account_purchase_and_staff_columns(
    admin_client, marked, member, admin_user, now
):
    adjust_points(member_id=member.pk, points=50, reason="gift", staff=admin_user, now=now)
    page = _get(admin_client, "loyalty_ledgerentry_changelist")
    assert column(page, "account") == "⟦account⟧"
    assert column(page, "purchase") == "⟦purchase⟧"
    assert column(page, "staff") == "⟦staff user⟧"
    entry = LedgerEntry.objects.filter(account__member=member).first()
    form = _get(admin_client, "loyalty_ledgerentry_change", entry.pk)
    assert label(form, "lot") == "⟦points lot⟧"
    assert label(form, "refund") == "⟦refund⟧"
    assert label(form, "partner") == "⟦partner⟧"


def test_a_tier_change_names_both_tiers_and_reads_as_from_to(
    admin_client, marked, member, admin_user, now
):
    change = pin_tier(
        member_id=member.pk,
        tier=Tier.objects.order_by("order").last(),
        reason="VIP",
        staff=admin_user,
        now=now,
    )
    page = _get(admin_client, "loyalty_tierchange_changelist")
    assert column(page, "from_tier") == "⟦from tier⟧"
    assert column(page, "to_tier") == "⟦to tier⟧"
    form = _get(admin_client, "loyalty_tierchange_change", change.pk)
    assert label(form, "staff") == "⟦staff user⟧"
    assert "TierChange object" not in form
    assert f"{change.from_tier} → {change.to_tier}" in html.unescape(form)


def test_a_purchase_and_its_refund_name_their_refund_columns(
    admin_client, marked, member, partner, now
):
    purchase = record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="P-1",
        lines=[{"sku": "SOCKS", "price": "100", "quantity": 3}],
        idempotency_key="till-1",
        now=now,
    ).purchase
    refund_purchase(
        purchase_id=purchase.pk,
        external_id="R-1",
        lines=[{"sku": "SOCKS", "quantity": 1}],
        now=now,
        partner=partner,
    )
    page = _get(admin_client, "loyalty_purchase_change", purchase.pk)
    assert label(page, "idempotency_key") == "⟦idempotency key⟧"
    assert column(page, "refunded_quantity") == "⟦refunded quantity⟧"
    assert column(page, "refunded_amount") == "⟦refunded amount, ₽⟧"

    refund = Refund.objects.get(purchase=purchase)
    page = _get(admin_client, "loyalty_refund_change", refund.pk)
    assert column(page, "line") == "⟦purchase line⟧"
    assert column(page, "quantity") == "⟦quantity⟧"
    assert "RefundLine object" not in page
    assert "SOCKS × 1" in page


def test_the_api_key_list_and_form_speak_the_admins_language(admin_client, marked, partner):
    PartnerAPIKey.objects.create_key(partner=partner, name="till")
    page = _get(admin_client, "loyalty_partnerapikey_changelist")
    for field, text in {
        "name": "⟦name⟧",
        "prefix": "⟦prefix⟧",
        "created": "⟦created at⟧",
        "expiry_date": "⟦valid until⟧",
        "expired": "⟦has expired⟧",
        "revoked": "⟦revoked⟧",
    }.items():
        assert column(page, field) == text
    form = _get(admin_client, "loyalty_partnerapikey_add")
    assert "⟦Any name to tell the key apart, up to 50 characters.⟧" in form
    assert "⟦After this moment the key no longer works.⟧" in form


def test_a_challenge_names_its_goals_in_words(admin_client, marked):
    page = _get(admin_client, "campaigns_campaign_add")
    field = re.search(r'<select name="param_goal"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert [_text(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", field)] == [
        "—",
        "⟦N purchases⟧",
        "⟦purchases in N categories⟧",
        "⟦a purchase every week⟧",
    ]


def test_a_profile_campaign_names_the_profile_fields(admin_client, marked):
    page = _get(admin_client, "campaigns_campaign_add")
    field = re.search(r'<div id="id_param_fields">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert [_text(choice) for choice in re.findall(r"<label[^>]*>(.*?)</label>", field, re.S)] == [
        "⟦first name⟧",
        "⟦last name⟧",
        "⟦e-mail⟧",
        "⟦birth date⟧",
    ]


def test_the_faq_names_its_english_section(admin_client, marked):
    page = _get(admin_client, "cabinet_faqentry_add")
    assert "⟦In English⟧" in page
    assert ">English<" not in page


def test_a_consent_says_where_it_was_given_in_words(admin_client, marked, now):
    member = make_member(now=now)
    set_consent(
        member=member, kind=Consent.Kind.MARKETING_SMS, given=True, now=now, source="cabinet"
    )
    page = _get(admin_client, "customers_member_change", member.pk)
    assert column(page, "source_label") == "⟦source⟧"
    assert str(Member.Channel.CABINET.label) in page
    assert ">cabinet<" not in page


def test_the_beat_schedules_label_their_tasks_and_say_the_crontab_in_words(admin_client, marked):
    crontab = CrontabSchedule.objects.create(minute="30", hour="4")
    PeriodicTask.objects.create(name="burn", task="loyalty.tasks.burn_points", crontab=crontab)
    page = _get(admin_client, "django_celery_beat_crontabschedule_changelist")
    assert column(page, "in_words") == "⟦When it runs⟧"
    form = _get(admin_client, "django_celery_beat_crontabschedule_change", crontab.pk)
    assert label(form, "in_words") == "⟦When it runs⟧"
    assert column(form, "title") == "⟦Task⟧"
    assert column(form, "celery_task") == "⟦task function⟧"
    assert "Human readable" not in form
    assert "Task Name" not in form


# Passes only once the lead has merged /tmp/h20/po/B-*.po into the catalogues and compiled them:
# the Russian for a sample of the labels above and of django-celery-beat's untranslated phrases
# (listed in core/admin_phrases.py).
@pytest.mark.parametrize(
    "msgid",
    [
        "account",
        "from tier",
        "to tier",
        "idempotency key",
        "refunded quantity",
        "has expired",
        "check without a card",
        "In English",
        "Execution Options",
        "Periodic Tasks Using This Schedule",
    ],
)
def test_after_merge_the_russian_catalogue_translates(msgid):
    with translation.override("ru"):
        assert translation.gettext(msgid) != msgid
