"""Reads about members."""

from django.db.models import Q
from django.db.models.functions import Reverse

from customers.errors import InvalidPhone, MemberNotFound
from customers.models import LoginCode, Member
from customers.phones import normalize_phone


def live_consents(member: Member) -> set[str]:
    """The kinds of consent the member has given and not withdrawn."""
    return set(member.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True))


def member_by_phone(phone: str) -> Member:
    """The member with this phone in any notation, or MemberNotFound."""
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone as exc:
        raise MemberNotFound() from exc
    member = Member.objects.filter(phone=e164).first()
    if member is None:
        raise MemberNotFound()
    return member


def member_by_card(card_number: str) -> Member:
    member = Member.objects.filter(card_number=card_number.strip()).first()
    if member is None:
        raise MemberNotFound()
    return member


def members_by_number_tail(digits: str, *, limit: int) -> list[Member]:
    """Members whose phone or card number ends with `digits`, at most `limit`, oldest first.

    A prefix match on the reversed numbers, which PostgreSQL answers from an index.
    """
    tail = digits[::-1]
    matches = (
        Member.objects.annotate(phone_tail=Reverse("phone"), card_tail=Reverse("card_number"))
        .filter(Q(phone_tail__startswith=tail) | Q(card_tail__startswith=tail))
        .order_by("id")
    )
    return list(matches[:limit])


def member_personal_data(member: Member) -> dict:
    """Everything the program keeps about the member as a person, for their own copy (152-FZ):
    the profile, every consent with the text agreed to, important dates, notification choices,
    the login codes sent to their phone or e-mail (when, from which IP, tries, used — never the
    code) and their earlier data requests. Only this member's rows."""
    targets = [target for target in (member.phone, member.email.lower()) if target]
    return {
        "profile": {
            "phone": member.phone,
            "email": member.email,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "birth_date": member.birth_date,
            "card_number": member.card_number,
            "referral_code": member.referral_code,
            "status": member.status,
            "language": member.language,
            "enrolled_through": member.channel,
            "joined_at": member.created_at,
            "closure_requested_at": member.closure_requested_at,
            "closed_at": member.closed_at,
        },
        "consents": list(
            member.consents.order_by("given_at", "id").values(
                "kind",
                "given_at",
                "source",
                "text_version",
                "text",
                "withdrawn_at",
                "withdrawn_source",
            )
        ),
        "important_dates": list(
            member.important_dates.order_by("date", "id").values("label", "date", "yearly")
        ),
        "notification_preferences": list(
            member.notification_preferences.order_by("channel", "kind").values(
                "channel", "kind", "enabled"
            )
        ),
        "login_codes": list(
            LoginCode.objects.filter(target__in=targets)
            .order_by("created_at", "id")
            .values("target", "created_at", "expires_at", "used_at", "attempts", "ip")
        ),
        "data_requests": list(
            member.data_requests.order_by("created_at", "id").values("kind", "source", "created_at")
        ),
    }
