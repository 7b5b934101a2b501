"""The PDF statement: Cyrillic text, the program's name, the card and the numbers."""

import datetime as dt
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.services import adjust_points, record_purchase

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def test_statement_pdf_has_the_balance_and_history_in_cyrillic(member_client, member, partner):
    now = timezone.now()
    record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id="ЧЕК-7",
        amount="5000",
        now=now - dt.timedelta(days=40),
    )
    adjust_points(
        member_id=member.pk,
        points=25,
        reason="Компенсация: жалоба клиента",
        member_text="Подарок ко дню рождения",
        staff=None,
        now=now - dt.timedelta(days=3),
    )
    adjust_points(
        member_id=member.pk,
        points=-5,
        reason="Ошибка кассира",
        staff=None,
        now=now - dt.timedelta(days=2),
    )
    today = timezone.localdate(now)
    start = today - dt.timedelta(days=10)
    response = member_client.get(
        reverse("cabinet:statement_pdf", args=[member.card_number]),
        {"date_from": start.isoformat(), "date_to": today.isoformat()},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert member.card_number in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Копилка" in text
    assert member.card_number in text
    assert "Анна Кузнецова" in text
    assert "Подарок ко дню рождения" in text and "+25" in text  # the text for the member
    assert "Компенсация" not in text and "жалоба" not in text  # internal reasons stay inside
    assert "Ошибка кассира" not in text and "-5" in text
    assert "ЧЕК-7" not in text  # before the period: only in the opening balance
    lines = {line.split()[-1] for line in text.splitlines() if line.strip()}
    assert {"100", "120"} <= lines  # opening 100 (5000 ₽ / 50), closing 120


def test_statement_form_refuses_a_period_that_ends_before_it_starts(member_client, member):
    response = member_client.get(
        reverse("cabinet:statement_pdf", args=[member.card_number]),
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    )
    assert response.status_code == 400
    assert b"The period starts after it ends." in response.content


def test_statement_pdf_names_an_adjustment_without_a_member_text_neutrally(member_client, member):
    now = timezone.now()
    adjust_points(
        member_id=member.pk,
        points=40,
        reason="Компенсация: жалоба клиента",
        staff=None,
        now=now - dt.timedelta(days=2),
    )
    today = timezone.localdate(now)
    response = member_client.get(
        reverse("cabinet:statement_pdf", args=[member.card_number]),
        {"date_from": (today - dt.timedelta(days=5)).isoformat(), "date_to": today.isoformat()},
    )
    text = pdf_text(response.content)
    assert "Added by the store" in text and "+40" in text
    assert "Компенсация" not in text and "жалоба" not in text
