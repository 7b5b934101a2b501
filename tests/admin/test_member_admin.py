"""The member pages of the back-office: search in any phone notation, enrolment through the
service, import through the same rules, and a member list without N+1 queries."""

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Consent, Member
from loyalty.admin.members import MemberResource
from loyalty.models import Account
from tests.factories import make_member

CHANGELIST = reverse("admin:customers_member_changelist")
ADD = reverse("admin:customers_member_add")


def _add(client, en, **data):
    form = {
        "phone": "",
        "email": "",
        "first_name": "",
        "last_name": "",
        "birth_date": "",
        **data,
    }
    return client.post(ADD, form, **en)


@pytest.mark.parametrize("query", ["8 (912) 345-67-89", "+7 912 345 67 89", "89123456789"])
def test_search_finds_a_member_by_phone_in_another_notation(admin_client, now, en, query):
    anna = make_member(phone="+79123456789", now=now, first_name="Анна")
    other = make_member(phone="+79161112233", now=now)
    page = admin_client.get(CHANGELIST, {"q": query}, **en).content.decode()
    assert anna.card_number in page
    assert other.card_number not in page


def test_search_finds_a_member_by_card_email_and_name(admin_client, now, en):
    anna = make_member(now=now, first_name="Анна", last_name="Кузнецова", email="anna@example.ru")
    other = make_member(now=now, first_name="Борис")
    for query in (anna.card_number, "anna@example", "Кузнецова"):
        page = admin_client.get(CHANGELIST, {"q": query}, **en).content.decode()
        assert anna.card_number in page, query
        assert other.card_number not in page, query


def test_member_list_queries_do_not_grow_with_members(
    admin_client, now, en, django_assert_max_num_queries
):
    for _ in range(30):
        make_member(now=now)
    with django_assert_max_num_queries(8):
        assert admin_client.get(CHANGELIST, **en).status_code == 200


def test_adding_a_member_without_personal_data_consent_is_refused(admin_client, en):
    response = _add(admin_client, en, phone="8 (912) 345-67-89", consent_marketing_sms="on")
    assert response.status_code == 200
    assert "Consent to personal data processing is required" in response.content.decode()
    assert not Member.objects.exists()
    assert not Consent.objects.exists()


@pytest.mark.parametrize("phone", ["8 (912) 345", "not a phone", ""])
def test_adding_a_member_with_a_bad_phone_is_refused(admin_client, en, phone):
    response = _add(admin_client, en, phone=phone, consent_personal_data="on")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phone"]
    assert not Member.objects.exists()


def test_adding_a_member_whose_phone_exists_in_another_notation_is_refused(admin_client, now, en):
    make_member(phone="+79123456789", now=now)
    response = _add(admin_client, en, phone="8 (912) 345-67-89", consent_personal_data="on")
    assert "A member with this phone number already exists." in response.content.decode()
    assert Member.objects.count() == 1


def test_adding_a_member_with_a_future_birth_date_is_refused(admin_client, en):
    response = _add(
        admin_client, en, phone="89123456789", consent_personal_data="on", birth_date="2999-01-01"
    )
    assert "The birth date is in the future." in response.content.decode()
    assert not Member.objects.exists()


def test_adding_a_member_enrols_them_with_their_consents_and_an_account(admin_client, en):
    response = _add(
        admin_client,
        en,
        phone="8 (912) 345-67-89",
        first_name="Анна",
        email="Anna@Example.ru",
        consent_personal_data="on",
        consent_marketing_email="on",
    )
    assert response.status_code == 302
    member = Member.objects.get()
    assert (member.phone, member.email, member.channel) == (
        "+79123456789",
        "anna@example.ru",
        "admin",
    )
    assert set(member.consents.values_list("kind", flat=True)) == {
        "personal_data",
        "marketing_email",
    }
    assert member.account.available == 0


def test_the_change_page_shows_the_consent_history_read_only(admin_client, member, en):
    url = reverse("admin:customers_member_change", args=[member.pk])
    page = admin_client.get(url, **en).content.decode()
    assert "personal data processing" in page
    assert 'name="consents-0-kind"' not in page  # shown, not editable


