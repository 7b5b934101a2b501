"""Segments in the back-office: the rule checked on save, the upload of a list with the rows not
found, counts over time on the page, the members' export logged, the thresholds, the roles."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import RfmSettings, Segment, SegmentCount, SegmentMember
from campaigns.segment_lists import upload_static
from campaigns.segments import recompute
from customers.models import PersonalDataAccess
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def segment_form(**fields) -> dict:
    data = {
        "code": "gold-sleepers",
        "name": "Золотые спящие",
        "name_en": "",
        "description": "",
        "kind": "rule",
        "conditions": '{"all": [{"tier": ["gold"]}, {"segment": ["sleeping"]}]}',
        "is_active": "on",
    }
    data.update(fields)
    return data


def test_a_marketer_adds_a_rule_segment(marketer, en):
    response = marketer.post(reverse("admin:campaigns_segment_add"), segment_form(), **en)
    assert response.status_code == 302
    segment = Segment.objects.get(code="gold-sleepers")
    assert segment.conditions == {"all": [{"tier": ["gold"]}, {"segment": ["sleeping"]}]}


def test_a_rule_on_the_check_is_refused_with_a_clear_message(marketer, en):
    response = marketer.post(
        reverse("admin:campaigns_segment_add"),
        segment_form(conditions='{"check_amount": {"gte": "1000"}}'),
        **en,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A segment is a set of members, not of purchases: check_amount cannot be used" in page
    assert not Segment.objects.filter(code="gold-sleepers").exists()


def test_no_sixth_rfm_segment_can_be_added(marketer, en):
    response = marketer.post(
        reverse("admin:campaigns_segment_add"), segment_form(kind="rfm", conditions="{}"), **en
    )
    assert "The five RFM segments exist already" in response.content.decode()


def test_the_upload_adds_the_members_found_and_lists_the_rows_not_found(marketer, en):
    anna = make_member(phone="+79161234567")
    segment = Segment.objects.create(code="friends", name="Друзья", kind=Segment.Kind.STATIC)
    upload = SimpleUploadedFile("list.csv", b"phone\n8 916 123-45-67\n+79990000000\n")
    response = marketer.post(
        reverse("admin:campaigns_segment_upload", args=[segment.pk]),
        {"file": upload, "mode": "replace"},
        **en,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 row matches no member." in page and "+79990000000" in page
    assert list(SegmentMember.objects.filter(segment=segment).values_list("member", flat=True)) == [
        anna.pk
    ]


def test_the_segment_page_shows_its_counts_over_time(marketer, en):
    make_member()
    recompute(now=timezone.now())
    new = Segment.objects.get(code="new")
    count = SegmentCount.objects.get(segment=new)
    page = marketer.get(reverse("admin:campaigns_segment_change", args=[new.pk]), **en)
    assert (
        f"<tr><td>{count.day.isoformat()}</td><td>1</td><td>+1</td><td>−0</td></tr>"
        in page.content.decode()
    )


def test_an_export_of_segment_members_is_logged(marketer, now):
    anna = make_member(phone="+79161234567")
    segment = Segment.objects.create(code="friends", name="Друзья", kind=Segment.Kind.STATIC)
    upload_static(segment=segment, rows=[(1, anna.phone)], replace=True, now=now)
    model_admin = admin.site._registry[SegmentMember]
    csv_index = next(
        i for i, f in enumerate(model_admin.get_export_formats()) if f().get_title() == "csv"
    )
    response = marketer.post(
        reverse("admin:campaigns_segmentmember_export") + f"?segment__id__exact={segment.pk}",
        {
            "format": str(csv_index),
            "resource": "0",
            "segmentmemberresource_phone": "on",
            "segmentmemberresource_segment": "on",
        },
    )
    assert response.status_code == 200
    assert "+79161234567" in response.content.decode("utf-8-sig")
    log = PersonalDataAccess.objects.get()
    assert (log.model, log.row_count, log.columns) == (
        "campaigns.segmentmember",
        1,
        ["segment", "phone"],
    )
    assert log.filters == {"segment__id__exact": [str(segment.pk)]}


def test_an_analyst_reads_segments_but_changes_and_exports_nothing(analyst, now):
    anna = make_member()
    segment = Segment.objects.create(code="friends", name="Друзья", kind=Segment.Kind.STATIC)
    upload_static(segment=segment, rows=[(1, anna.phone)], replace=True, now=now)
    assert analyst.get(reverse("admin:campaigns_segment_changelist")).status_code == 200
    members = analyst.get(reverse("admin:campaigns_segmentmember_changelist")).content.decode()
    assert f"#{anna.pk}" in members and anna.phone not in members
    assert analyst.post(reverse("admin:campaigns_segment_add"), segment_form()).status_code == 403
    upload = SimpleUploadedFile("list.csv", anna.phone.encode())
    url = reverse("admin:campaigns_segment_upload", args=[segment.pk])
    assert analyst.post(url, {"file": upload, "mode": "add"}).status_code == 403
    assert analyst.get(reverse("admin:campaigns_segmentmember_export")).status_code == 403


def test_the_thresholds_are_one_row_and_changing_them_makes_the_next_run_full(marketer, en):
    settings = RfmSettings.current()
    recompute(now=dt.datetime(2026, 5, 10, 7, tzinfo=dt.UTC))
    assert marketer.get(reverse("admin:campaigns_rfmsettings_changelist")).url == reverse(
        "admin:campaigns_rfmsettings_change", args=[settings.pk]
    )
    response = marketer.post(
        reverse("admin:campaigns_rfmsettings_change", args=[settings.pk]),
        {
            "new_days": 30,
            "active_days": 45,
            "sleeping_days": 180,
            "window_days": 365,
            "vip_spend": "30000",
            "vip_purchases": 12,
        },
        **en,
    )
    assert response.status_code == 302
    assert recompute(now=dt.datetime(2026, 5, 11, 7, tzinfo=dt.UTC)).full


def test_a_changed_rule_is_judged_anew_for_every_member(marketer, en):
    segment = Segment.objects.create(
        code="gold-sleepers",
        name="Золотые спящие",
        kind=Segment.Kind.RULE,
        conditions={"tier": ["gold"]},
        computed_at=timezone.now(),
    )
    response = marketer.post(
        reverse("admin:campaigns_segment_change", args=[segment.pk]),
        segment_form(conditions='{"tier": ["silver"]}'),
        **en,
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.conditions == {"tier": ["silver"]} and segment.computed_at is None
