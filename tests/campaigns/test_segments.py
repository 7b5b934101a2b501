"""Segments: RFM classes by recency, frequency and spend, moving with time and purchases and
picked up incrementally; rule segments; uploaded lists; counts over time; campaigns aimed at a
segment."""

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from campaigns.checkout import record_purchase
from campaigns.models import MemberActivity, RfmSettings, Segment, SegmentCount, SegmentMember
from campaigns.offers import member_offers
from campaigns.segment_lists import read_rows, upload_static
from campaigns.segments import (
    judged_every_run,
    member_ids,
    member_segment_codes,
    members_in,
    recompute,
    rule_problems,
)
from customers.models import Member
from loyalty.services import refund_purchase
from tests.factories import make_campaign, make_member

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")
_checks = itertools.count(1)


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=MSK)


def joined(moment, **fields) -> Member:
    with time_machine.travel(moment, tick=False):
        return make_member(now=moment, **fields)


def buy(member, partner, moment, amount="1000.00"):
    return record_purchase(
        member_id=member.pk,
        partner=partner,
        now=moment,
        amount=amount,
        external_id=f"seg-{next(_checks)}",
    ).purchase


def run(moment, **kwargs):
    with time_machine.travel(moment, tick=False):
        return recompute(now=moment, **kwargs)


def rfm(member) -> str:
    return MemberActivity.objects.get(member=member).rfm_class


def rfm_codes(member) -> set[str]:
    return set(
        SegmentMember.objects.filter(member=member, segment__kind=Segment.Kind.RFM).values_list(
            "segment__code", flat=True
        )
    )


def static_segment(code="friends") -> Segment:
    return Segment.objects.create(code=code, name=code, kind=Segment.Kind.STATIC)


# --- RFM classes ---------------------------------------------------------------------------------
def test_the_five_rfm_segments_and_the_thresholds_come_with_the_install():
    assert set(Segment.objects.filter(kind=Segment.Kind.RFM).values_list("code", flat=True)) == {
        "new",
        "active",
        "vip",
        "at_risk",
        "sleeping",
    }
    assert RfmSettings.objects.count() == 1


def test_every_member_is_in_exactly_one_rfm_segment(partner):
    fresh = joined(at(2026, 5, 20))
    buyer = joined(at(2026, 1, 10))
    buy(buyer, partner, at(2026, 5, 1))
    lapsed = joined(at(2025, 6, 1))
    buy(lapsed, partner, at(2026, 2, 1))
    never = joined(at(2025, 1, 1))
    run(at(2026, 6, 1))
    assert [rfm(m) for m in (fresh, buyer, lapsed, never)] == [
        "new",
        "active",
        "at_risk",
        "sleeping",
    ]
    for member in (fresh, buyer, lapsed, never):
        assert rfm_codes(member) == {rfm(member)}


def test_a_member_moves_active_to_at_risk_to_sleeping_by_time_alone_and_back_by_a_purchase(
    partner,
):
    member = joined(at(2026, 1, 1))
    joined(at(2025, 1, 1))  # sleeping, and nothing will change for them
    buy(member, partner, at(2026, 2, 1))
    first = run(at(2026, 3, 5))
    assert first.full and rfm(member) == "active"
    assert MemberActivity.objects.get(member=member).next_change_at == at(2026, 4, 2)

    # 60 days after the purchase: at risk — the run looks only at the member whose time came.
    later = run(at(2026, 4, 5))
    assert not later.full and later.looked_at == 1
    assert rfm(member) == "at_risk" and rfm_codes(member) == {"at_risk"}

    run(at(2026, 8, 1))  # 180 days after the purchase
    assert rfm(member) == "sleeping" and rfm_codes(member) == {"sleeping"}

    buy(member, partner, at(2026, 8, 2))
    again = run(at(2026, 8, 3))
    assert again.looked_at == 1
    assert rfm(member) == "active" and rfm_codes(member) == {"active"}


def test_a_member_who_never_bought_is_new_then_at_risk_then_sleeping():
    member = joined(at(2026, 1, 1))
    run(at(2026, 1, 10))
    assert rfm(member) == "new"
    run(at(2026, 2, 5))
    assert rfm(member) == "at_risk"
    run(at(2026, 7, 1))
    assert rfm(member) == "sleeping"


def test_vip_by_spend_or_by_purchases_in_the_window(partner):
    big = joined(at(2025, 1, 1))
    buy(big, partner, at(2026, 5, 1), amount="30000.00")
    frequent = joined(at(2025, 1, 1))
    for month in range(1, 13):
        buy(frequent, partner, at(2025, 6, 1) + dt.timedelta(days=28 * month), amount="100.00")
    modest = joined(at(2025, 1, 1))
    buy(modest, partner, at(2026, 5, 1), amount="29999.99")
    run(at(2026, 6, 1))
    assert (rfm(big), rfm(frequent), rfm(modest)) == ("vip", "vip", "active")
    activity = MemberActivity.objects.get(member=big)
    assert (activity.purchases_in_window, activity.spend_in_window) == (1, Decimal("30000.00"))


