"""The Russian admin speaks Russian: every model is named in the right case in the phrases the
admin builds around it, counts and dates read right, and no English is left in a page's own text.

For every model registered in the admin, a superuser opens, in Russian, with one real object of
each model: the list, the add form, the change form, the delete confirmation, the history page
and the list drilled down to a day of its date hierarchy."""

import contextlib
import datetime as dt
import html
import json
import re
from functools import cache
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client, TestCase
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django_celery_beat.models import ClockedSchedule, SolarSchedule

from core.model_names import DECLINED_NAMES
from tests.factories import (
    T0,
    PartnerFactory,
    StoreFactory,
    UserFactory,
    make_campaign,
    make_member,
)

LABELS = sorted(model._meta.label_lower for model in admin.site._registry)

# Latin words a Russian page may show: the product's name, abbreviations, formats.
ALLOWED_WORDS = {
    "Kopilka", "API", "CSV", "XLSX", "PDF", "QR", "ID", "URL", "UUID", "HMAC", "RFM", "FAQ",
    "SMS", "JSON", "HTTP", "HTTPS", "POS", "EAN", "SKU", "IP", "UTC", "ISO", "E", "e-mail",
    "E-mail", "push", "LTV", "ROI", "N", "n", "HTML", "AMQP", "RabbitMQ", "Redis", "Cron",
    # Django's own Russian: "Удерживайте “Control“ (или “Command“ на Mac)…", "…LDAP"
    "Control", "Command", "Mac", "LDAP", "Single", "Sing-On", "UTF", "id",
}  # fmt: skip
# Addresses, paths, code (identifiers such as loyalty.tasks.burn_points, `segment`, JSON).
_NOT_WORDS = re.compile(
    r"\S+@\S+\.\S+|https?://\S+|/[\w/.-]+|\S*\*{3,}\S*|\w+(?:[._]\w+)+|`[^`]*`|\{[^{}]*\}|\[[^\[\]]*\]"
)
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*")


def _model(label):
    return apps.get_model(label)


# --- data: one object of every model, made once for the module --------------------------------
def _one_of_each():
    """A small program with one row in every table the admin lists."""
    from cabinet.models import FaqEntry
    from campaigns.models import (
        Award,
        BulkItem,
        BulkOperation,
        Message,
        Segment,
        SegmentMember,
        Trigger,
        WebhookDelivery,
        WebhookEndpoint,
        WebhookEvent,
    )
    from customers.models import DataRequest, PersonalDataAccess
    from desk.models import DeskActivity
    from loyalty.models import (
        Account,
        AdjustmentRequest,
        GuestCheck,
        HistoryImport,
        PartnerAPIKey,
        Tier,
        TierChange,
    )
    from loyalty.services import adjust_points, record_purchase, refund_purchase

    now = T0
    admin_user = UserFactory(username="админ", is_superuser=True)
    partner = PartnerFactory(name="Магазин у дома")
    store = StoreFactory(partner=partner, name="Тверская")
    member = make_member(now=now, first_name="Анна", last_name="Кузнецова")
    adjust_points(member_id=member.pk, points=50, reason="подарок", staff=None, now=now)
    purchase = record_purchase(
        member_id=member.pk,
        partner=partner,
        store=store,
        external_id="Ч-1",
        lines=[{"sku": "1", "price": "1000"}, {"sku": "2", "price": "500"}],
        now=now,
    ).purchase
    refund_purchase(
        purchase_id=purchase.pk, external_id="В-1", amount="500", now=now, partner=partner
    )
    PartnerAPIKey.objects.create_key(partner=partner, name="касса")
    account = Account.objects.get(member=member)
    TierChange.objects.create(
        account=account,
        to_tier=Tier.objects.order_by("order").last(),
        reason="upgrade",
        created_at=now,
    )
    GuestCheck.objects.create(
        partner=partner,
        store=store,
        external_id="Ч-2",
        occurred_at=now,
        total="300",
        created_at=now,
    )
    AdjustmentRequest.objects.create(member=member, points=5000, reason="жалоба", requested_at=now)
    HistoryImport.objects.create(
        kind="members", file=ContentFile(b"phone\n", name="участники.csv"), created_at=now
    )
    PersonalDataAccess.objects.create(
        username="админ", action="export", resource="участники", model="customers.member",
        row_count=1, file_format="csv", created_at=now,
    )  # fmt: skip
    DataRequest.objects.create(member=member, kind="export", source="cabinet", created_at=now)
    campaign = make_campaign(name="Двойные баллы")
    Award.objects.create(campaign=campaign, member=member, created_at=now)
    segment = Segment.objects.create(code="language-test", name="Лучшие", kind=Segment.Kind.STATIC)
    SegmentMember.objects.create(segment=segment, member=member, since=now)
    trigger = Trigger.objects.create(
        code="language-test", name="Сгорание", kind=Trigger.Kind.EXPIRY, topic=Trigger.Topic.EXPIRY
    )
    Message.objects.create(
        member=member, trigger=trigger, occasion="1", topic="expiry", status="sent", created_at=now
    )
    operation = BulkOperation.objects.create(
        kind="award", points=10, reason="праздник", created_at=now
    )
    BulkItem.objects.create(operation=operation, member=member)
    endpoint = WebhookEndpoint.objects.create(
        name="Учёт", url="https://crm.example.ru/h", secret="секрет", secret_rotated_at=now,
        created_at=now, updated_at=now,
    )  # fmt: skip
    event = WebhookEvent.objects.create(
        key="событие-1", type=WebhookEvent._meta.get_field("type").choices[0][0],
        occurred_at=now, created_at=now,
    )  # fmt: skip
    WebhookDelivery.objects.create(event=event, endpoint=endpoint, created_at=now)
    DeskActivity.objects.create(user=admin_user, action="lookup", created_at=now)
    FaqEntry.objects.create(question="Как копить?", answer="Покупайте.")
    ClockedSchedule.objects.create(clocked_time=now)
    SolarSchedule.objects.create(event="sunset", latitude="55.75", longitude="37.61")
    Group.objects.get_or_create(name="маркетолог")
    return admin_user


