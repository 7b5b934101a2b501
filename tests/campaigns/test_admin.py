"""Campaigns in the back-office: the form builds the condition tree from plain fields and reads it
back, shows the campaign's validation errors on the fields they concern, previews a check
without writing anything; the list shows statuses and runs the marketer's actions; marketers
edit, analysts only read (and read the report), cashiers see nothing."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from campaigns.admin import status_filter
from campaigns.forms import CampaignForm
from campaigns.models import Award, Campaign
from campaigns.plain_fields import compile_conditions, plain_conditions
from loyalty.models import LedgerEntry, Purchase, Tier
from tests.campaigns.conftest import staff_client
from tests.factories import StoreFactory, make_campaign, make_member

pytestmark = pytest.mark.django_db

LIST = "/admin/campaigns/campaign/"
ADD = LIST + "add/"
PHONE = "+79161112233"


def change_url(campaign) -> str:
    return f"{LIST}{campaign.pk}/change/"


def form_data(**fields) -> dict:
    """The campaign form as a browser posts it, with `fields` changed."""
    data = {
        "code": "spring",
        "name": "Spring ×2",
        "kind": "promo",
        "state": "draft",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "effect": "multiplier",
        "value": "2",
        "stacking_group": "default",
        "priority": "0",
        "holdout_percent": "0",
        "early_access_days": "0",
    }
    data.update(fields)
    return data


def errors_of(response) -> dict:
    form = response.context["adminform"].form
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


# --- the form: plain fields ↔ the condition tree ----------------------------------------------


def test_plain_fields_are_saved_as_one_all_tree(admin_client, en, store):
    gold = Tier.objects.order_by("-min_spend").first()
    response = admin_client.post(
        ADD,
        form_data(
            min_check_amount="2000",
            required_categories="dairy, bakery",
            tiers=[gold.code],
            stores=[str(store.pk)],
            channels=["till", "eshop"],
            weekdays=["6", "7"],
            time_from="10:00",
            time_to="14:00",
            date_from="2026-03-01",
            date_to="2026-03-31",
            first_purchase_only="on",
            min_member_days="30",
            lines_categories="dairy",
            lines_exclude_skus="milk-0",
        ),
        **en,
    )
    assert response.status_code == 302, errors_of(response)
    campaign = Campaign.objects.get(code="spring")
    assert campaign.conditions == {
        "all": [
            {"check_amount": {"gte": "2000"}},
            {"line": {"categories": ["dairy", "bakery"]}},
            {"tier": [gold.code]},
            {"member_days": {"gte": 30}},
            {"store": [store.pk]},
            {"channel": ["till", "eshop"]},
            {"weekday": [6, 7]},
            {"time": {"from": "10:00", "to": "14:00"}},
            {"date": {"from": "2026-03-01", "to": "2026-03-31"}},
            {"first_purchase": True},
        ]
    }
    assert campaign.lines == {"categories": ["dairy"], "exclude_skus": ["milk-0"]}


def test_a_simple_tree_opens_in_the_plain_fields_and_saves_back_unchanged(admin_client, store):
    tree = {
        "all": [
            {"check_amount": {"gte": "1500.5"}},
            {"line": {"skus": ["A-1", "B-2"]}},
            {"partner": [store.partner_id]},
            {"weekday": [1, 5]},
            {"date": {"from": "2026-05-01"}},
        ]
    }
    campaign = make_campaign(conditions=tree)

    form = CampaignForm(instance=campaign)

    assert form.initial["min_check_amount"] == 1500.5
    assert form.initial["required_skus"] == "A-1, B-2"
    assert [p.pk for p in form.initial["partners"]] == [store.partner_id]
    assert form.initial["weekdays"] == ["1", "5"]
    assert form.initial["date_from"] == dt.date(2026, 5, 1)
    assert form.initial.get("conditions_json") is None
    assert compile_conditions(plain_conditions(tree)) == tree

    posted = form_data(
        code=campaign.code,
        name=campaign.name,
        state="active",
        stacking_group=campaign.stacking_group,
        min_check_amount="1500.50",
        required_skus="A-1, B-2",
        partners=[str(store.partner_id)],
        weekdays=["1", "5"],
        date_from="2026-05-01",
    )
    response = admin_client.post(change_url(campaign), posted)
    assert response.status_code == 302, errors_of(response)
    campaign.refresh_from_db()
    assert campaign.conditions == tree


def test_a_tree_the_plain_fields_cannot_show_opens_as_json_and_is_kept(admin_client):
    tree = {"any": [{"weekday": [6, 7]}, {"check_amount": {"gte": "5000"}}]}
    campaign = make_campaign(conditions=tree)

    form = CampaignForm(instance=campaign)
    assert form.initial["conditions_json"] == tree
    assert "weekdays" not in form.initial

    posted = form_data(
        code=campaign.code,
        name=campaign.name,
        stacking_group=campaign.stacking_group,
        conditions_json=json.dumps(tree),
    )
    response = admin_client.post(change_url(campaign), posted)
    assert response.status_code == 302, errors_of(response)
    campaign.refresh_from_db()
    assert campaign.conditions == tree


def test_plain_fields_and_advanced_json_apply_together(admin_client):
    advanced = {"not": {"channel": ["api"]}}
    response = admin_client.post(
        ADD, form_data(min_check_amount="100", conditions_json=json.dumps(advanced))
    )
    assert response.status_code == 302, errors_of(response)
    assert Campaign.objects.get(code="spring").conditions == {
        "all": [{"check_amount": {"gte": "100"}}, advanced]
    }


def test_steps_are_typed_one_per_line(admin_client):
    response = admin_client.post(ADD, form_data(kind="steps", steps_text="3000: 50\n5 000: 150\n"))
    assert response.status_code == 302, errors_of(response)
    campaign = Campaign.objects.get(code="spring")
    assert campaign.steps == [{"from": "3000", "points": 50}, {"from": "5000", "points": 150}]
    assert CampaignForm(instance=campaign).initial["steps_text"] == "3000: 50\n5000: 150"


def test_event_parameters_keep_only_those_of_the_kind(admin_client):
    response = admin_client.post(
        ADD,
        form_data(
            kind="challenge",
            effect="fixed",
            value="300",
            param_goal="visits",
            param_count="5",
            param_window_days="30",
            param_every_years="2",  # an anniversary's: not kept for a challenge
        ),
    )
    assert response.status_code == 302, errors_of(response)
    campaign = Campaign.objects.get(code="spring")
    assert campaign.params == {"goal": "visits", "count": 5, "window_days": 30}
    assert CampaignForm(instance=campaign).initial["param_count"] == 5


# --- the campaign's validation errors on the right fields -----------------------------------


def test_bad_advanced_conditions_are_shown_on_the_json_field(admin_client, en):
    response = admin_client.post(
        ADD, form_data(conditions_json=json.dumps({"all": [{"weather": "sunny"}]})), **en
    )
    assert response.status_code == 200
    errors = errors_of(response)
    assert errors["conditions_json"] == ['all[0]: unknown condition "weather".']
    assert not Campaign.objects.exists()


def test_the_campaigns_own_rules_are_shown_on_the_fields_they_concern(admin_client, en):
    response = admin_client.post(ADD, form_data(value="1"), **en)
    assert errors_of(response)["value"] == ["A multiplier must be above 1 (×2 doubles the points)."]

    response = admin_client.post(
        ADD, form_data(kind="steps", steps_text="5000: 150\n3000: 50"), **en
    )
    assert errors_of(response)["steps_text"] == ["Steps must go up by amount."]

    response = admin_client.post(ADD, form_data(kind="steps", steps_text="from 3000 get 50"), **en)
    assert errors_of(response)["steps_text"] == ['Line 1: write "amount: points", e.g. "3000: 50".']

    response = admin_client.post(
        ADD, form_data(kind="challenge", effect="fixed", value="100", param_count="5"), **en
    )
    assert errors_of(response)["param_goal"] == ['"goal" is one of: visits, categories, weekly.']

    response = admin_client.post(ADD, form_data(time_from="10:00"), **en)
    assert errors_of(response)["time_to"] == ["Give both hours, “from” and “to”."]
    assert not Campaign.objects.exists()


# --- the list and its actions ----------------------------------------------------------------


def test_the_list_shows_each_campaigns_status_and_filters_by_it(admin_client, en):
    now = timezone.now()
    make_campaign(name="Draft one", state=Campaign.State.DRAFT)
    make_campaign(name="Soon", starts_at=now + dt.timedelta(days=3))
    make_campaign(name="Now on")
    make_campaign(name="On hold", state=Campaign.State.PAUSED)
    make_campaign(name="Over", ends_at=now - dt.timedelta(days=1))

    page = admin_client.get(LIST, **en).content.decode()
    for status in ("draft", "scheduled", "running", "paused", "ended"):
        assert f"campaign-status-{status}" in page

    running = admin_client.get(LIST + "?status=running", **en).content.decode()
    assert ">Now on<" in running
    for name in ("Draft one", "Soon", "On hold", "Over"):
        assert f">{name}<" not in running
    for status in Campaign.Status.values:
        names = set(
            Campaign.objects.filter(status_filter(status, now)).values_list("name", flat=True)
        )
        assert names == {c.name for c in Campaign.objects.all() if c.status_at(now) == status}


def test_copying_makes_a_draft_with_a_new_code_and_no_counters(admin_client, en):
    gold = Tier.objects.order_by("-min_spend").first()
    original = make_campaign(
        name="Saturdays",
        code="saturdays",
        budget_points=1000,
        starts_at=timezone.now() + dt.timedelta(days=5),
        early_access_days=2,
        early_access_tiers=[gold],
    )
    Campaign.objects.filter(pk=original.pk).update(spent_points=400, uses=7)

    admin_client.post(LIST, {"action": "clone", "_selected_action": [original.pk]}, **en)
    admin_client.post(LIST, {"action": "clone", "_selected_action": [original.pk]}, **en)

    copies = Campaign.objects.exclude(pk=original.pk).order_by("id")
    assert [c.code for c in copies] == ["saturdays-copy", "saturdays-copy-2"]
    first = copies[0]
    assert first.name == "Saturdays (copy)"
    assert first.state == Campaign.State.DRAFT
    assert (first.spent_points, first.uses, first.budget_points) == (0, 0, 1000)
    assert list(first.early_access_tiers.all()) == [gold]


def test_pause_resume_and_end_now(admin_client, en):
    campaign = make_campaign()
    draft = make_campaign(state=Campaign.State.DRAFT)

    def act(action, *campaigns):
        return admin_client.post(
            LIST, {"action": action, "_selected_action": [c.pk for c in campaigns]}, **en
        )

    act("pause", campaign, draft)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert Campaign.objects.get(pk=draft.pk).state == Campaign.State.DRAFT

    act("resume", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING

    response = act("end_now", campaign, draft)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ENDED
    assert Campaign.objects.get(pk=draft.pk).ends_at is None
    notes = [str(m) for m in response.wsgi_request._messages]
    assert "Ended: 1." in notes
    assert "Neither running nor paused, left as they were: 1." in notes


def test_counters_cannot_be_edited_in_the_form(admin_client):
    campaign = make_campaign(budget_points=500)
    posted = form_data(
        code=campaign.code,
        name=campaign.name,
        state="active",
        stacking_group=campaign.stacking_group,
        budget_points="500",
        spent_points="0",
        uses="0",
    )
    Campaign.objects.filter(pk=campaign.pk).update(spent_points=120, uses=3)
    response = admin_client.post(change_url(campaign), posted)
    assert response.status_code == 302, errors_of(response)
    campaign.refresh_from_db()
    assert (campaign.spent_points, campaign.uses) == (120, 3)


# --- the preview ---------------------------------------------------------------------------


def preview_of(client, url, campaign_fields: dict, **preview) -> object:
    data = form_data(**campaign_fields)
    data["_preview"] = "Preview"
    data.update({f"preview-{key}": value for key, value in preview.items()})
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_preview_shows_what_the_unsaved_form_would_give_and_writes_nothing(
    admin_client, settings
):
    settings.LANGUAGE_CODE = "en"
    member = make_member(phone=PHONE)
    campaign = make_campaign(name="×2 points")
    before = Campaign.objects.filter(pk=campaign.pk).values().get()

    # The form says ×3 — not saved — on a check of 1 000 ₽ (20 points of its own).
    response = preview_of(
        admin_client,
        change_url(campaign),
        {"code": campaign.code, "name": campaign.name, "state": "active", "value": "3"},
        member=PHONE,
        total="1000",
        channel="till",
    )

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview["earn_points"], preview["bonus_points"]) == (20, 40)
    assert preview["campaigns"][0]["applied"] is True
    page = response.content.decode()
    assert "Campaign bonus: 40 points." in page
    assert Campaign.objects.filter(pk=campaign.pk).values().get() == before
    assert not Award.objects.exists()
    assert not Purchase.objects.exists()
    assert not LedgerEntry.objects.filter(account__member=member).exclude(kind="earn").exists()
    assert not LedgerEntry.objects.exists()


def test_the_preview_of_a_new_draft_explains_why_it_does_not_apply(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    make_member(phone=PHONE)
    fields = {"min_check_amount": "5000", "budget_points": "100"}

    lines = "milk-1;dairy;250\nbread;bakery;100"
    response = preview_of(admin_client, ADD, fields, member=PHONE, lines=lines)
    assert response.context["preview"]["bonus_points"] == 0
    assert "its conditions do not hold" in response.content.decode()

    response = preview_of(admin_client, ADD, {}, member=PHONE, lines=lines)
    assert response.context["preview"]["bonus_points"] == 7  # 350 ₽ → 7 points, ×2
    assert not Campaign.objects.exists()


def test_the_preview_checks_the_store_and_the_channel_of_the_check(admin_client, settings, store):
    settings.LANGUAGE_CODE = "en"
    make_member(phone=PHONE)
    fields = {"stores": [str(store.pk)], "channels": ["eshop"]}

    def bonus(**check):
        response = preview_of(admin_client, ADD, fields, member=PHONE, total="1000", **check)
        return response.context["preview"]["bonus_points"]

    assert bonus(store=str(store.pk), channel="eshop") == 20
    assert bonus(store=str(store.pk), channel="till") == 0
    assert bonus(store=str(StoreFactory().pk), channel="eshop") == 0


def test_the_preview_shows_why_a_campaign_lost(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    member = make_member(phone=PHONE)
    campaign = make_campaign(budget_points=10)
    Campaign.objects.filter(pk=campaign.pk).update(spent_points=10)

    response = preview_of(
        admin_client,
        change_url(campaign),
        {"code": campaign.code, "name": campaign.name, "state": "active", "budget_points": "10"},
        member=member.card_number,
        total="1000",
    )
    row = response.context["preview"]["campaigns"][0]
    assert (row["applied"], row["reason"]) == (False, "budget")
    assert "Does not apply: the campaign&#x27;s budget or number of uses is spent." in (
        response.content.decode()
    )


def test_the_preview_refuses_bad_input_on_its_fields(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    campaign = make_campaign()
    url = change_url(campaign)
    fields = {"code": campaign.code, "name": campaign.name, "state": "active"}

    response = preview_of(admin_client, url, fields, member="+79990000000", total="100")
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert response.context["preview_form"].errors  # no such member

    response = preview_of(admin_client, url, fields, member=PHONE, lines="milk;250")
    assert response.context["preview_form"].errors["lines"] == [
        'Line 1: write "SKU;category;amount".'
    ]

    response = preview_of(admin_client, url, {**fields, "value": "1"}, member=PHONE, total="1")
    assert response.context["preview_blocked"] is True
    assert response.context["preview"] is None


# --- the report page -----------------------------------------------------------------------


def test_the_report_page_defines_each_figure(admin_client, partner, en):
    from campaigns.checkout import record_purchase

    campaign = make_campaign()
    member = make_member()
    record_purchase(
        member_id=member.pk, partner=partner, external_id="r1", amount="1000", now=timezone.now()
    )
    page = admin_client.get(f"{LIST}{campaign.pk}/report/", **en).content.decode()
    assert "Members reached" in page
    assert "(Incremental revenue − cost of points) / cost of points." in page
    assert "Needs a holdout group to compare with" in page
    assert f"{LIST}{campaign.pk}/report/" in admin_client.get(LIST, **en).content.decode()
    assert f"{LIST}{campaign.pk}/report/" in admin_client.get(change_url(campaign)).content.decode()


# --- roles ---------------------------------------------------------------------------------


def test_a_marketer_adds_and_changes_campaigns_but_deletes_none(marketer):
    response = marketer.post(ADD, form_data())
    assert response.status_code == 302
    campaign = Campaign.objects.get(code="spring")
    assert marketer.get(change_url(campaign)).status_code == 200
    assert marketer.get(f"{LIST}{campaign.pk}/delete/").status_code == 403
    assert marketer.get(f"{LIST}{campaign.pk}/report/").status_code == 200
    assert marketer.get("/admin/campaigns/award/").status_code == 200


def test_an_analyst_reads_campaigns_and_reports_but_changes_nothing(analyst, en):
    campaign = make_campaign(name="×2 points")
    assert analyst.get(f"{LIST}{campaign.pk}/report/").status_code == 200
    page = analyst.get(LIST, **en).content.decode()
    assert "×2 points" in page
    assert 'name="action"' not in page  # no actions offered
    assert analyst.get(ADD).status_code == 403
    assert analyst.get(LIST + "import/").status_code == 403
    campaign.conditions = {"all": [{"check_amount": {"gte": "2000"}}]}
    campaign.save()
    change = analyst.get(change_url(campaign), **en).content.decode()
    assert "check_amount" in change  # the stored conditions, read-only
    assert "Min check amount" not in change  # not the editing fields, empty
    assert 'name="_save"' not in change
    assert 'name="_preview"' not in change

    posted = form_data(code=campaign.code, name="Renamed", state="active")
    assert analyst.post(change_url(campaign), posted).status_code == 403
    preview = {**posted, "_preview": "1", "preview-member": PHONE, "preview-total": "10"}
    assert analyst.post(change_url(campaign), preview).status_code == 403
    analyst.post(LIST, {"action": "pause", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert (campaign.name, campaign.state) == ("×2 points", Campaign.State.ACTIVE)


def test_a_cashier_reaches_no_campaign_page(db):
    store = StoreFactory()
    cashier = staff_client("cashier-c", "cashier", is_staff=False, store=store)
    campaign = make_campaign()
    for url in (LIST, ADD, change_url(campaign), f"{LIST}{campaign.pk}/report/", LIST + "import/"):
        assert cashier.get(url).status_code == 302, url  # to the login page


def test_awards_show_members_by_number_without_phones(admin_client, analyst, partner):
    from campaigns.checkout import record_purchase

    member = make_member(phone=PHONE)
    make_campaign()
    record_purchase(
        member_id=member.pk, partner=partner, external_id="a1", amount="1000", now=timezone.now()
    )
    page = admin_client.get("/admin/campaigns/award/").content.decode()
    assert f"#{member.pk} · {member.card_number}" in page
    assert PHONE[2:] not in page
    analyst_page = analyst.get("/admin/campaigns/award/").content.decode()
    assert f"#{member.pk}" in analyst_page
    assert member.card_number not in analyst_page
    award = Award.objects.get()
    assert admin_client.get(f"/admin/campaigns/award/{award.pk}/change/").status_code == 200
    assert (
        PHONE[2:]
        not in admin_client.get(f"/admin/campaigns/award/{award.pk}/change/").content.decode()
    )


# --- export and import ---------------------------------------------------------------------


def test_campaigns_export_as_a_json_file_and_import_after_a_dry_run(admin_client, en):
    campaign = make_campaign(code="sat-x2", name="Saturdays ×2")
    response = admin_client.post(
        LIST, {"action": "export_json", "_selected_action": [campaign.pk]}, **en
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="campaigns-')
    exported = json.loads(response.content)
    assert [c["code"] for c in exported["campaigns"]] == ["sat-x2"]

    exported["campaigns"][0]["name"] = "Saturdays ×3"
    exported["campaigns"][0]["value"] = "3"
    new = dict(exported["campaigns"][0], code="sun-x2", name="Sundays ×2")
    exported["campaigns"].append(new)
    upload = _file(json.dumps(exported))
    response = admin_client.post(LIST + "import/", {"file": upload, "_dry_run": "1"}, **en)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated, result.errors) == (["sun-x2"], ["sat-x2"], {})
    assert 'name="_apply"' in response.content.decode()
    assert not Campaign.objects.filter(code="sun-x2").exists()  # a dry run writes nothing

    payload = response.context["form"].initial["payload"]
    response = admin_client.post(LIST + "import/", {"payload": payload, "_apply": "1"}, **en)
    assert response.status_code == 302
    assert Campaign.objects.get(code="sat-x2").name == "Saturdays ×3"
    assert Campaign.objects.get(code="sun-x2").name == "Sundays ×2"


def test_an_import_with_errors_shows_them_and_changes_nothing(admin_client, en):
    bad = {"format": "kopilka-campaigns", "version": 1, "campaigns": [{"code": "x"}]}
    from campaigns.transfer import FORMAT, VERSION

    bad.update(format=FORMAT, version=VERSION)
    response = admin_client.post(LIST + "import/", {"file": _file(json.dumps(bad))}, **en)
    assert response.status_code == 200
    assert response.context["result"].errors
    assert 'name="_apply"' not in response.content.decode()

    response = admin_client.post(LIST + "import/", {"file": _file("not json")}, **en)
    assert "The file is not valid JSON." in response.content.decode()
    assert not Campaign.objects.exists()


def _file(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("campaigns.json", text.encode(), content_type="application/json")


# --- pages: Russian by default, strict CSP, queries that do not grow --------------------------


def test_the_form_speaks_russian_by_default(admin_client):
    campaign = make_campaign()
    page = admin_client.get(change_url(campaign)).content.decode()
    assert "Предпросмотр: что получит этот участник за этот чек" in page
    assert "чек от, ₽" in page
    response = admin_client.post(ADD, form_data(kind="steps", steps_text="3000 50"))
    assert errors_of(response)["steps_text"] == [
        "Строка 1: пишите «сумма: баллы», например «3000: 50»."
    ]


def test_campaign_pages_run_no_inline_script_or_style_without_the_nonce(admin_client, en):
    import re

    campaign = make_campaign()
    for url in (LIST, ADD, change_url(campaign), f"{LIST}{campaign.pk}/report/", LIST + "import/"):
        response = admin_client.get(url, **en)
        page = response.content.decode()
        found = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        nonce = found[1] if found else "no nonce on this page"
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, (url, tag)
        for tag in re.findall(r"<style[^>]*>", page):
            assert f'nonce="{nonce}"' in tag, (url, tag)
        assert " style=" not in page, url


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    return len(ctx)


def test_the_lists_do_not_grow_queries_with_rows(admin_client, partner):
    from campaigns.checkout import record_purchase

    def shop(n):
        for _ in range(n):
            member = make_member()
            record_purchase(
                member_id=member.pk,
                partner=partner,
                external_id=f"q-{member.pk}",
                amount="1000",
                now=timezone.now(),
            )

    make_campaign(holdout_percent=50)
    shop(2)
    urls = (LIST, "/admin/campaigns/award/")
    small = {url: _queries(admin_client, url) for url in urls}
    for _ in range(5):
        make_campaign()
    shop(6)
    assert {url: _queries(admin_client, url) for url in urls} == small
