"""The condition language of campaigns: one AND/OR tree, stored as JSON, validated on save.

A node is a dict with exactly one key:
- `{"all": [node, …]}` — every node holds; `{"any": [node, …]}` — at least one; `{"not": node}`;
- a leaf (see LEAVES): `check_amount`, `line`, `categories_count`, `tier`, `segment`,
  `member_days`, `partner`, `store`, `channel`, `weekday`, `time`, `date`, `first_purchase`,
  `birthday`.
The empty tree `{}` always holds. docs/CAMPAIGNS.md has the reference with examples.

`validate(tree)` returns a list of messages (empty: valid). `holds(tree, facts)` evaluates it on
the `Facts` of one check — a pure function, no database.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_DEPTH = 8
MAX_NODES = 200
CHANNELS = ("till", "eshop", "api")


@dataclass(frozen=True)
class Line:
    sku: str
    category: str
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Facts:
    """What a condition may look at: the check (if any), the member, the place and the time.

    `local` is the moment in the program's time zone; `lines` empty for an event without a
    check."""

    local: dt.datetime
    lines: tuple[Line, ...] = ()
    total: Decimal = Decimal(0)
    tier_code: str = ""
    segments: frozenset[str] = field(default_factory=frozenset)
    member_days: int = 0
    birth_date: dt.date | None = None
    partner_id: int | None = None
    store_id: int | None = None
    channel: str = ""
    first_purchase: bool = False


# --- validation ----------------------------------------------------------------------------------
class _Bad(Exception):
    pass


def _decimal(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _Bad(_("%(what)s must be a number.") % {"what": what}) from exc
    if not number.is_finite() or number < 0:
        raise _Bad(_("%(what)s must be a number, zero or more.") % {"what": what})
    return number


def _int(value, what: str, low: int = 0, high: int = 10**6) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Bad(
            _("%(what)s must be a whole number from %(low)s to %(high)s.")
            % {"what": what, "low": low, "high": high}
        )
    return value


def _strings(value, what: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Bad(_("%(what)s must be a non-empty list.") % {"what": what})
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > 100:
            raise _Bad(_("%(what)s must list texts of up to 100 characters.") % {"what": what})
    return value


def _ids(value, what: str) -> list[int]:
    if not isinstance(value, list) or not value:
        raise _Bad(_("%(what)s must be a non-empty list.") % {"what": what})
    for item in value:
        _int(item, what, 1, 2**63 - 1)
    return value


def _range(value, what: str, number: Callable) -> None:
    """{"gte": x} / {"lt": y} / both."""
    if not isinstance(value, dict) or not value or not set(value) <= {"gte", "lt"}:
        raise _Bad(_('%(what)s needs "gte" and/or "lt".') % {"what": what})
    for bound in value.values():
        number(bound, what)


def _clock(value: str, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise _Bad(_("%(what)s must be a time as HH:MM.") % {"what": what}) from exc


def _day(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise _Bad(_("%(what)s must be a date as YYYY-MM-DD.") % {"what": what}) from exc


def _check_line(value) -> None:
    allowed = {"skus", "categories", "min_quantity", "min_amount"}
    if not isinstance(value, dict) or not value or not set(value) <= allowed:
        raise _Bad(_('"line" takes skus, categories, min_quantity and min_amount.'))
    for key in ("skus", "categories"):
        if key in value:
            _strings(value[key], key)
    for key in ("min_quantity", "min_amount"):
        if key in value:
            _decimal(value[key], key)


def _check_time(value) -> None:
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        raise _Bad(_('"time" needs "from" and "to" (HH:MM).'))
    if _clock(value["from"], "from") == _clock(value["to"], "to"):
        raise _Bad(_('"time" needs different "from" and "to".'))


def _check_date(value) -> None:
    if not isinstance(value, dict) or not value or not set(value) <= {"from", "to"}:
        raise _Bad(_('"date" needs "from" and/or "to" (YYYY-MM-DD).'))
    days = [_day(value[key], key) for key in ("from", "to") if key in value]
    if len(days) == 2 and days[0] > days[1]:
        raise _Bad(_('"date": "from" is after "to".'))


def _check_weekday(value) -> None:
    if not isinstance(value, list) or not value:
        raise _Bad(_('"weekday" lists days 1 (Monday) to 7 (Sunday).'))
    for day in value:
        _int(day, "weekday", 1, 7)


def _check_channel(value) -> None:
    if not isinstance(value, list) or not value or not set(value) <= set(CHANNELS):
        raise _Bad(_('"channel" lists some of: %(channels)s.') % {"channels": ", ".join(CHANNELS)})


def _check_birthday(value) -> None:
    if not isinstance(value, dict) or not set(value) <= {"days_before", "days_after"}:
        raise _Bad(_('"birthday" takes days_before and days_after.'))
    for key, days in value.items():
        _int(days, key, 0, 31)


def _check_flag(value) -> None:
    if value is not True:
        raise _Bad(_('"first_purchase" can only be true.'))


LEAVES: dict[str, Callable] = {
    "check_amount": lambda v: _range(v, "check_amount", _decimal),
    "line": _check_line,
    "categories_count": lambda v: _range(v, "categories_count", _int),
    "tier": lambda v: _strings(v, "tier"),
    "segment": lambda v: _strings(v, "segment"),
    "member_days": lambda v: _range(v, "member_days", _int),
    "partner": lambda v: _ids(v, "partner"),
    "store": lambda v: _ids(v, "store"),
    "channel": _check_channel,
    "weekday": _check_weekday,
    "time": _check_time,
    "date": _check_date,
    "first_purchase": _check_flag,
    "birthday": _check_birthday,
}


def validate(tree) -> list[str]:
    """The problems of a condition tree, each naming where it is ("all[1].any[0]: …")."""
    if tree in ({}, None):
        return []
    problems: list[str] = []
    count = [0]

    def walk(node, path: str, depth: int) -> None:
        count[0] += 1
        if count[0] > MAX_NODES:
            raise _Bad(_("Too many conditions (at most %(n)s).") % {"n": MAX_NODES})
        if depth > MAX_DEPTH:
            raise _Bad(_("Conditions are nested too deep (at most %(n)s).") % {"n": MAX_DEPTH})
        where = path or _("conditions")
        if not isinstance(node, dict) or len(node) != 1:
            problems.append(f"{where}: " + _("each condition is an object with one key."))
            return
        ((key, value),) = node.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                problems.append(
                    f"{where}: " + _('"%(key)s" needs a non-empty list.') % {"key": key}
                )
                return
            for i, child in enumerate(value):
                walk(child, f"{path}.{key}[{i}]" if path else f"{key}[{i}]", depth + 1)
            return
        if key == "not":
            walk(value, f"{path}.not" if path else "not", depth + 1)
            return
        check = LEAVES.get(key)
        if check is None:
            problems.append(f"{where}: " + _('unknown condition "%(key)s".') % {"key": key})
            return
        try:
            check(value)
        except _Bad as exc:
            problems.append(f"{where}: {exc}")

    try:
        walk(tree, "", 1)
    except _Bad as exc:
        problems.append(str(exc))
    return problems


# --- evaluation ----------------------------------------------------------------------------------
def _in_range(number, bounds: dict) -> bool:
    if "gte" in bounds and number < Decimal(str(bounds["gte"])):
        return False
    return not ("lt" in bounds and number >= Decimal(str(bounds["lt"])))


def line_matches(line: Line, skus, categories) -> bool:
    """A line is one of `skus` or of `categories` (either list may be absent)."""
    if skus is None and categories is None:
        return True
    return (skus is not None and line.sku in skus) or (
        categories is not None and line.category in categories
    )


def _lines_hold(value: dict, facts: Facts) -> bool:
    skus, categories = value.get("skus"), value.get("categories")
    chosen = [line for line in facts.lines if line_matches(line, skus, categories)]
    if not chosen:
        return False
    quantity = sum((line.quantity for line in chosen), Decimal(0))
    amount = sum((line.amount for line in chosen), Decimal(0))
    return quantity >= Decimal(str(value.get("min_quantity", 0))) and amount >= Decimal(
        str(value.get("min_amount", 0))
    )


def _time_holds(value: dict, facts: Facts) -> bool:
    start, end = dt.time.fromisoformat(value["from"]), dt.time.fromisoformat(value["to"])
    now = facts.local.time()
    return start <= now < end if start < end else (now >= start or now < end)


def _date_holds(value: dict, facts: Facts) -> bool:
    today = facts.local.date()
    if "from" in value and today < dt.date.fromisoformat(value["from"]):
        return False
    return not ("to" in value and today > dt.date.fromisoformat(value["to"]))


def days_from_birthday(birth_date: dt.date | None, today: dt.date) -> int | None:
    """Signed days from the nearest birthday (this year's, last year's or next year's) to today:
    -2 means the birthday is in two days. 29 February counts as 28 February in other years."""
    if birth_date is None:
        return None
    best = None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            day = birth_date.replace(year=year)
        except ValueError:
            day = dt.date(year, 2, 28)
        delta = (today - day).days
        if best is None or abs(delta) < abs(best):
            best = delta
    return best


def _birthday_holds(value: dict, facts: Facts) -> bool:
    delta = days_from_birthday(facts.birth_date, facts.local.date())
    if delta is None:
        return False
    return -value.get("days_before", 0) <= delta <= value.get("days_after", 0)


_EVAL: dict[str, Callable[[object, Facts], bool]] = {
    "check_amount": lambda v, f: bool(f.lines) and _in_range(f.total, v),
    "line": _lines_hold,
    "categories_count": lambda v, f: _in_range(len({x.category for x in f.lines if x.category}), v),
    "tier": lambda v, f: f.tier_code in v,
    "segment": lambda v, f: bool(f.segments.intersection(v)),
    "member_days": lambda v, f: _in_range(f.member_days, v),
    "partner": lambda v, f: f.partner_id in v,
    "store": lambda v, f: f.store_id in v,
    "channel": lambda v, f: f.channel in v,
    "weekday": lambda v, f: f.local.isoweekday() in v,
    "time": _time_holds,
    "date": _date_holds,
    "first_purchase": lambda v, f: f.first_purchase,
    "birthday": _birthday_holds,
}


def holds(tree, facts: Facts) -> bool:
    """Whether a (validated) condition tree holds for these facts."""
    if not tree:
        return True
    ((key, value),) = tree.items()
    if key == "all":
        return all(holds(child, facts) for child in value)
    if key == "any":
        return any(holds(child, facts) for child in value)
    if key == "not":
        return not holds(value, facts)
    return _EVAL[key](value, facts)


def leaves_of(tree) -> set[str]:
    """The kinds of leaf a tree uses (to know which facts a campaign needs)."""
    if not tree:
        return set()
    ((key, value),) = tree.items()
    if key in ("all", "any"):
        return set().union(*(leaves_of(child) for child in value))
    if key == "not":
        return leaves_of(value)
    return {key}