@pytest.fixture(scope="module")
def superuser(django_db_setup, django_db_blocker):
    """The data is made once and rolled back after the module, as Django's TestCase does."""
    with django_db_blocker.unblock():
        atomics = TestCase._enter_atomics()
        try:
            with translation.override("ru"):
                yield _one_of_each()
        finally:
            TestCase._rollback_atomics(atomics)


# --- pages -------------------------------------------------------------------------------------
class _Page:
    """A rendered page: its HTML, its own text (`chrome`), the templates that drew it, the
    count of its list and, on a date hierarchy's day, that day."""

    def __init__(self, url, content, chrome):
        self.url, self.html, self.chrome = url, content, chrome
        self.templates: set[str] = set()
        self.result_count: int | None = None
        self.date = None

    @property
    def text(self):
        return " ".join(" ".join(self.chrome).split())


class _Chrome(HTMLParser):
    """A page's own text: titles, headings, column headers, labels, filters, buttons, links,
    help texts and messages — without scripts, styles and the data the page shows (table rows
    of lists and inlines, read-only values, form values, the objects a deletion would take)."""

    # Scripts, styles and values: text areas and the options of a select (rows of another
    # table, time zones…).
    SKIP = {"script", "style", "textarea", "option", "code"}
    # The objects a deletion would take (data); the sidebar of every model, checked once on the
    # index page.
    SKIP_IDS = {"deleted-objects", "nav-sidebar"}
    VOID = {"input", "br", "img", "hr", "meta", "link", "col", "source", "wbr", "area", "base"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.texts = [], []

    def _data_depth(self):
        in_tbody = "tbody" in [tag for tag, _attrs in self.stack]
        for tag, attrs in self.stack:
            classes = (attrs.get("class") or "").split()
            if tag in self.SKIP or "readonly" in classes or attrs.get("id") in self.SKIP_IDS:
                return True
            if (in_tbody and tag in ("td",)) or (
                in_tbody and tag == "th" and "column" not in classes
            ):
                return True
        return False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        is_button = tag == "input" and attrs.get("type") in ("submit", "button")
        if is_button and attrs.get("value") and not self._data_depth():
            self.texts.append(attrs["value"])
        if (
            tag in ("input", "a", "button", "span")
            and attrs.get("title")
            and not self._data_depth()
        ):
            self.texts.append(attrs["title"])
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip() and not self._data_depth():
            self.texts.append(data.strip())


def _render(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru", follow=True)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    content = response.content.decode()
    parser = _Chrome()
    parser.feed(content)
    page = _Page(
        response.redirect_chain[-1][0] if response.redirect_chain else url, content, parser.texts
    )
    # Django's own views (not a model admin's page of its own, nor a singleton's redirect)
    page.templates = {t.name for t in response.templates if t.name}
    changelist = response.context.get("cl") if response.context else None
    page.result_count = getattr(changelist, "result_count", None)
    return page


def _day_of(model_admin, model):
    field = model_admin.date_hierarchy
    if not field or "__" in field:
        return None
    value = (
        model._default_manager.exclude(**{f"{field}__isnull": True})
        .values_list(field, flat=True)
        .first()
    )
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return field, value


_RENDERED = {}


def _pages(label, client):
    """The pages of one model, rendered once for both tests below."""
    if label not in _RENDERED:
        _RENDERED[label] = _render_pages(label, client)
    return _RENDERED[label]


def _render_pages(label, client):
    model = _model(label)
    model_admin = admin.site._registry[model]
    request = type("Request", (), {"user": client.user})()
    pages = {}
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    pages["changelist"] = _render(client, reverse(f"{prefix}_changelist"))
    if model_admin.has_add_permission(request):
        with contextlib.suppress(NoReverseMatch):  # an admin without an add page
            pages["add"] = _render(client, reverse(f"{prefix}_add"))
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        args = [quote(obj.pk)]
        pages["change"] = _render(client, reverse(f"{prefix}_change", args=args))
        if model_admin.has_delete_permission(request, obj):
            pages["delete"] = _render(client, reverse(f"{prefix}_delete", args=args))
        pages["history"] = _render(client, reverse(f"{prefix}_history", args=args))
    day = _day_of(model_admin, model)
    if day is not None:
        field, value = day
        query = f"?{field}__year={value.year}&{field}__month={value.month}"
        base = reverse(f"{prefix}_changelist")
        pages["month"] = _render(client, base + query)
        pages["day"] = _render(client, base + query + f"&{field}__day={value.day}")
        pages["day"].date = value
    return model, obj, pages


@pytest.fixture
def ru_client(superuser, db):
    translation.activate("ru")
    client = Client()
    client.force_login(superuser)
    client.user = superuser
    yield client
    translation.deactivate()


def test_every_model_in_the_admin_has_its_declined_names():
    """Each model the admin shows is declined; the English forms are its own verbose names."""
    missing = [label for label in LABELS if label not in DECLINED_NAMES]
    assert not missing, f"add these models to core/model_names.py: {missing}"
    with translation.override("en"):
        wrong = {
            label: (str(names.accusative), str(_model(label)._meta.verbose_name))
            for label, names in DECLINED_NAMES.items()
            if label in LABELS and str(names.accusative) != str(_model(label)._meta.verbose_name)
        }
    assert not wrong, f"the English accusative must be the verbose name: {wrong}"


def _says(text: str, phrase: str) -> bool:
    """`phrase` in `text` as whole words ("Изменить участник" is not in "Изменить участника")."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


@pytest.mark.parametrize("label", LABELS)
def test_admin_pages_name_the_model_in_the_right_case(label, ru_client):
    """ "Выберите участника для изменения", "Добавить покупку", "удалить участника «…»",
    "Участники: 3", "7 декабря" — never the nominative where Django's phrase needs another case."""
    model, _obj, pages = _pages(label, ru_client)
    nominative = str(model._meta.verbose_name)
    accusative = str(DECLINED_NAMES[label].accusative)
    titles = {
        "changelist": ("Select %s to change", "Select %s to view"),
        "add": ("Add %s",),
        "change": ("Change %s", "View %s"),
    }
    problems = []
    for kind, page in pages.items():
        text = page.text
        for msgid in titles.get(kind, ()):
            if accusative != nominative and _says(text, gettext(msgid) % nominative):
                problems.append(f"{page.url}: «{gettext(msgid) % nominative}»")
        djangos = {"changelist": "admin/change_list.html"}.get(kind, "admin/change_form.html")
        if (
            kind in titles
            and djangos in page.templates
            and not any(_says(text, gettext(m) % accusative) for m in titles[kind])
        ):
            problems.append(f"{page.url}: no title naming the {label} as «{accusative}»")
    changelist = pages["changelist"]
    if changelist.result_count is not None and 'class="paginator"' in changelist.html:
        expected = f"{capfirst(model._meta.verbose_name_plural)}: {changelist.result_count}"
        if not _says(changelist.text, expected):
            problems.append(f"{pages['changelist'].url}: no count «{expected}»")
    if "delete" in pages:
        text = pages["delete"].text
        if not _says(text, f"удалить {accusative}"):
            problems.append(f"{pages['delete'].url}: no «удалить {accusative}»")
    if "day" in pages:
        day = pages["day"].date
        genitive = formats.date_format(day, "j E")
        nominative_day = f"{day.day} {formats.date_format(day, 'F')}"
        for kind in ("month", "day"):
            text = pages[kind].text
            if not _says(text, genitive):
                problems.append(f"{pages[kind].url}: no day «{genitive}»")
            if nominative_day != genitive and _says(text, nominative_day):
                problems.append(f"{pages[kind].url}: «{nominative_day}»")
    for page in pages.values():
        for inline in re.findall(r'data-inline-formset="([^"]*)"', page.html):
            add_text = json.loads(html.unescape(inline))["options"]["addText"]
            if "один" in add_text or "одна" in add_text:  # "Добавить еще один Важная дата"
                problems.append(f"{page.url}: inline «{add_text}»")
    assert not problems, "\n".join(problems)


@cache
def _user_data():
    """What the test's rows say of themselves: a page shows it as data, not as its own text."""
    values = set()
    for model in apps.get_models():
        for obj in model._default_manager.all()[:500]:
            try:
                values.add(str(obj))
            except Exception:  # a __str__ that needs related rows: not shown either
                continue
    return sorted((v for v in values if v.strip()), key=len, reverse=True)


def _english(page, data):
    found = []
    for chunk in page.chrome:
        for value in data:
            if value and value in chunk:
                chunk = chunk.replace(value, " ")
        chunk = _NOT_WORDS.sub(" ", chunk)
        words = [w for w in _LATIN_WORD.findall(chunk) if w.strip("-’'") not in ALLOWED_WORDS]
        if words:
            found.append(" ".join(chunk.split()))
    return found


def test_admin_index_and_its_sidebar_show_no_english_in_russian(ru_client):
    """The list of every app and model, which the sidebar of each page repeats."""
    page = _render(ru_client, reverse("admin:index"))
    assert 'id="nav-sidebar"' in _render(ru_client, reverse("admin:auth_group_changelist")).html
    found = _english(page, _user_data())
    assert not found, f"English in the Russian admin:\n{page.url}\n    " + "\n    ".join(found)


@pytest.mark.parametrize("label", LABELS)
def test_admin_pages_show_no_english_in_russian(label, ru_client):
    """A page's own text — titles, headings, column headers, labels, filters, buttons, help
    texts, messages — is Russian; only names such as API, CSV or Kopilka stay Latin."""
    *_, pages = _pages(label, ru_client)
    data = _user_data()
    offending = {}
    for page in pages.values():
        found = _english(page, data)
        if found:
            offending[page.url] = sorted(set(found))
    assert not offending, "English in the Russian admin:\n" + "\n".join(
        f"{url}\n    " + "\n    ".join(texts) for url, texts in offending.items()
    )


def _messages(response) -> list[str]:
    return [re.sub(r"<[^>]+>", "", str(message)) for message in response.context["messages"]]


def test_saving_and_deleting_say_what_happened_whatever_the_models_gender(ru_client):
    """ "Добавлено: группа «Кассиры»." — not "группа … был успешно добавлен"; a bulk deletion asks
    "удалить группы?" and reports "Удалено записей: 2."."""
    add = ru_client.post(
        reverse("admin:auth_group_add"),
        {"name": "Кассиры-2"},
        HTTP_ACCEPT_LANGUAGE="ru",
        follow=True,
    )
    assert _messages(add) == ["Добавлено: группа «Кассиры-2»."]
    second = Group.objects.create(name="Аналитики-2")
    first = Group.objects.get(name="Кассиры-2")
    changelist = reverse("admin:auth_group_changelist")
    selected = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}
    confirm = ru_client.post(changelist, selected, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Вы уверены, что хотите удалить группы?" in confirm.content.decode()
    one = {"action": "delete_selected", "_selected_action": [first.pk]}
    confirm_one = ru_client.post(changelist, one, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Вы уверены, что хотите удалить группу?" in confirm_one.content.decode()
    done = ru_client.post(
        changelist, {**selected, "post": "yes"}, HTTP_ACCEPT_LANGUAGE="ru", follow=True
    )
    assert _messages(done) == ["Удалено записей: 2."]


def test_the_delete_action_and_select_all_need_no_declension(ru_client):
    """ "Удалить выбранные записи", "Выбрать все записи на всех страницах (N)": no model name
    that would have to agree with "выбранные" or "все"."""
    page = _render(ru_client, reverse("admin:auth_group_changelist"))
    assert "Удалить выбранные записи" in page.html
    assert "Удалить выбранные группы" not in page.html