def test_points_paid_do_not_count_as_spend(partner):
    member = joined(at(2025, 1, 1))
    buy(member, partner, at(2026, 5, 1), amount="30000.00")  # earns 600 points
    record_purchase(
        member_id=member.pk,
        partner=partner,
        now=at(2026, 5, 2),
        amount="1000.00",
        redeem_points=300,
        external_id="seg-redeem",
    )
    run(at(2026, 6, 1))
    assert MemberActivity.objects.get(member=member).spend_in_window == Decimal("30700.00")


def test_a_refund_changes_spend_and_is_picked_up_by_the_next_run(partner):
    member = joined(at(2025, 1, 1))
    purchase = buy(member, partner, at(2026, 5, 1), amount="30000.00")
    run(at(2026, 5, 10))
    assert rfm(member) == "vip"
    refund_purchase(
        purchase_id=purchase.pk, external_id="r1", now=at(2026, 5, 11), amount=Decimal("5000.00")
    )
    result = run(at(2026, 5, 12))
    assert result.looked_at == 1
    activity = MemberActivity.objects.get(member=member)
    assert activity.spend_in_window == Decimal("25000.00")
    assert rfm(member) == "active"


def test_a_purchase_refunded_in_full_is_no_purchase(partner):
    member = joined(at(2025, 1, 1))
    purchase = buy(member, partner, at(2026, 5, 1))
    refund_purchase(purchase_id=purchase.pk, external_id="r1", now=at(2026, 5, 2))
    run(at(2026, 5, 10))
    activity = MemberActivity.objects.get(member=member)
    assert activity.last_purchase_at is None and rfm(member) == "sleeping"


def test_vip_ends_when_the_big_purchase_leaves_the_window(partner):
    member = joined(at(2024, 1, 1))
    buy(member, partner, at(2025, 6, 1), amount="30000.00")
    buy(member, partner, at(2026, 5, 20), amount="100.00")
    run(at(2026, 5, 25))
    assert rfm(member) == "vip"
    assert MemberActivity.objects.get(member=member).next_change_at == at(2026, 6, 1)
    run(at(2026, 6, 2))
    assert rfm(member) == "active"


def test_the_average_check_of_the_last_90_days_and_of_the_90_before(partner):
    member = joined(at(2025, 1, 1))
    buy(member, partner, at(2026, 1, 10), amount="3000.00")
    buy(member, partner, at(2026, 2, 10), amount="1000.00")
    buy(member, partner, at(2026, 5, 10), amount="500.00")
    run(at(2026, 6, 1))
    activity = MemberActivity.objects.get(member=member)
    assert (activity.avg_check_recent, activity.avg_check_before) == (
        Decimal("500.00"),
        Decimal("2000.00"),
    )


def test_changing_the_thresholds_makes_the_next_run_full(partner):
    member = joined(at(2025, 1, 1))
    buy(member, partner, at(2026, 5, 1), amount="20000.00")
    run(at(2026, 5, 10))
    assert rfm(member) == "active"
    assert not run(at(2026, 5, 11)).full
    settings = RfmSettings.current()
    settings.vip_spend = Decimal("15000")
    settings.save()
    result = run(at(2026, 5, 12))
    assert result.full and rfm(member) == "vip"
    assert not run(at(2026, 5, 13)).full


def test_a_second_run_while_one_is_in_progress_does_nothing():
    joined(at(2025, 1, 1))
    RfmSettings.objects.update(recompute_started_at=at(2026, 5, 1, 9))
    assert run(at(2026, 5, 1)).skipped
    assert not MemberActivity.objects.exists()
    assert not run(at(2026, 5, 1, 12)).skipped  # that run died two hours ago


def test_a_closed_member_leaves_the_segments(partner):
    member = joined(at(2025, 1, 1))
    run(at(2026, 5, 1))
    assert rfm_codes(member) == {"sleeping"}
    with time_machine.travel(at(2026, 5, 2), tick=False):
        Member.objects.filter(pk=member.pk).update(
            status=Member.Status.CLOSED, updated_at=at(2026, 5, 2)
        )
    run(at(2026, 5, 3))
    assert rfm_codes(member) == set()


