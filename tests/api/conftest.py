import json

import pytest
from django.test import Client
from django.test.client import ClientHandler

from config.wsgi import APIMiddlewareMixin
from loyalty.models import PartnerAPIKey


class APIClientHandler(APIMiddlewareMixin, ClientHandler):
    """The test client's handler with the API's own middleware chain, as config.wsgi serves
    the partner API in production."""


class ApiClient:
    """A Django test client that speaks JSON and sends a partner's API key."""

    def __init__(self, key: str | None):
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.client.handler = APIClientHandler(enforce_csrf_checks=False)
        self.key = key

    def _headers(self, idempotency_key=None, **extra):
        headers = dict(extra)
        if self.key is not None:
            headers["HTTP_AUTHORIZATION"] = f"Api-Key {self.key}"
        if idempotency_key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return headers

    def get(self, path, params=None, **extra):
        return self.client.get(path, params or {}, **self._headers(**extra))

    def post(self, path, body=None, *, idempotency_key=None, **extra):
        return self.client.post(
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            **self._headers(idempotency_key, **extra),
        )

    def generic(self, method, path, **extra):
        return self.client.generic(method, path, **self._headers(**extra))


@pytest.fixture
def api_key(partner):
    _obj, key = PartnerAPIKey.objects.create_key(partner=partner, name="till")
    return key


@pytest.fixture
def api(api_key):
    return ApiClient(api_key)


@pytest.fixture
def other_partner_api(db):
    from tests.factories import PartnerFactory

    other = PartnerFactory(name="Other shop")
    _obj, key = PartnerAPIKey.objects.create_key(partner=other, name="till")
    return ApiClient(key)


@pytest.fixture
def anonymous(db):
    return ApiClient(None)


@pytest.fixture
def rich_member(member, now):
    """A member with 1 000 points available now."""
    from loyalty.services import adjust_points

    adjust_points(member_id=member.pk, points=1000, reason="welcome gift", staff=None, now=now)
    return member


@pytest.fixture(autouse=True)
def _clock_at_t0(now):
    """Views use the wall clock; the factories build data at T0. Let the clock start there."""
    import time_machine

    with time_machine.travel(now, tick=True):
        yield
