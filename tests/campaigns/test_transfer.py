"""Campaigns move between installations as JSON: by code, all or nothing, counters kept."""

import datetime as dt
import io
import json
import time
from decimal import Decimal

import pytest
from django.core.cache import cache as django_cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from campaigns import cache
from campaigns.models import Campaign
from campaigns.transfer import FILE_ERRORS, export_campaigns, import_campaigns
from loyalty.models import Tier
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db

MSK = dt.timezone(dt.timedelta(hours=3))


@pytest.fixture(autouse=True)
def _english():
    """The messages below are the English ones (the admin shows them in Russian)."""
    with translation.override("en"):
        yield


def file_of(*campaigns) -> dict:
    return {"format": "kopilka.campaigns", "version": 1, "campaigns": list(campaigns)}


def saturday_promo(**fields) -> dict:
    entry = {
        "code": "x2-saturday",
        "name": "×2 по субботам",
        "state": "active",
        "kind": "promo",
        "effect": "multiplier",
        "value": "2",
        "conditions": {"weekday": [6]},
    }
    entry.update(fields)
    return entry


def a_campaign_of_every_field(store):
    campaign = make_campaign(
        code="autumn",
        name="Осень",
        description="Двойные баллы",
        description_en="Double points",
        starts_at=dt.datetime(2026, 9, 1, tzinfo=MSK),
        ends_at=dt.datetime(2026, 12, 1, tzinfo=MSK),
        conditions={"all": [{"store": [store.pk]}, {"tier": ["gold"]}]},
        lines={"categories": ["молочные продукты"], "exclude_skus": ["100101"]},
        effect=Campaign.Effect.PER_AMOUNT,
        value=Decimal("10"),
        per_amount=Decimal("100.00"),
        bonus_lifetime_days=14,
        activation_delay_days=1,
        stacking_group="dairy",
        exclusive=True,
        priority=5,
        max_points_per_check=300,
        budget_points=10000,
        max_uses=500,
        member_limit_day=1,
        member_limit_month=4,
        member_limit_total=10,
        holdout_percent=10,
        early_access_tiers=Tier.objects.filter(code__in=["silver", "gold"]),
        early_access_days=3,
    )
    make_campaign(
        code="big-checks",
        kind=Campaign.Kind.STEPS,
        steps=[{"from": "3000", "points": 50}, {"from": "5000", "points": 150}],
    )
    return campaign


def test_export_then_import_into_an_empty_database_gives_equal_campaigns(store):
    a_campaign_of_every_field(store)
    exported = export_campaigns(Campaign.objects.all())
    Campaign.objects.all().delete()

    result = import_campaigns(json.loads(json.dumps(exported)))

    assert result.ok and result.created == ["autumn", "big-checks"]
    again = export_campaigns(Campaign.objects.all())
    assert again["campaigns"] == exported["campaigns"]
    autumn = Campaign.objects.get(code="autumn")
    assert autumn.starts_at == dt.datetime(2026, 9, 1, tzinfo=MSK)
    assert set(autumn.early_access_tiers.values_list("code", flat=True)) == {"silver", "gold"}


def test_a_file_names_fields_and_tiers_never_ids_nor_counters(store):
    a_campaign_of_every_field(store)
    Campaign.objects.filter(code="autumn").update(spent_points=70, uses=7)

    data = export_campaigns(Campaign.objects.filter(code="autumn"))

    (entry,) = data["campaigns"]
    assert (data["format"], data["version"]) == ("kopilka.campaigns", 1)
    assert not {"id", "spent_points", "uses", "created_at", "updated_at"} & set(entry)
    assert entry["early_access_tiers"] == ["gold", "silver"]
    assert entry["starts_at"] == "2026-09-01T00:00:00+03:00"  # the program's offset
    assert entry["per_amount"] == "100.00"  # money as text, never a float
    assert list(entry)[:3] == ["code", "name", "description"]  # the model's order: stable diffs


def test_an_existing_campaign_is_updated_by_code_and_keeps_its_counters():
    campaign = make_campaign(code="x2-saturday", name="Old name")
    Campaign.objects.filter(pk=campaign.pk).update(spent_points=120, uses=12)

    result = import_campaigns(file_of(saturday_promo(value="3", budget_points=1000)))

    assert (result.created, result.updated) == ([], ["x2-saturday"])
    campaign.refresh_from_db()
    assert (campaign.pk, campaign.name, campaign.value) == (campaign.pk, "×2 по субботам", 3)
    assert campaign.conditions == {"weekday": [6]}
    assert (campaign.spent_points, campaign.uses) == (120, 12)


