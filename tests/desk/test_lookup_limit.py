"""The per-cashier lookup limit holds when lookups arrive at once (several tills, tabs or server
processes): it is a shared counter taken before each lookup."""

import pytest
from django.test import Client

from desk.models import DeskActivity
from loyalty.models import Program
from loyalty.services.program import clear_cache
from tests.race import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_lookups_at_once_by_one_cashier_get_exactly_the_limit(cashier):
    Program.objects.filter(pk=1).update(desk_lookups_per_minute=3)
    clear_cache()
    clients = []
    for _ in range(8):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(cashier)
        clients.append(client)

    def look_up(client):
        return lambda: client.post("/desk/", {"q": "+79990001122"}).status_code

    statuses = race(*[look_up(c) for c in clients])
    assert sorted(statuses) == [200] * 3 + [429] * 5, statuses
    assert DeskActivity.objects.filter(action="lookup").count() == 3
    assert DeskActivity.objects.filter(action="denied").count() == 5
