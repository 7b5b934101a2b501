import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _program_defaults(request):
    """The default program and tiers, also after a transactional test flushed the tables."""
    uses_db = {"db", "transactional_db", "live_server", "admin_client"} & set(request.fixturenames)
    if not uses_db and not request.node.get_closest_marker("django_db"):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from loyalty.defaults import ensure_defaults
    from loyalty.models import Program, Tier
    from loyalty.services.program import clear_cache

    ensure_defaults(Program, Tier)
    # New installs require proof of presence to spend points and keep partners' members apart;
    # the tests of other rules run without both, the tests of these two turn them on
    # (tests/loyalty/test_presence.py, tests/api/test_presence.py, tests/api/test_scoping.py).
    Program.objects.filter(pk=1).update(redeem_confirmation="off", shares_members=True)
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and rate limits keep counts in the cache and in process memory: start every
    test with none."""
    from django.core.cache import cache

    from api.auth import failed_keys, shared_allowance
    from campaigns.cache import clear as forget_campaigns

    cache.clear()
    forget_campaigns(known_empty=True)  # every test starts with an empty campaigns table
    shared_allowance.clear()  # what this process spent of the API rate, not yet reported
    failed_keys.clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_tasks_in_the_test():
    """A task a test queues runs at once, in the test (no broker, no worker): a test sees what
    the worker would have done. tests/test_demo_embedded.py runs real workers."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def now():
    from tests.factories import T0

    return T0


@pytest.fixture
def partner(db):
    from tests.factories import PartnerFactory

    return PartnerFactory(name="Магазин у дома")


@pytest.fixture
def store(partner):
    from tests.factories import StoreFactory

    return StoreFactory(partner=partner, name="Тверская")


@pytest.fixture
def member(db, now):
    from tests.factories import make_member

    return make_member(now=now, first_name="Анна", last_name="Кузнецова")


@pytest.fixture
def wsgi_app():
    """The production WSGI app (config.wsgi), kept on the test's connection like
    django.test.Client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's Chromium is Debian's (`playwright install` is never run here), for
    every browser test."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
