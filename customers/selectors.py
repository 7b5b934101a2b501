"""Reads about members."""

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
