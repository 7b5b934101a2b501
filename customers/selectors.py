"""Reads about members."""

from django.db.models import Q
from django.db.models.functions import Reverse

from customers.errors import InvalidPhone, MemberNotFound
from customers.models import Member
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
