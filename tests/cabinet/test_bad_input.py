"""Whatever a member or a cashier types, or puts in a URL, the cabinet and the desk answer with
a form error, a redirect or a 404 — never a 5xx.

Every route of the two apps is read from the URL resolver and every form from the pages
themselves, so a page or a field added later is covered without touching this file.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from campaigns.unsubscribe import unsubscribe_token
from customers.models import ImportantDate
from desk.access import CASHIER_GROUP, member_ref
from loyalty.services import adjust_points, record_purchase, refund_purchase
from tests.cabinet.conftest import login_as
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

# What a field may get, by its kind: what people type, what a date picker can be made to send,
# what a tampered checkbox, choice or hidden field carries.
ODD_TEXT = [
    "",
    "\x00",
    "x" * 5000,
    "-1",
    "99999999999999999999999",
    "1e999",
    "١٢٣",
    "9999-12-31",
]
ODD_DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "\x00", "x" * 5000]
ODD_CHOICES = ["\x00", "x" * 5000, "-1"]
ODD_BY_KIND = {"date": ODD_DATES, "checkbox": ODD_CHOICES, "radio": ODD_CHOICES}
ODD_BY_KIND |= {"select": ODD_CHOICES, "hidden": ODD_CHOICES}
ODD_PARAMS = ["\x00", "x" * 5000, "99999999999999999999999", "-1"]
ODD_IDS = {"int": ["999999999", "9" * 30], "str": ["abc", "x" * 500, "%00", "0" * 13]}
REPEATED_ROW = re.compile(r"-[1-9][0-9]*-")
# Routes that end the session the walk runs in: walked last, their forms sent from their own page.
SESSION_ENDING = {"cabinet:logout", "desk:logout", "cabinet:erase"}


class Forms(HTMLParser):
    """The forms of a page: action, method and their fields with the values they carry."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action") or "",
                    "method": (attrs.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        if not self.forms or "name" not in attrs:
            return
        form = self.forms[-1]
        fields, kinds = form["fields"], form.setdefault("kinds", {})
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            kinds[attrs["name"]] = kind
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                fields.setdefault(attrs["name"], None)
            else:
                fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            fields[attrs["name"]] = ""
            kinds[attrs["name"]] = "text"
        elif tag == "select":
            self._select = attrs["name"]
            fields[attrs["name"]] = None
            kinds[attrs["name"]] = "select"
        elif tag == "option" and self._select and fields.get(self._select) is None:
            fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(response, url: str) -> list[dict]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        form["action"] = urljoin(url, form["action"]) or url
        form["fields"] = {k: v for k, v in form["fields"].items() if v is not None}
        form.setdefault("kinds", {})
    return parser.forms


def routes(namespace: str):
    """(route name, URL pattern) of every route of the namespace, from the resolver."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == namespace:
                    yield from walk(entry.url_patterns, str(entry.pattern))
            elif isinstance(entry, URLPattern) and prefix is not None and entry.name:
                yield f"{namespace}:{entry.name}", prefix + str(entry.pattern)

    found = list(walk(get_resolver().url_patterns, None))
    assert found, namespace
    return found


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill(route: str, values: dict) -> str:
    """The pattern `route` with its <converter:name> parts replaced from `values`."""
    return "/" + PARAM.sub(lambda match: str(values[match.group(2)]), route)


class Walker:
    def __init__(self, client: Client):
        self.client = client
        self.client.raise_request_exception = False
        self.failures: list[str] = []
        self.requests = 0
        self.seen_forms: set = set()

    def check(self, method: str, url: str, data=None):
        self.requests += 1
        call = self.client.get if method == "get" else self.client.post
        response = call(url, data or {})
        if response.status_code >= 500:
            shown = {k: (v[:40] if isinstance(v, str) else v) for k, v in (data or {}).items()}
            self.failures.append(f"{response.status_code} {method.upper()} {url[:80]} {shown}")
        return response

    def fuzz_forms(self, url: str, namespace: str):
        """Submit each form of the page (once per action) with each field set to each value."""
        for form in forms_of(self.check("get", url), url):
            action = resolve(urlsplit(form["action"]).path)
            seen = (action.view_name, form["method"], tuple(form["fields"]))
            if action.namespace != namespace:
                continue  # Django's own views (the language switch)
            if action.view_name in SESSION_ENDING and urlsplit(form["action"]).path != url:
                continue  # logging out from every page would end the walk
            if seen in self.seen_forms:
                continue
            self.seen_forms.add(seen)
            for name, kind in form["kinds"].items():
                if REPEATED_ROW.search(name):
                    continue  # rows of a formset after the first are alike
                for value in ODD_BY_KIND.get(kind, ODD_TEXT):
                    self.check(form["method"], form["action"], {**form["fields"], name: value})

    def walk(self, namespace: str, ids: dict):
        for _name, route in sorted(routes(namespace), key=lambda r: r[0] in SESSION_ENDING):
            url = fill(route, ids)
            self.fuzz_forms(url, namespace)
            for value in ODD_PARAMS:
                self.check("get", url, {"page": value, "next": value})
                self.check("post", url, {"anything": value})
            for match in PARAM.finditer(route):
                converter, param = match.group(1) or "str", match.group(2)
                for bad in ODD_IDS.get(converter, ODD_IDS["str"]):
                    bad_url = fill(route, {**ids, param: bad})
                    self.check("get", bad_url)
                    self.check("post", bad_url)


@pytest.fixture
def world(partner, store):
    now = timezone.now()
    member = make_member(now=now - dt.timedelta(days=30), first_name="Анна")
    adjust_points(member_id=member.pk, points=500, reason="gift", staff=None, now=now)
    purchase = record_purchase(
        member_id=member.pk,
        partner=partner,
        store=store,
        external_id="CHK-1",
        lines=[{"sku": "MILK", "price": "100.00", "quantity": 2}],
        now=now - dt.timedelta(days=2),
    ).purchase
    refund = refund_purchase(
        purchase_id=purchase.pk,
        external_id="R-1",
        partner=partner,
        lines=[{"sku": "MILK", "quantity": 1}],
        now=now - dt.timedelta(days=1),
    )
    important = ImportantDate.objects.create(
        member=member, label="Anniversary", date=dt.date(2015, 6, 1), yearly=True
    )
    cashier = UserFactory(username="kassa-fuzz", is_staff=False, store=store)
    cashier.groups.add(Group.objects.get_or_create(name=CASHIER_GROUP)[0])
    return {
        "member": member,
        "purchase": purchase,
        "refund": refund,
        "important": important,
        "cashier": cashier,
    }


@pytest.mark.slow
def test_cabinet_pages_and_forms_never_answer_a_server_error(world, outbox):
    ids = {
        "pk": world["purchase"].pk,
        "card_number": world["member"].card_number,
        "token": unsubscribe_token(world["member"].pk, "email", "offers"),
    }
    member = Walker(login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), world["member"]))
    # The date removal route takes an important date's id, not a purchase's.
    member.fuzz_forms(f"/profile/dates/{world['important'].pk}/remove/", "cabinet")
    member.walk("cabinet", ids)
    anonymous = Walker(Client(HTTP_ACCEPT_LANGUAGE="en"))
    anonymous.walk("cabinet", ids)
    assert member.requests > 300
    assert member.failures + anonymous.failures == []


@pytest.mark.slow
def test_desk_pages_and_forms_never_answer_a_server_error(world, outbox):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["cashier"])
    ids = {"pk": world["purchase"].pk, "ref": member_ref(world["member"].pk, world["cashier"])}
    desk = Walker(client)
    desk.fuzz_forms(f"/desk/refunds/{world['refund'].pk}/", "desk")
    desk.walk("desk", ids)
    anonymous = Walker(Client(HTTP_ACCEPT_LANGUAGE="en"))
    anonymous.walk("desk", ids)
    assert desk.requests > 300
    assert desk.failures + anonymous.failures == []


OUT_OF_RANGE = [
    ("en", "Enter a date between 01/01/2000 and 12/31/2099."),
    ("ru", "Укажите дату с 01.01.2000 по 31.12.2099."),
]


@pytest.mark.parametrize(("language", "message"), OUT_OF_RANGE)
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2100-01-01"])
def test_the_history_filter_refuses_a_day_outside_the_calendar_with_a_form_error(
    client, member, language, message, day
):
    login_as(client, member)
    response = client.get("/history/", {"date_to": day}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize(("language", "message"), OUT_OF_RANGE)
def test_the_statement_refuses_a_period_ending_outside_the_calendar_with_a_form_error(
    client, member, language, message
):
    login_as(client, member)
    response = client.get(
        f"/statement/{member.card_number}.pdf",
        {"date_from": "2026-01-01", "date_to": "9999-12-31"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
