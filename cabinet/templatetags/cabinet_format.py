"""How numbers and phones read on the member's pages."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from customers.phones import display_phone

register = template.Library()


@register.filter
def percent(value) -> str:
    """A rate without trailing zeros, in the page's language: 2.50 → "2,5 %" (ru), "2.5 %" (en),
    with a no-break space before the sign."""
    if value in (None, ""):
        return ""
    number = Decimal(value).normalize()
    places = max(0, -number.as_tuple().exponent)
    return f"{number_format(number, places)}\u00a0%"


@register.filter
def phone(value: str) -> str:
    return display_phone(value) if value else ""


@register.filter
def paragraphs(text: str) -> list[str]:
    """Free text split into paragraphs at blank lines; the single line breaks an editor left
    inside a paragraph are joined with spaces, so a phone screen is not broken mid-sentence."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [" ".join(line.strip() for line in block.splitlines()) for block in blocks if block]
