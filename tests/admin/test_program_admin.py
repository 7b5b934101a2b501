"""Program settings are one row; tiers are saved only as a valid ladder."""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty.models import Program, Tier, TierChange

TIERS = reverse("admin:loyalty_tier_changelist")


def _tier_form(tier: Tier, **changes) -> dict:
    data = {
        "code": tier.code,
        "name": tier.name,
        "name_en": tier.name_en,
        "order": tier.order,
        "min_spend": tier.min_spend,
        "rubles_per_point": tier.rubles_per_point,
        "privileges": tier.privileges,
        "privileges_en": tier.privileges_en,
        "is_active": "on" if tier.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def _save_tier(client, en, code: str, **changes):
    tier = Tier.objects.get(code=code)
    url = reverse("admin:loyalty_tier_change", args=[tier.pk])
    return client.post(url, _tier_form(tier, **changes), **en)


def _ladder() -> dict[str, tuple]:
    return {t.code: (t.min_spend, t.rubles_per_point, t.is_active) for t in Tier.objects.all()}


def test_the_program_list_opens_the_single_settings_row(admin_client, en):
    response = admin_client.get(reverse("admin:loyalty_program_changelist"), **en)
    assert response.status_code == 302
    assert response.url == reverse("admin:loyalty_program_change", args=[1])
    assert admin_client.get(response.url, **en).status_code == 200


def test_program_settings_cannot_be_added_or_deleted(admin_client, en):
    assert admin_client.get(reverse("admin:loyalty_program_add"), **en).status_code == 403
    delete = reverse("admin:loyalty_program_delete", args=[1])
    assert admin_client.post(delete, {"post": "yes"}, **en).status_code == 403
    assert Program.objects.filter(pk=1).exists()


def test_a_valid_tier_change_is_saved(admin_client, en):
    response = _save_tier(admin_client, en, "silver", min_spend="15000")
    assert response.status_code == 302
    assert Tier.objects.get(code="silver").min_spend == Decimal("15000")


@pytest.mark.parametrize(
    ("code", "changes", "message"),
    [
        ("gold", {"min_spend": "10000"}, "both start at 10"),
        ("silver", {"min_spend": "0"}, "both start at 0"),
        ("silver", {"min_spend": "40000"}, "Thresholds must increase from tier to tier"),
        ("base", {"min_spend": "100"}, "No tier starts at 0"),
        ("base", {"is_active": ""}, "No tier starts at 0"),
        ("silver", {"rubles_per_point": "0"}, "must be above 0 ₽ per point"),
    ],
)
def test_a_tier_change_that_breaks_the_ladder_is_refused(admin_client, en, code, changes, message):
    before = _ladder()
    response = _save_tier(admin_client, en, code, **changes)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors
    assert message in str(form.errors)
    assert _ladder() == before


def test_the_refusal_is_shown_on_the_page(admin_client, en):
    response = _save_tier(admin_client, en, "silver", rubles_per_point="0")
    assert "The earn rate of “Серебряный” must be above 0 ₽ per point." in (
        response.content.decode()
    )


def _list_post(client, en, changes: dict[str, dict]):
    tiers = list(Tier.objects.order_by("min_spend", "order"))
    data = {
        "form-TOTAL_FORMS": str(len(tiers)),
        "form-INITIAL_FORMS": str(len(tiers)),
        "_save": "Save",
    }
    for i, tier in enumerate(tiers):
        row = {
            "id": tier.pk,
            "min_spend": tier.min_spend,
            "rubles_per_point": tier.rubles_per_point,
            "order": tier.order,
            "is_active": "on" if tier.is_active else "",
            **changes.get(tier.code, {}),
        }
        data.update({f"form-{i}-{k}": v for k, v in row.items() if v != ""})
    return client.post(TIERS, data, **en)


def test_the_tier_list_validates_the_whole_ladder_at_once(admin_client, en):
    before = _ladder()
    response = _list_post(admin_client, en, {"gold": {"min_spend": "10000"}})
    assert response.status_code == 200
    assert "both start at" in str(response.context["cl"].formset.non_form_errors())
    assert _ladder() == before

    # Moving both thresholds in one save is fine as long as the result is a ladder.
    response = _list_post(
        admin_client, en, {"silver": {"min_spend": "20000"}, "gold": {"min_spend": "50000"}}
    )
    assert response.status_code == 302
    assert Tier.objects.get(code="silver").min_spend == 20000
    assert Tier.objects.get(code="gold").min_spend == 50000


def test_tiers_are_not_deleted_but_deactivated(admin_client, en):
    tier = Tier.objects.get(code="gold")
    url = reverse("admin:loyalty_tier_delete", args=[tier.pk])
    assert admin_client.post(url, {"post": "yes"}, **en).status_code == 403


def test_tier_changes_are_read_only(admin_client, member, en):
    change = TierChange.objects.get(account__member=member)
    url = reverse("admin:loyalty_tierchange_change", args=[change.pk])
    page = admin_client.get(url, **en)
    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert admin_client.get(reverse("admin:loyalty_tierchange_add"), **en).status_code == 403