# --- counts over time ----------------------------------------------------------------------------
def test_counts_over_time_say_the_size_and_who_joined_and_left_each_day(partner):
    first = joined(at(2025, 1, 1))
    second = joined(at(2025, 1, 1))
    buy(first, partner, at(2026, 5, 1))
    run(at(2026, 5, 10))
    buy(second, partner, at(2026, 5, 11))
    run(at(2026, 5, 12))
    active = Segment.objects.get(code="active")
    sleeping = Segment.objects.get(code="sleeping")
    rows = {
        (c.segment.code, c.day): (c.members, c.joined, c.left)
        for c in SegmentCount.objects.filter(segment__in=[active, sleeping])
    }
    assert rows == {
        ("active", dt.date(2026, 5, 10)): (1, 1, 0),
        ("sleeping", dt.date(2026, 5, 10)): (1, 1, 0),
        ("active", dt.date(2026, 5, 12)): (2, 1, 0),
        ("sleeping", dt.date(2026, 5, 12)): (0, 0, 1),
    }
    active.refresh_from_db()
    assert (active.member_count, active.computed_at) == (2, at(2026, 5, 12))


def test_the_command_prints_each_segment_with_joined_and_left(partner):
    member = joined(at(2025, 1, 1))
    buy(member, partner, at(2026, 5, 1))
    out = StringIO()
    with time_machine.travel(at(2026, 5, 10), tick=False):
        call_command("recompute_segments", "--now", "2026-05-10T10:00", stdout=out)
    text = out.getvalue()
    assert "(full): 1 members looked at" in text
    assert "active (RFM class): 1 members, +1 joined, -0 left" in text
    out = StringIO()
    with time_machine.travel(at(2026, 5, 11), tick=False):
        call_command("recompute_segments", "--now", "2026-05-11T10:00", "--full", stdout=out)
    assert "(full)" in out.getvalue()


# --- rule segments -------------------------------------------------------------------------------
def test_a_rule_segment_holds_the_members_its_rule_holds_for(partner):
    Segment.objects.create(
        code="loyal-silver",
        name="loyal",
        kind=Segment.Kind.RULE,
        conditions={"all": [{"member_days": {"gte": 365}}, {"segment": ["active", "vip"]}]},
    )
    old = joined(at(2025, 5, 1))
    young = joined(at(2025, 9, 1))
    for member in (old, young):
        buy(member, partner, at(2026, 8, 1))
    run(at(2026, 8, 10))
    rule = Segment.objects.get(code="loyal-silver")
    assert set(member_ids(rule)) == {old.pk}
    # A year of membership passes for the younger one: nothing else changed, they join.
    result = run(at(2026, 9, 2))
    assert result.looked_at == 0 and set(member_ids(rule)) == {old.pk, young.pk}
    # 60 days without a purchase: no longer active, so out of the rule too.
    run(at(2026, 10, 5))
    assert set(member_ids(rule)) == set()


def test_a_new_rule_segment_is_judged_for_every_member_once():
    first, second = joined(at(2025, 1, 1)), joined(at(2025, 2, 1))
    run(at(2026, 5, 1))
    with time_machine.travel(at(2026, 5, 2), tick=False):
        segment = Segment.objects.create(
            code="base-tier", name="base", kind=Segment.Kind.RULE, conditions={"tier": ["base"]}
        )
    result = run(at(2026, 5, 3))
    assert result.looked_at == 0 and set(member_ids(segment)) == {first.pk, second.pk}
    segment.refresh_from_db()
    assert not judged_every_run(segment)  # from now on: only members whose facts change


@translation.override("en")
def test_a_rule_on_purchases_is_refused_with_a_clear_message():
    problems = rule_problems({"all": [{"tier": ["gold"]}, {"check_amount": {"gte": "100"}}]})
    assert problems and "check_amount" in problems[0] and "not of purchases" in problems[0]
    assert rule_problems({"segment": ["nobody-has-this"]})
    assert rule_problems({}) == ["A rule segment needs a rule."]
    assert rule_problems({"tier": ["gold"]}) == []


# --- uploaded lists ------------------------------------------------------------------------------
def test_an_uploaded_list_finds_members_by_phone_or_card_and_reports_the_rest(now):
    anna = make_member(phone="+79161234567")
    boris = make_member()
    segment = static_segment()
    text = (f"phone\n8 (916) 123-45-67\n{boris.card_number}\n+79990000000\nnot a phone\n").encode()
    result = upload_static(
        segment=segment, rows=read_rows("list.csv", text), replace=False, now=now
    )
    assert (result.rows, result.found, result.added) == (4, 2, 2)
    assert result.not_found == [(4, "+79990000000"), (5, "not a phone")]
    assert members_in(segment, [anna.pk, boris.pk]) == {anna.pk, boris.pk}
    segment.refresh_from_db()
    assert segment.member_count == 2


