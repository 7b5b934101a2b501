import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import UserFactory


def _staff_client(username: str, group: str, *, is_staff: bool = True, store=None):
    client = Client()
    user = UserFactory(username=username, is_staff=is_staff, store=store)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def marketer_client(db):
    return _staff_client("marketer-test", "marketer")


@pytest.fixture
def analyst_client(db):
    return _staff_client("analyst-test", "analyst")


@pytest.fixture
def cashier_client(db, store):
    """A cashier as the back-office creates one: the cashier group, a store, no staff status."""
    return _staff_client("cashier-test", "cashier", is_staff=False, store=store)


@pytest.fixture
def en(settings):
    """Admin pages in English, so tests read the source texts."""
    settings.LANGUAGE_CODE = "en"
    return {"HTTP_ACCEPT_LANGUAGE": "en"}
