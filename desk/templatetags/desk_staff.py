from django import template

from loyalty.selectors import staff_store

register = template.Library()


@register.simple_tag
def store_of(user):
    """The store the signed-in cashier works at, or None (read once per request)."""
    return staff_store(user) if user.is_authenticated else None
