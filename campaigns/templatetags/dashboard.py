"""`{{ value|figure:"rub" }}`: a number as the program dashboard prints it (see
campaigns/dashboard/presentation.py: ₽ with kopecks, percents of ratios, whole counts)."""

from django import template

from campaigns.dashboard.presentation import format_value

register = template.Library()


@register.filter
def figure(value, unit: str = "count") -> str:
    return format_value(value, unit)
