"""Test data built through the real services, so every member has an account and consents."""

import datetime as dt
import itertools
import zoneinfo

import factory

from customers.models import Member, User
from loyalty.models import Partner, StaffAssignment, Store
from loyalty.services.enrolment import enroll_member

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
T0 = dt.datetime(2026, 1, 15, 12, 0, tzinfo=MOSCOW)

_phones = itertools.count(1000000)


def next_phone() -> str:
    return f"+7912{next(_phones):07d}"


def make_member(*, phone: str | None = None, now: dt.datetime = T0, **fields) -> Member:
    return enroll_member(
        phone=phone or next_phone(),
        consents={"personal_data": True},
        now=now,
        **fields,
    )


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Partner {n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    address = "Москва, ул. Тверская, 1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-42")
    is_staff = True

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def store(obj, create, extracted, **kwargs):
        """`UserFactory(store=…)`: the store the staff user works at (loyalty keeps it)."""
        if create and extracted is not None:
            StaffAssignment.objects.update_or_create(user=obj, defaults={"store": extracted})


def make_campaign(**fields):
    """A running campaign (active, no dates) — by default ×2 points on every purchase."""
    from campaigns.models import Campaign

    n = next(_campaigns)
    values = {
        "code": f"campaign-{n}",
        "name": f"Campaign {n}",
        "kind": Campaign.Kind.PROMO,
        "state": Campaign.State.ACTIVE,
        "effect": Campaign.Effect.MULTIPLIER,
        "value": 2,
        "stacking_group": f"group-{n}",
    }
    values.update(fields)
    tiers = values.pop("early_access_tiers", ())
    campaign = Campaign(**values)
    campaign.full_clean()
    campaign.save()
    if tiers:
        campaign.early_access_tiers.set(tiers)
    return campaign


_campaigns = itertools.count(1)
