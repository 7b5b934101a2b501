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


def membership_days(joined: dt.datetime | None, at: dt.datetime) -> int:
    """Whole days a member has been one at `at` (the `member_days` fact; 0 before joining)."""
    return max(0, (at - joined).days) if joined is not None else 0


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
# A tree is compiled once into a predicate (closures with its numbers, dates and sets parsed):
# a purchase checks every running campaign, so a leaf must cost next to nothing.
Predicate = Callable[[Facts], bool]


def _bounds(bounds: dict, cast) -> Predicate:
    low = cast(bounds["gte"]) if "gte" in bounds else None
    high = cast(bounds["lt"]) if "lt" in bounds else None

    def within(number) -> bool:
        return (low is None or number >= low) and (high is None or number < high)

    return within


def _as_decimal(value) -> Decimal:
    return Decimal(str(value))


def line_matches(line: Line, skus, categories) -> bool:
    """A line is one of `skus` or of `categories` (either may be absent: None)."""
    if skus is None and categories is None:
        return True
    return (skus is not None and line.sku in skus) or (
        categories is not None and line.category in categories
    )


def _compile_line(value: dict) -> Predicate:
    skus = frozenset(value["skus"]) if "skus" in value else None
    categories = frozenset(value["categories"]) if "categories" in value else None
    min_quantity = Decimal(str(value.get("min_quantity", 0)))
    min_amount = Decimal(str(value.get("min_amount", 0)))

    def check(facts: Facts) -> bool:
        quantity = amount = Decimal(0)
        found = False
        for line in facts.lines:
            if line_matches(line, skus, categories):
                found = True
                quantity += line.quantity
                amount += line.amount
        return found and quantity >= min_quantity and amount >= min_amount

    return check


def _compile_time(value: dict) -> Predicate:
    start, end = dt.time.fromisoformat(value["from"]), dt.time.fromisoformat(value["to"])
    if start < end:
        return lambda facts: start <= facts.local.time() < end
    return lambda facts: facts.local.time() >= start or facts.local.time() < end


def _compile_date(value: dict) -> Predicate:
    first = dt.date.fromisoformat(value["from"]) if "from" in value else dt.date.min
    last = dt.date.fromisoformat(value["to"]) if "to" in value else dt.date.max
    return lambda facts: first <= facts.local.date() <= last


def on_year(day: dt.date, year: int) -> dt.date:
    """The date's day in `year`: 29 February counts as 28 February in a common year."""
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def days_from_birthday(birth_date: dt.date | None, today: dt.date) -> int | None:
    """Signed days from the nearest birthday (this year's, last year's or next year's) to today:
    -2 means the birthday is in two days. 29 February counts as 28 February in other years."""
    if birth_date is None:
        return None
    best = None
    for year in (today.year - 1, today.year, today.year + 1):
        delta = (today - on_year(birth_date, year)).days
        if best is None or abs(delta) < abs(best):
            best = delta
    return best


def _compile_birthday(value: dict) -> Predicate:
    before, after = value.get("days_before", 0), value.get("days_after", 0)

    def check(facts: Facts) -> bool:
        delta = days_from_birthday(facts.birth_date, facts.local.date())
        return delta is not None and -before <= delta <= after

    return check


def _compile_amount(value: dict) -> Predicate:
    within = _bounds(value, _as_decimal)
    return lambda facts: bool(facts.lines) and within(facts.total)


def _compile_categories(value: dict) -> Predicate:
    within = _bounds(value, int)
    return lambda facts: within(len({line.category for line in facts.lines if line.category}))


def _compile_member_days(value: dict) -> Predicate:
    within = _bounds(value, int)
    return lambda facts: within(facts.member_days)


def _compile_in(attribute: str) -> Callable[[list], Predicate]:
    def compile_leaf(value: list) -> Predicate:
        allowed = frozenset(value)
        return lambda facts: getattr(facts, attribute) in allowed

    return compile_leaf


def _compile_segment(value: list) -> Predicate:
    wanted = frozenset(value)
    return lambda facts: not wanted.isdisjoint(facts.segments)


def _compile_weekday(value: list) -> Predicate:
    days = frozenset(value)
    return lambda facts: facts.local.isoweekday() in days


_COMPILERS: dict[str, Callable[[object], Predicate]] = {
    "check_amount": _compile_amount,
    "line": _compile_line,
    "categories_count": _compile_categories,
    "tier": _compile_in("tier_code"),
    "segment": _compile_segment,
    "member_days": _compile_member_days,
    "partner": _compile_in("partner_id"),
    "store": _compile_in("store_id"),
    "channel": _compile_in("channel"),
    "weekday": _compile_weekday,
    "time": _compile_time,
    "date": _compile_date,
    "first_purchase": lambda _value: lambda facts: facts.first_purchase,
    "birthday": _compile_birthday,
}


def _always(_facts: Facts) -> bool:
    return True


def compile_tree(tree) -> Predicate:
    """A (validated) condition tree as a function of the facts."""
    if not tree:
        return _always
    ((key, value),) = tree.items()
    if key in ("all", "any"):
        children = tuple(compile_tree(child) for child in value)
        if key == "all":
            return lambda facts: all(child(facts) for child in children)
        return lambda facts: any(child(facts) for child in children)
    if key == "not":
        child = compile_tree(value)
        return lambda facts: not child(facts)
    return _COMPILERS[key](value)


def holds(tree, facts: Facts) -> bool:
    """Whether a (validated) condition tree holds for these facts."""
    return compile_tree(tree)(facts)


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


def verdict(tree, leaf: Callable[[str, object], bool | None]) -> bool | None:
    """A tree judged with only some facts known: `leaf(key, value)` says True, False or None
    (unknown) for each leaf; `all`/`any`/`not` combine the three values (a False decides "all",
    a True decides "any"; otherwise an unknown child leaves the node unknown)."""
    if not tree:
        return True
    ((key, value),) = tree.items()
    if key in ("all", "any"):
        results = [verdict(child, leaf) for child in value]
        decisive = key == "any"
        if decisive in results:
            return decisive
        return None if None in results else not decisive
    if key == "not":
        result = verdict(value, leaf)
        return None if result is None else not result
    return leaf(key, value)


def may_hold_at(tree, *, partner_id: int, store_ids: frozenset[int]) -> bool:
    """Whether a tree may hold for some check of this partner (at one of `store_ids`): the
    partner and store conditions decide, every other condition might go either way."""

    def leaf(key: str, value) -> bool | None:
        if key == "partner":
            return partner_id in value
        if key == "store":  # the partner's other stores (or a check without one) may not
            return None if store_ids.intersection(value) else False
        return None

    return verdict(tree, leaf) is not False