def test_importing_the_same_file_again_changes_nothing():
    import_campaigns(file_of(saturday_promo()))
    updated_at = Campaign.objects.get().updated_at

    result = import_campaigns(file_of(saturday_promo()))

    assert (result.created, result.updated, result.unchanged) == ([], [], ["x2-saturday"])
    assert Campaign.objects.get().updated_at == updated_at


def test_a_new_campaign_keeps_the_state_of_the_file():
    import_campaigns(file_of(saturday_promo(), saturday_promo(code="later", state="draft")))
    states = dict(Campaign.objects.values_list("code", "state"))
    assert states == {"x2-saturday": "active", "later": "draft"}


def test_a_field_left_out_takes_its_default():
    make_campaign(code="x2-saturday", priority=7, exclusive=True)
    import_campaigns(file_of(saturday_promo()))
    campaign = Campaign.objects.get(code="x2-saturday")
    assert (campaign.priority, campaign.exclusive) == (0, False)


def test_one_bad_campaign_imports_nothing_and_names_the_campaign_and_the_value():
    make_campaign(code="x2-saturday", name="Kept")
    bad = saturday_promo(code="bad", conditions={"tier": ["platinum"]}, value="1")

    result = import_campaigns(file_of(saturday_promo(name="New name"), bad))

    assert not result.ok
    assert result.created == result.updated == []
    assert set(result.errors) == {"bad"}
    assert "conditions: no tier with code “platinum”." in result.errors["bad"]
    assert any(message.startswith("value:") for message in result.errors["bad"])  # clean()
    assert list(Campaign.objects.values_list("code", "name")) == [("x2-saturday", "Kept")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"conditions": {"store": [987654321]}}, "conditions: no store with id 987654321."),
        ({"conditions": {"partner": [987654321]}}, "conditions: no partner with id 987654321."),
        ({"early_access_tiers": ["vip"]}, "early_access_tiers: no tier with code “vip”."),
        ({"starts_at": "2026-12-05T10:00:00"}, "starts_at: a date and time in ISO 8601"),
        ({"value": 2.5e400}, "value: a number"),
        ({"priority": "high"}, "priority: a whole number."),
        ({"colour": "red"}, "Unknown fields: colour."),
        ({"kind": "lottery"}, "kind: "),
        ({"conditions": {"weekday": [8]}}, "conditions: weekday must be a whole number"),
        ({"holdout_percent": 80}, "holdout_percent: "),
    ],
)
def test_each_kind_of_mistake_is_reported_for_its_campaign(fields, expected):
    result = import_campaigns(file_of(saturday_promo(**fields)))
    messages = result.errors["x2-saturday"]
    assert any(message.startswith(expected) for message in messages), messages
    assert not Campaign.objects.exists()


def test_a_budget_below_what_was_already_given_is_refused():
    campaign = make_campaign(code="x2-saturday", budget_points=1000)
    Campaign.objects.filter(pk=campaign.pk).update(spent_points=500)
    result = import_campaigns(file_of(saturday_promo(budget_points=400)))
    assert result.errors == {
        "x2-saturday": ["budget_points: 500 points are already given, more than the budget."]
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], 'Not a campaigns file: "format" must be "kopilka.campaigns".'),
        ({"format": "kopilka.campaigns", "version": 2, "campaigns": []}, "version 2"),
        ({"format": "kopilka.campaigns", "version": 1, "campaigns": {}}, '"campaigns" must'),
    ],
)
def test_a_file_of_another_format_or_version_is_refused(data, expected):
    result = import_campaigns(data)
    assert expected in result.errors[FILE_ERRORS][0]


def test_a_code_given_twice_or_missing_is_refused():
    result = import_campaigns(file_of(saturday_promo(), saturday_promo(), {"name": "no code"}))
    assert result.errors == {
        "campaigns[1]": ["The code “x2-saturday” is in the file twice."],
        "campaigns[2]": ['A campaign without a "code".'],
    }
    assert not Campaign.objects.exists()


