import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import UserFactory


def _staff_client(username: str, group: str):
    client = Client()
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def marketer_client(db):
    return _staff_client("marketer-test", "marketer")


@pytest.fixture
def cashier_client(db):
    return _staff_client("cashier-test", "cashier")


@pytest.fixture
def en(settings):
    """Admin pages in English, so tests read the source texts."""
    settings.LANGUAGE_CODE = "en"
    return {"HTTP_ACCEPT_LANGUAGE": "en"}
