"""The parameters of each trigger kind: what `Trigger.params` may hold, its defaults, and the
checks the admin form and the finders (campaigns/triggers/) share — one place.

Every kind's numbers (defaults in DEFAULTS):
- expiry: `days` (3) — remind of points that burn within this many days; `min_points` (1) —
  not for fewer points than this.
- earned: `min_points` (1); `max_delay_days` (3).
- reward: `threshold` (500) — the balance a purchase lifts the member to; `reward` ("") — what
  it is enough for, as the message names it; `max_delay_days` (3).
- tier_up, tier_down: `max_delay_days` (3).
- tier_at_risk: `days_before` (14) — warn this many days before the review that would lower
  the tier; `max_delay_days` (7).
- welcome: `steps` ([{"day": 0}, {"day": 3}, {"day": 7}]) — step k goes on day N after joining;
  the template tells the steps apart by the `step` variable (1, 2, …):
  {% if step == 1 %}…{% elif step == 2 %}…{% endif %}; `max_delay_days` (3).
- first_purchase: `max_delay_days` (3).
- inactivity: `days` (60) — no purchase for this many days; `include_never_bought` (false) —
  also members who joined `days` ago and never bought; `max_delay_days` (7).
- birthday, important_date: `days` (3) — this many days before the date; `max_delay_days` (3).
- avg_check_drop: `drop_percent` (30) — the last 90 days' average check is this much below the
  90 days before; `min_purchases` (3) — purchases in the RFM window at least.
- broadcast: `max_delay_days` (3) — a broadcast whose `send_at` is older is not sent.

`max_delay_days` is how late a run may still find an occasion that came due while the jobs
were not running (catching up after downtime): anything older is left.
"""

import copy

from django.utils.translation import gettext as _

from core.errors import InvalidInput

_MAX_DELAY = {"max_delay_days": 3}

DEFAULTS: dict[str, dict] = {
    "expiry": {"days": 3, "min_points": 1},
    "earned": {"min_points": 1, **_MAX_DELAY},
    "reward": {"threshold": 500, "reward": "", **_MAX_DELAY},
    "tier_up": {**_MAX_DELAY},
    "tier_down": {**_MAX_DELAY},
    "tier_at_risk": {"days_before": 14, "max_delay_days": 7},
    "welcome": {"steps": [{"day": 0}, {"day": 3}, {"day": 7}], **_MAX_DELAY},
    "first_purchase": {**_MAX_DELAY},
    "inactivity": {"days": 60, "include_never_bought": False, "max_delay_days": 7},
    "birthday": {"days": 3, **_MAX_DELAY},
    "important_date": {"days": 3, **_MAX_DELAY},
    "avg_check_drop": {"drop_percent": 30, "min_purchases": 3},
    "broadcast": {**_MAX_DELAY},
}

# Whole numbers: (low, high).
_NUMBERS = {
    "days": (1, 3650),
    "min_points": (1, 10**7),
    "max_delay_days": (0, 365),
    "threshold": (1, 10**7),
    "days_before": (1, 365),
    "drop_percent": (1, 99),
    "min_purchases": (1, 10**4),
}
# Birthdays and dates may be greeted on the day itself; an expiry reminder looks at most a
# quarter ahead (its lots are read on every run).
_KIND_NUMBERS = {
    "birthday": {"days": (0, 60)},
    "important_date": {"days": (0, 60)},
    "expiry": {"days": (1, 90)},
}
_FLAGS = {"include_never_bought"}
_TEXTS = {"reward": 100}  # name → max length
_MAX_STEPS = 10


class TriggerParamsInvalid(InvalidInput):
    code = "trigger_params_invalid"


def _steps_errors(steps) -> list[str]:
    if not isinstance(steps, list) or not 1 <= len(steps) <= _MAX_STEPS:
        return [
            _('"steps" is a list of 1 to %(n)s steps: [{"day": 0}, {"day": 3}, …].')
            % {"n": _MAX_STEPS}
        ]
    previous = None
    for i, step in enumerate(steps):
        day = step.get("day") if isinstance(step, dict) else None
        if (
            not isinstance(step, dict)
            or set(step) != {"day"}
            or isinstance(day, bool)
            or not isinstance(day, int)
            or not 0 <= day <= 365
        ):
            return [_('Step %(n)s needs "day": a whole number from 0 to 365.') % {"n": i + 1}]
        if previous is not None and day <= previous:
            return [_("The steps' days must go up.")]
        previous = day
    return []


def validate(kind: str, params) -> list[str]:
    """Everything wrong with `params` for a trigger of `kind` (empty: they may be saved).
    Parameters left out take their defaults."""
    if kind not in DEFAULTS:
        return [_("Unknown trigger kind: %(kind)s.") % {"kind": kind}]
    if not isinstance(params, dict):
        return [_("Parameters must be an object.")]
    unknown = set(params) - set(DEFAULTS[kind])
    if unknown:
        return [_("Unknown parameters: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]
    errors = []
    numbers = {**_NUMBERS, **_KIND_NUMBERS.get(kind, {})}
    for key, value in params.items():
        if key == "steps":
            errors += _steps_errors(value)
        elif key in _FLAGS:
            if not isinstance(value, bool):
                errors.append(_('"%(key)s" must be true or false.') % {"key": key})
        elif key in _TEXTS:
            if not isinstance(value, str) or len(value) > _TEXTS[key]:
                errors.append(
                    _('"%(key)s" must be a text of at most %(n)s characters.')
                    % {"key": key, "n": _TEXTS[key]}
                )
        else:
            low, high = numbers[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors.append(
                    _('"%(key)s" must be a whole number from %(low)s to %(high)s.')
                    % {"key": key, "low": low, "high": high}
                )
    return errors


def clean(kind: str, params) -> dict:
    """`params` as they may be saved, or TriggerParamsInvalid naming every problem (the admin
    form's `params` field shows them)."""
    errors = validate(kind, params)
    if errors:
        raise TriggerParamsInvalid(" ".join(errors), fields={"params": errors})
    return dict(params)


def with_defaults(trigger) -> dict:
    """The trigger's parameters with the kind's defaults for those left out; raises
    TriggerParamsInvalid for parameters saved past the admin's checks (a finder never guesses)."""
    return copy.deepcopy({**DEFAULTS[trigger.kind], **clean(trigger.kind, trigger.params or {})})
