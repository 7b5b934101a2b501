"""What the lookup field understands: a card number (typed or scanned), a phone in any
notation, or the last digits of a phone or card; and how each query is masked in the log."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from customers.cards import is_valid_card_number
from customers.errors import InvalidInput, InvalidPhone, MemberNotFound
from customers.models import Member
from customers.phones import mask_phone, normalize_phone
from customers.selectors import member_by_card, member_by_phone, members_by_number_tail
from loyalty.services.presence import card_number_of_qr

CARD = "card"
QR = "qr"  # the cabinet's live QR: the card number and a changing code
PHONE = "phone"
TAIL = "tail"
MIN_TAIL_DIGITS = 4
MAX_TAIL_MATCHES = 5
PHONE_CHARS = re.compile(r"^[+\d\s().\-]+$")


@dataclass(frozen=True)
class Query:
    kind: str
    value: str

    @property
    def masked(self) -> str:
        if self.kind in (CARD, QR):
            card = self.card_number
            return f"{card[:2]}*******{card[-4:]}"
        if self.kind == PHONE:
            return mask_phone(self.value)
        return f"*{self.value[-2:]}"

    @property
    def card_number(self) -> str:
        return card_number_of_qr(self.value) if self.kind == QR else self.value


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"q": [message]})


def parse_query(raw: str) -> Query:
    """Read the lookup field; InvalidInput with a message for the field when it is neither."""
    text = (raw or "").strip()
    if not text:
        raise _bad(_("Enter a phone number or a card number, or scan the card."))
    digits = re.sub(r"\D", "", text)
    if len(text) > 40 or not PHONE_CHARS.match(text):
        raise _bad(_("Enter only digits: a phone number or a card number."))
    if len(digits) == 13 and not text.startswith("+"):
        # The card's barcode and QR code carry its 13 digits; a scanner types them + Enter.
        if not is_valid_card_number(digits):
            raise _bad(_("This card number is not valid: check the digits."))
        return Query(CARD, digits)
    card = card_number_of_qr(digits) if digits == text else None
    if card is not None and is_valid_card_number(card):
        return Query(QR, digits)
    try:
        return Query(PHONE, normalize_phone(text))
    except InvalidPhone:
        pass
    if text.isdigit() and MIN_TAIL_DIGITS <= len(digits) <= 10:
        return Query(TAIL, digits)
    raise _bad(_("This is neither a valid phone number nor a card number."))


def find_members(query: Query) -> list[Member]:
    """Members matching the query: one for a phone or card, a few for the last digits."""
    if query.kind in (CARD, QR, PHONE):
        finder = member_by_phone if query.kind == PHONE else member_by_card
        try:
            return [finder(query.value if query.kind == PHONE else query.card_number)]
        except MemberNotFound:
            return []
    # Last digits: capped, so it never lists much of the member base.
    return members_by_number_tail(query.value, limit=MAX_TAIL_MATCHES + 1)
