"""Filters for message templates (loaded into every trigger template by campaigns/templating.py).

`{{ points|plural_ru:"балл,балла,баллов" }}` → "балл" for 1, 21…; "балла" for 2–4, 22…;
"баллов" for 0, 5–20, 25…: the Russian plural a number needs.
"""

from django import template

register = template.Library()


@register.filter
def plural_ru(number, forms: str) -> str:
    """The Russian word form for `number` from "one,few,many"."""
    one, few, many = (form.strip() for form in forms.split(","))
    try:
        n = abs(int(number))
    except (TypeError, ValueError):
        return many
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
