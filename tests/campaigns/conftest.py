"""The back-office's staff for the campaigns' admin tests: a marketer, an analyst, English."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import UserFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def staff_client(username: str, group: str, *, is_staff: bool = True, store=None) -> Client:
    """A client signed in as a new user of `group`."""
    client = Client()
    user = UserFactory(username=username, is_staff=is_staff, store=store)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def en(settings):
    """English pages: pass the returned headers to the client's requests."""
    settings.LANGUAGE_CODE = "en"
    return EN


@pytest.fixture
def marketer(db):
    return staff_client("marketer-t", "marketer")


@pytest.fixture
def analyst(db):
    return staff_client("analyst-t", "analyst")
