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
        member_id=member.pk, points=25, reason="Подарок", staff=None, now=now - dt.timedelta(days=3)
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
    assert "Начисление/списание оператором программы" in text and "+25" in text
    assert "Подарок" not in text  # the staff's internal reason stays in the back-office
    assert "ЧЕК-7" not in text  # before the period: only in the opening balance
    lines = {line.split()[-1] for line in text.splitlines() if line.strip()}
    assert {"100", "125"} <= lines  # opening 100 (5000 ₽ / 50), closing 125


def test_statement_form_refuses_a_period_that_ends_before_it_starts(member_client, member):
    response = member_client.get(
        reverse("cabinet:statement_pdf", args=[member.card_number]),
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    )
    assert response.status_code == 400
    assert b"The period starts after it ends." in response.content