def test_an_uploaded_list_replaces_or_adds_to_the_members(now):
    anna, boris, clara = make_member(), make_member(), make_member()
    segment = static_segment()
    upload_static(segment=segment, rows=[(1, anna.phone), (2, boris.phone)], replace=False, now=now)
    added = upload_static(segment=segment, rows=[(1, clara.phone)], replace=False, now=now)
    assert (added.added, added.removed) == (1, 0)
    assert set(member_ids(segment)) == {anna.pk, boris.pk, clara.pk}
    replaced = upload_static(
        segment=segment, rows=[(1, clara.phone), (2, boris.phone)], replace=True, now=now
    )
    assert (replaced.added, replaced.removed) == (0, 1)
    assert set(member_ids(segment)) == {boris.pk, clara.pk}
    count = SegmentCount.objects.get(segment=segment)
    assert (count.members, count.joined, count.left) == (2, 3, 1)


def test_a_recomputation_leaves_an_uploaded_list_as_it_is(now):
    anna = joined(at(2025, 1, 1))
    segment = static_segment()
    upload_static(segment=segment, rows=[(1, anna.phone)], replace=True, now=now)
    run(at(2026, 5, 1))
    assert set(member_ids(segment)) == {anna.pk}
    assert member_segment_codes(anna.pk) == {"friends", "sleeping"}


def test_a_switched_off_segment_has_no_members_for_campaigns_and_triggers(now):
    anna = make_member()
    segment = static_segment()
    upload_static(segment=segment, rows=[(1, anna.phone)], replace=True, now=now)
    Segment.objects.filter(pk=segment.pk).update(is_active=False)
    segment.refresh_from_db()
    assert members_in(segment, [anna.pk]) == set()
    assert list(member_ids(segment)) == []
    assert member_segment_codes(anna.pk) == frozenset()


def test_an_xlsx_sheet_gives_its_first_column():
    import zipfile
    from io import BytesIO

    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>5</v></c></row>'
        '<row r="3"><c r="A3"><v>79161234567</v></c></row>'
        "</sheetData></worksheet>"
    )
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>Телефон</t></si><si><t>+7 916 000-00-01</t></si></sst>"
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        book.writestr("xl/sharedStrings.xml", strings)
    assert read_rows("list.xlsx", buffer.getvalue()) == [
        (2, "+7 916 000-00-01"),
        (3, "79161234567"),
    ]


# --- campaigns aimed at a segment ----------------------------------------------------------------
def test_a_campaign_for_a_segment_gives_its_bonus_only_to_members_in_it(partner, now):
    insider, outsider = make_member(), make_member()
    segment = static_segment()
    upload_static(segment=segment, rows=[(1, insider.phone)], replace=True, now=now)
    make_campaign(name="Friends ×2", conditions={"segment": ["friends"]})
    assert buy(insider, partner, now).bonus_points == 20
    assert buy(outsider, partner, now).bonus_points == 0


def test_the_offers_page_shows_a_segment_campaign_only_to_members_in_it(now):
    insider, outsider = make_member(), make_member()
    segment = static_segment()
    upload_static(segment=segment, rows=[(1, insider.phone)], replace=True, now=now)
    campaign = make_campaign(name="Friends ×2", conditions={"segment": ["friends"]})
    shown = [o.campaign for o in member_offers(member=insider, now=now).purchases]
    hidden = [o.campaign for o in member_offers(member=outsider, now=now).purchases]
    assert (shown, hidden) == ([campaign], [])


def test_a_purchase_reads_no_segments_when_no_campaign_names_one(
    partner, now, django_assert_max_num_queries
):
    member = make_member()
    make_campaign(name="×2 for everyone")
    buy(member, partner, now)  # the campaigns are loaded
    with django_assert_max_num_queries(50) as queries:
        buy(member, partner, now)
    assert not any("campaigns_segmentmember" in q["sql"] for q in queries.captured_queries)


def test_an_event_bonus_with_a_segment_condition_goes_only_to_the_segments_members(now):
    from campaigns.grants import grant
    from campaigns.models import Campaign, Segment, SegmentMember
    from tests.factories import make_campaign, make_member

    segment = Segment.objects.create(code="friends", name="Друзья", kind=Segment.Kind.STATIC)
    campaign = make_campaign(
        kind=Campaign.Kind.WELCOME,
        effect=Campaign.Effect.FIXED,
        value=100,
        conditions={"segment": ["friends"]},
    )
    friend, stranger = make_member(now=now), make_member(now=now)
    SegmentMember.objects.create(segment=segment, member=friend, since=now)

    given = grant(campaign, member_id=friend.pk, occasion="welcome", now=now)
    refused = grant(campaign, member_id=stranger.pk, occasion="welcome", now=now)

    assert (given.points, refused.reason) == (100, "conditions")
