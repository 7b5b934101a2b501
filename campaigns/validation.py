"""The rules a campaign must follow to be saved (admin, import): one place, used by
Campaign.clean()."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from campaigns import conditions

_LINE_KEYS = {"skus", "categories", "exclude_skus", "exclude_categories"}
PROFILE_FIELDS = ("first_name", "last_name", "email", "birth_date")

# The parameters each event kind takes, with (low, high) for the whole numbers.
EVENT_PARAMS = {
    "birthday": {"days_before": (0, 31), "days_after": (0, 31)},
    "anniversary": {"every_years": (1, 50)},
    "referral": {"referrer_points": (0, 10**6), "max_per_referrer": (1, 10**4)},
    "challenge": {"count": (1, 1000), "window_days": (1, 366), "weeks": (1, 52)},
    "profile": {},
    "welcome": {},
    "first_purchase": {},
    "promo": {},
    "steps": {},
}
CHALLENGE_GOALS = ("visits", "categories", "weekly")


def _number(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number >= 0 else None


def _steps_errors(steps) -> list[str]:
    if not isinstance(steps, list) or not steps:
        return [_('Give the steps as a list: [{"from": "3000", "points": 50}, …].')]
    previous = None
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or set(step) != {"from", "points"}:
            return [_('Step %(n)s needs "from" (₽) and "points".') % {"n": i + 1}]
        start = _number(step["from"])
        points = step["points"]
        if start is None or start <= 0:
            return [_("Step %(n)s: the amount must be above zero.") % {"n": i + 1}]
        if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
            return [_("Step %(n)s: points must be a whole number above zero.") % {"n": i + 1}]
        if previous is not None and start <= previous:
            return [_("Steps must go up by amount.")]
        previous = start
    return []


def _lines_errors(lines) -> list[str]:
    if lines in ({}, None):
        return []
    if not isinstance(lines, dict) or not set(lines) <= _LINE_KEYS:
        return [_("Lines take skus, categories, exclude_skus and exclude_categories.")]
    for key, value in lines.items():
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return [_('"%(key)s" must be a list of texts.') % {"key": key}]
    return []


def _params_errors(kind: str, params) -> list[str]:
    if not isinstance(params, dict):
        return [_("Parameters must be an object.")]
    allowed = dict(EVENT_PARAMS.get(kind, {}))
    if kind == "profile":
        fields = params.get("fields", list(PROFILE_FIELDS))
        if not isinstance(fields, list) or not fields or not set(fields) <= set(PROFILE_FIELDS):
            return [
                _('"fields" lists some of: %(fields)s.') % {"fields": ", ".join(PROFILE_FIELDS)}
            ]
        allowed["fields"] = None
    if kind == "challenge":
        if params.get("goal") not in CHALLENGE_GOALS:
            return [_('"goal" is one of: %(goals)s.') % {"goals": ", ".join(CHALLENGE_GOALS)}]
        allowed["goal"] = None
    unknown = set(params) - set(allowed)
    if unknown:
        return [_("Unknown parameters: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]
    for key, bounds in allowed.items():
        if bounds is None or key not in params:
            continue
        value, (low, high) = params[key], bounds
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return [
                _('"%(key)s" must be a whole number from %(low)s to %(high)s.')
                % {"key": key, "low": low, "high": high}
            ]
    return []


def validate_campaign(campaign) -> dict[str, list[str]]:
    """Field → messages for everything wrong with the campaign (empty: it may be saved)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, messages: list[str]) -> None:
        if messages:
            errors.setdefault(name, []).extend(messages)

    add("conditions", conditions.validate(campaign.conditions))
    add("lines", _lines_errors(campaign.lines))
    add("params", _params_errors(campaign.kind, campaign.params))
    if campaign.starts_at and campaign.ends_at and campaign.starts_at >= campaign.ends_at:
        add("ends_at", [_("The campaign must end after it starts.")])
    if campaign.kind == campaign.Kind.STEPS:
        add("steps", _steps_errors(campaign.steps))
    else:
        value = campaign.value if campaign.value is not None else Decimal(0)
        effect = campaign.effect
        if effect == campaign.Effect.MULTIPLIER and value <= 1:
            add("value", [_("A multiplier must be above 1 (×2 doubles the points).")])
        elif effect in (campaign.Effect.PERCENT, campaign.Effect.FIXED) and value <= 0:
            add("value", [_("The value must be above zero.")])
        if effect in (campaign.Effect.FIXED, campaign.Effect.PER_AMOUNT) and value != int(value):
            add("value", [_("Points are whole numbers.")])
        if effect == campaign.Effect.PER_AMOUNT and not campaign.per_amount:
            add("per_amount", [_("Give the amount the points are given per (e.g. 100 ₽).")])
        if campaign.kind not in campaign.PURCHASE_KINDS and effect != campaign.Effect.FIXED:
            add("effect", [_("An event bonus gives a fixed number of points.")])
    if campaign.early_access_days and not campaign.starts_at:
        add("early_access_days", [_("Early access needs a start date.")])
    return errors
