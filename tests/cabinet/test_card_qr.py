"""The cabinet card's QR code changes, so a photo of it cannot spend points (issue #15)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cabinet.templatetags.cabinet_card import card_qr
from loyalty.services.presence import QR_WINDOW, is_live_qr, qr_token

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 1, 9, 0, 5, tzinfo=dt.UTC)


def test_the_home_page_shows_the_live_qr_not_the_bare_card_number(member_client, member):
    with time_machine.travel(AT, tick=False):
        html = member_client.get(reverse("cabinet:home")).content.decode()
        live = qr_token(member_id=member.pk, card_number=member.card_number, now=AT)
    assert card_qr(live, "QR code of your card") in html
    assert card_qr(member.card_number, "QR code of your card") not in html
    assert is_live_qr(member_id=member.pk, token=live, now=AT)


def test_the_qr_endpoint_gives_the_code_of_the_moment(member_client, member):
    url = reverse("cabinet:card_qr")
    with time_machine.travel(AT, tick=False):
        first = member_client.get(url)
    with time_machine.travel(AT + 2 * QR_WINDOW, tick=False):
        later = member_client.get(url)
    assert first["Content-Type"].startswith("image/svg+xml")
    assert "no-cache" in first["Cache-Control"] or "no-store" in first["Cache-Control"]
    later_token = qr_token(
        member_id=member.pk, card_number=member.card_number, now=AT + 2 * QR_WINDOW
    )
    assert later.content.decode() == card_qr(later_token, "QR code of your card")
    assert first.content != later.content


def test_the_qr_endpoint_is_for_the_logged_in_member_only(client):
    response = client.get(reverse("cabinet:card_qr"))
    assert response.status_code == 302