def test_a_dry_run_reports_and_writes_nothing():
    make_campaign(code="x2-saturday", name="Kept")
    result = import_campaigns(file_of(saturday_promo(), saturday_promo(code="new")), dry_run=True)
    assert (result.created, result.updated) == (["new"], ["x2-saturday"])
    assert list(Campaign.objects.values_list("code", "name")) == [("x2-saturday", "Kept")]


def test_an_imported_campaign_applies_to_the_next_purchase_at_once(partner, member, now):
    from campaigns.checkout import quote_purchase

    cache.live_campaigns()  # this process has read the campaigns before the import
    import_campaigns(file_of(saturday_promo(conditions={})))
    quote = quote_purchase(member_id=member.pk, now=now, amount="1000.00", partner=partner)
    assert quote.bonus_points == 20


# --- the commands --------------------------------------------------------------------------------
def test_the_commands_export_to_a_file_and_import_it(tmp_path):
    make_campaign(code="a")
    make_campaign(code="b")
    path = tmp_path / "campaigns.json"
    call_command("export_campaigns", "--code", "b", "--output", str(path), stderr=io.StringIO())
    assert [c["code"] for c in json.loads(path.read_text())["campaigns"]] == ["b"]
    Campaign.objects.filter(code="b").delete()

    out = io.StringIO()
    call_command("import_campaigns", str(path), stdout=out)

    assert "created: 1 (b)" in out.getvalue()
    assert Campaign.objects.filter(code="b").exists()


def test_export_writes_to_stdout_by_default():
    make_campaign(code="a")
    out = io.StringIO()
    call_command("export_campaigns", stdout=out)
    assert json.loads(out.getvalue())["campaigns"][0]["code"] == "a"


def test_import_exits_non_zero_on_errors_and_prints_them(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(file_of(saturday_promo(value="1"))))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_campaigns", str(path), stdout=io.StringIO(), stderr=err)
    assert "x2-saturday: value: " in err.getvalue()
    assert not Campaign.objects.exists()


def test_import_of_a_file_that_is_not_json_exits_non_zero(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("import_campaigns", str(path))


def test_import_dry_run_says_so_and_writes_nothing(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(file_of(saturday_promo())))
    out = io.StringIO()
    call_command("import_campaigns", str(path), "--dry-run", stdout=out)
    assert "created: 1 (x2-saturday)" in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert not Campaign.objects.exists()


def test_export_of_an_unknown_code_exits_non_zero():
    with pytest.raises(CommandError, match="No campaign with code: nope"):
        call_command("export_campaigns", "--code", "nope", stdout=io.StringIO())


def test_other_processes_reload_the_campaigns_once_the_import_is_committed(
    django_capture_on_commit_callbacks,
):
    """A process that reloads between the import's saves and its commit reads the old campaigns;
    it must be told again after the commit, or it keeps them (up to cache.RELOAD_SECONDS)."""
    with django_capture_on_commit_callbacks() as callbacks:
        import_campaigns(file_of(saturday_promo()))
        version_during_import = django_cache.get(cache.VERSION_KEY)
    # That other process, as it stands at the commit: the version seen, the old (empty) list.
    cache._state.update(
        campaigns=[], version=version_during_import, checked=0.0, loaded=time.monotonic()
    )
    for callback in callbacks:
        callback()
    assert [c.code for c in cache.live_campaigns()] == ["x2-saturday"]


def test_the_errors_speak_the_marketers_language():
    with translation.override("ru"):
        result = import_campaigns(file_of(saturday_promo(colour="red")))
    assert result.errors == {"x2-saturday": ["Неизвестные поля: colour."]}


def test_an_update_never_writes_the_counters_so_a_concurrent_purchase_keeps_its_count():
    """Purchases count a campaign's budget by UPDATE while an import may be updating it: the
    import locks the row and writes only the fields of the file, never spent_points or uses."""
    make_campaign(code="x2-saturday", budget_points=1000)
    with CaptureQueriesContext(connection) as queries:
        result = import_campaigns(file_of(saturday_promo(budget_points=2000)))
    assert result.updated == ["x2-saturday"]
    writes = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert writes and not [sql for sql in writes if '"spent_points"' in sql or '"uses"' in sql]
    assert any("FOR NO KEY UPDATE" in q["sql"] for q in queries)
