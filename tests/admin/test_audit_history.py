"""The audit history: every change of the program's settings, tiers, campaigns, triggers and
segments is recorded with who, when, before and after, and shown on the object's History page;
bookkeeping written by purchases and beat jobs records nothing; manual points adjustments are
listed on the account's History page."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns import messaging, segments
from campaigns.checkout import record_purchase
from campaigns.models import (
    Campaign,
    MessageTemplate,
    MessagingSettings,
    RfmSettings,
    Segment,
    Trigger,
)
from campaigns.transfer import export_campaigns
from loyalty.admin.history import audit_context
from loyalty.models import Account, Tier
from loyalty.services import adjust_points
from tests.factories import UserFactory, make_campaign, make_member

TRACKED = (Campaign, Trigger, Segment, RfmSettings, MessagingSettings, Tier)


def events(model, obj=None):
    found = model.pgh_event_model.objects.exclude(pgh_label="baseline")
    return found.filter(pgh_obj_id=obj.pk) if obj is not None else found


def event_count() -> int:
    return sum(events(model).count() for model in TRACKED)


def history(client, obj, en):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    return client.get(url, **en)


def rows_of(response) -> list:
    return list(response.context["rows"])


def tier_form(tier: Tier, **changes) -> dict:
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
        **changes,
    }
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def staff_admin(admin_client, admin_user):
    admin_user.first_name, admin_user.last_name = "Anna", "Admina"
    admin_user.save()
    return admin_client


# --- who, when, before and after ---------------------------------------------------------------


def test_a_tier_rate_changed_in_the_admin_is_one_event_with_the_user_and_both_values(
    staff_admin, admin_user, en
):
    tier = Tier.objects.get(code="silver")
    old_rate = tier.rubles_per_point
    url = reverse("admin:loyalty_tier_change", args=[tier.pk])
    response = staff_admin.post(url, tier_form(tier, rubles_per_point="25"), **en)
    assert response.status_code == 302

    [event] = events(Tier, tier)
    assert event.pgh_label == "update"
    assert event.rubles_per_point == Decimal("25")
    assert event.pgh_context.metadata == {"user": admin_user.pk, "url": url}

    page = history(staff_admin, tier, en)
    assert page.status_code == 200
    [change] = [row for row in rows_of(page) if row.action == "update"]
    assert change.who == "Anna Admina"
    assert [(c.field, c.before, c.after) for c in change.changes] == [
        ("₽ per point", str(old_rate), "25.00")
    ]
    # Django's own log message is on the same page.
    assert any(row.action == "log" for row in rows_of(page))
    assert "₽ per point" in page.content.decode()


def test_a_tier_saved_unchanged_records_nothing(staff_admin, en):
    tier = Tier.objects.get(code="silver")
    url = reverse("admin:loyalty_tier_change", args=[tier.pk])
    assert staff_admin.post(url, tier_form(tier), **en).status_code == 302
    assert not events(Tier, tier).exists()


def test_a_campaign_changed_in_the_admin_shows_the_field_before_and_after(
    staff_admin, admin_user, en
):
    campaign = make_campaign(name="Spring", value=2)
    form = {
        "code": campaign.code,
        "name": "Spring",
        "kind": "promo",
        "state": "active",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "effect": "multiplier",
        "value": "3",
        "stacking_group": campaign.stacking_group,
        "priority": "0",
        "holdout_percent": "0",
        "early_access_days": "0",
    }
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    assert staff_admin.post(url, form, **en).status_code == 302

    insert, update = events(Campaign, campaign).order_by("pgh_id")
    assert insert.pgh_context is None  # made by the factory: no admin user
    assert update.pgh_context.metadata["user"] == admin_user.pk
    [change] = [
        row for row in rows_of(history(staff_admin, campaign, en)) if row.action == "update"
    ]
    assert change.who == "Anna Admina"
    assert [(c.field, c.before, c.after) for c in change.changes] == [("Value", "2.00", "3.00")]


def test_an_admin_action_on_triggers_is_recorded_with_the_user_and_the_choice_labels(
    marketer_client, en
):
    trigger = Trigger.objects.filter(enabled=True).first() or Trigger.objects.first()
    Trigger.objects.filter(pk=trigger.pk).update(enabled=True)
    changelist = reverse("admin:campaigns_trigger_changelist")
    marketer_client.post(
        changelist, {"action": "switch_off", "_selected_action": [trigger.pk]}, **en
    )
    latest = events(Trigger, trigger).order_by("-pgh_id").first()
    assert latest.enabled is False
    assert latest.pgh_context.metadata["user"] == marketer_client.user.pk
    [change] = [
        row
        for row in rows_of(history(marketer_client, trigger, en))
        if row.action == "update" and row.who == "marketer-test"
    ]
    assert [(c.field, c.before, c.after) for c in change.changes] == [("On", "yes", "no")]


def test_a_change_made_by_a_command_is_recorded_as_the_system(staff_admin, tmp_path, en):
    campaign = make_campaign(name="Before")
    data = export_campaigns(Campaign.objects.filter(pk=campaign.pk))
    data["campaigns"][0]["name"] = "After"
    path = tmp_path / "campaigns.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    call_command("import_campaigns", str(path))

    latest = events(Campaign, campaign).order_by("-pgh_id").first()
    assert (latest.name, latest.pgh_context_id) == ("After", None)
    [change] = [
        row for row in rows_of(history(staff_admin, campaign, en)) if row.action == "update"
    ]
    assert change.who == "system"
    assert [(c.field, c.before, c.after) for c in change.changes] == [("Name", "Before", "After")]


def test_a_campaign_import_in_the_admin_is_recorded_with_the_user(staff_admin, admin_user, en):
    campaign = make_campaign(name="Before")
    data = export_campaigns(Campaign.objects.filter(pk=campaign.pk))
    data["campaigns"][0]["name"] = "Imported"
    url = reverse("admin:campaigns_campaign_import")
    response = staff_admin.post(url, {"payload": json.dumps(data), "_apply": "1"}, **en)
    assert response.status_code == 302

    latest = events(Campaign, campaign).order_by("-pgh_id").first()
    assert latest.name == "Imported"
    assert latest.pgh_context.metadata == {"user": admin_user.pk, "url": url}


def test_inside_the_admin_context_points_still_move_and_the_context_ends_with_the_block(
    admin_user, now
):
    """The ledger store's prepared statements run under the admin's context (pghistory's own
    context manager prefixes each statement, which a prepared statement refuses)."""
    member = make_member()
    tier = Tier.objects.get(code="silver")
    with audit_context(user_id=admin_user.pk, url="/admin/somewhere/"):
        adjust_points(member_id=member.pk, points=5, reason="Test", staff=admin_user, now=now)
        Tier.objects.filter(pk=tier.pk).update(name="Silver one")
    Tier.objects.filter(pk=tier.pk).update(name="Silver two")

    inside, after = events(Tier, tier).order_by("pgh_id")
    assert inside.pgh_context.metadata["user"] == admin_user.pk
    assert after.pgh_context is None
    assert Account.objects.get(pk=member.pk).available == 5


def test_a_trigger_page_shows_its_templates_changes_and_a_segment_its_definition(staff_admin, en):
    template = MessageTemplate.objects.select_related("trigger").first()
    template.text = "New words"
    template.save()
    segment = Segment.objects.first()
    Segment.objects.filter(pk=segment.pk).update(is_active=not segment.is_active)

    [row] = [r for r in rows_of(history(staff_admin, template.trigger, en)) if r.action == "update"]
    assert row.subject == f"{template.get_channel_display()} · {template.get_language_display()}"
    assert [c.field for c in row.changes] == ["Text"]
    assert row.changes[0].after == "New words"
    [row] = [r for r in rows_of(history(staff_admin, segment, en)) if r.action == "update"]
    assert [(c.field, c.after) for c in row.changes] == [
        ("Active", "no" if segment.is_active else "yes")
    ]


# --- the bookkeeping of purchases and beat jobs records nothing -----------------------------------


def test_purchases_under_a_budget_trigger_runs_and_recomputation_record_no_event(partner, now):
    member = make_member()
    campaign = make_campaign(budget_points=1000, max_uses=10)
    trigger = Trigger.objects.first()
    Trigger.objects.filter(pk=trigger.pk).update(enabled=True)
    trigger.refresh_from_db()
    before = event_count()

    record_purchase(
        member_id=member.pk, partner=partner, external_id="chk-1", now=now, amount="1000.00"
    )
    messaging.run_trigger(trigger, now=now)
    segments.recompute(now=now + dt.timedelta(minutes=1), full=True)

    campaign.refresh_from_db()
    trigger.refresh_from_db()
    assert (campaign.spent_points, campaign.uses) == (20, 1)  # the counters did move
    assert trigger.last_run_at == now
    assert RfmSettings.current().recomputed_at is not None
    assert Segment.objects.exclude(computed_at=None).exists()
    assert event_count() == before


# --- manual adjustments on the account's page --------------------------------------------------


def test_the_account_history_lists_manual_adjustments_with_the_balance_before_and_after(
    staff_admin, admin_user, partner, now, en
):
    member = make_member()
    record_purchase(
        member_id=member.pk, partner=partner, external_id="chk-2", now=now, amount="1000.00"
    )
    account = Account.objects.get(pk=member.pk)
    start = account.available + account.pending - account.debt
    adjust_points(member_id=member.pk, points=50, reason="Goodwill", staff=admin_user, now=now)
    later = now + dt.timedelta(hours=1)
    adjust_points(member_id=member.pk, points=-30, reason="Mistake", staff=admin_user, now=later)

    page = history(staff_admin, account, en)
    assert page.status_code == 200
    rows = [
        (r.points, r.reason, r.requested_by, r.balance_before, r.balance_after)
        for r in rows_of(page)
    ]
    assert rows == [
        (-30, "Mistake", "Anna Admina", start + 50, start + 20),
        (50, "Goodwill", "Anna Admina", start, start + 50),
    ]


def test_an_approved_adjustment_shows_who_asked_and_who_approved(staff_admin, admin_user, now, en):
    from loyalty.services.approvals import approve_adjustment, request_adjustment

    member = make_member()
    clerk = UserFactory(username="clerk", is_staff=True)
    big = 10_000
    request = request_adjustment(
        member_id=member.pk, points=big, reason="Compensation", staff=clerk, now=now
    )
    approve_adjustment(request_id=request.pk, staff=admin_user, now=now, note="ok")

    [row] = rows_of(history(staff_admin, Account.objects.get(pk=member.pk), en))
    assert (row.points, row.requested_by, row.decided_by) == (big, "clerk", "Anna Admina")
    assert (row.balance_before, row.balance_after) == (0, big)


# --- who may read it ---------------------------------------------------------------------------


def test_analysts_read_the_histories_and_cashiers_do_not(analyst_client, cashier_client, en):
    tier = Tier.objects.get(code="silver")
    campaign = make_campaign()
    account = Account.objects.get(pk=make_member().pk)
    for obj in (tier, campaign, account):
        assert history(analyst_client, obj, en).status_code == 200
        assert history(cashier_client, obj, en).status_code == 302  # to the admin's login
    # Analysts see members as numbers.
    assert f"#{account.pk}" in history(analyst_client, account, en).content.decode()
