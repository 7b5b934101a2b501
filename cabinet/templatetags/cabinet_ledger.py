"""How a ledger entry is described to the member: never by the staff's internal reason."""

from django import template

from loyalty.selectors import entry_note

register = template.Library()


@register.filter
def member_note(entry) -> str:
    """The neutral note for the entry's kind (e.g. an operator's adjustment), or ""."""
    return entry_note(entry.kind)
