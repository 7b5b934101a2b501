import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from desk.access import CASHIER_GROUP, member_ref
from loyalty.services import adjust_points
from tests.factories import UserFactory, make_member


@pytest.fixture
def desk_now():
    """The desk works in real time (views call timezone.now()), so points are given now."""
    return timezone.now()


@pytest.fixture
def cashier(db, store):
    user = UserFactory(username="kassa1", is_staff=False, store=store)
    user.groups.add(Group.objects.get_or_create(name=CASHIER_GROUP)[0])
    return user


@pytest.fixture
def desk(client, cashier):
    """A Django test client signed in as a cashier, reading the desk in English."""
    client.force_login(cashier)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def rich_member(db, desk_now):
    """Anna K. with 5 000 points available now."""
    member = make_member(
        phone="+79123456789", now=desk_now, first_name="Анна", last_name="Кузнецова"
    )
    adjust_points(member_id=member.pk, points=5000, reason="gift", staff=None, now=desk_now)
    return member


@pytest.fixture
def member_url(cashier):
    def url(member, suffix=""):
        return f"/desk/m/{member_ref(member.pk, cashier)}/{suffix}"

    return url


def points_expiring_soon(member, *, now, points=700) -> None:
    """Give points that expire within the next 30 days (given about 5½ months ago)."""
    adjust_points(
        member_id=member.pk,
        points=points,
        reason="old",
        staff=None,
        now=now - dt.timedelta(days=165),
    )


# --- browser tests (pytest-playwright on Debian's Chromium) -----------------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A till screen, in English so the tests can read the text."""
    return {
        **browser_context_args,
        "locale": "en-US",
        "extra_http_headers": {"Accept-Language": "en"},
        "viewport": {"width": 1024, "height": 768},
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def desk_page(page, request):
    """The Playwright page; a screenshot goes to test-artifacts/ when the test fails."""
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