def test_the_change_page_refuses_an_email_taken_in_another_case(admin_client, now, en):
    make_member(email="anna@example.ru", now=now)
    other = make_member(now=now)
    url = reverse("admin:customers_member_change", args=[other.pk])
    form = {
        "email": "ANNA@example.ru",
        "first_name": "",
        "last_name": "",
        "birth_date": "",
        "status": "active",
        "language": "ru",
        "important_dates-TOTAL_FORMS": "0",
        "important_dates-INITIAL_FORMS": "0",
        "consents-TOTAL_FORMS": "0",
        "consents-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, form, **en)
    assert "This e-mail belongs to another member." in response.content.decode()
    other.refresh_from_db()
    assert other.email == ""


def test_import_enrols_good_rows_and_reports_bad_ones(db, now):
    make_member(phone="+79160000001", now=now)
    dataset = tablib.Dataset(headers=["phone", "first_name", "email", "consent_personal_data"])
    dataset.append(["8 (912) 345-67-89", "Анна", "anna@example.ru", "да"])
    dataset.append(["+7 916 000 00 01", "Дубль", "", "1"])  # already a member
    dataset.append(["8 (912) 345", "Кривой", "", "1"])  # malformed
    dataset.append(["89161234567", "Без согласия", "", "0"])
    dataset.append(["+7 912 345 67 89", "Повтор в файле", "", "yes"])

    result = MemberResource().import_data(dataset, dry_run=False, raise_errors=False)

    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4, 5}
    assert "phone" in invalid[2] and "phone" in invalid[3] and "phone" in invalid[5]
    assert "consent_personal_data" in invalid[4]
    assert not result.has_errors()
    anna = Member.objects.get(phone="+79123456789")
    assert (anna.first_name, anna.channel) == ("Анна", "import")
    assert anna.consents.filter(kind="personal_data", source="import").exists()
    assert Account.objects.filter(member=anna).exists()  # imported members get an account
    assert Member.objects.count() == 2


def test_export_writes_members_with_their_live_consents(db, now, django_assert_max_num_queries):
    for _ in range(5):
        make_member(now=now)
    with django_assert_max_num_queries(3):
        dataset = MemberResource().export(Member.objects.order_by("pk"))
    assert len(dataset) == 5
    column = {MemberResource.column_key(header): header for header in dataset.headers}
    assert set(dataset[column["consent_personal_data"]]) == {"1"}
    assert set(dataset[column["consent_marketing_sms"]]) == {"0"}


def test_the_admin_import_preview_reports_row_errors_and_saves_nothing(admin_client, now, en):
    make_member(phone="+79160000001", now=now)
    csv = (
        "phone,first_name,consent_personal_data\n"
        "8 (912) 345-67-89,Анна,1\n"
        "+7 916 000 00 01,Дубль,1\n"
    ).encode()
    response = admin_client.post(
        reverse("admin:customers_member_import"),
        {
            "import_file": SimpleUploadedFile("members.csv", csv, content_type="text/csv"),
            "format": "0",
        },
        **en,
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    assert "A member with this phone number already exists." in response.content.decode()
    assert Member.objects.count() == 1  # the preview is a dry run


def test_the_change_page_saves_profile_and_status(admin_client, member, en):
    url = reverse("admin:customers_member_change", args=[member.pk])
    form = {
        "email": "New@Example.ru",
        "first_name": "Анна",
        "last_name": "Петрова",
        "birth_date": "1990-05-17",
        "status": "blocked",
        "language": "en",
        "important_dates-TOTAL_FORMS": "1",
        "important_dates-INITIAL_FORMS": "0",
        "important_dates-0-label": "Годовщина",
        "important_dates-0-date": "2015-06-20",
        "important_dates-0-yearly": "on",
        "consents-TOTAL_FORMS": "0",
        "consents-INITIAL_FORMS": "0",
    }
    assert admin_client.post(url, form, **en).status_code == 302
    member.refresh_from_db()
    assert (member.email, member.last_name, member.status) == (
        "new@example.ru",
        "Петрова",
        "blocked",
    )
    assert member.important_dates.get().label == "Годовщина"


def test_the_member_page_shows_tier_and_balance_and_offers_the_languages(admin_client, now, en):
    from loyalty.services import adjust_points

    anna = make_member(now=now)
    adjust_points(member_id=anna.pk, points=125, reason="gift", staff=None, now=now)
    page = admin_client.get(reverse("admin:customers_member_change", args=[anna.pk]), **en)
    html = page.content.decode()
    assert "Base" in html or "Базовый" in html
    assert '<div class="readonly">125</div>' in html
    assert '<select name="language"' in html and '<option value="en">English</option>' in html
