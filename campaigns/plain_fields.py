"""The plain fields of the campaign form and the campaign's JSON parts, both ways: the common
conditions compiled into one {"all": [...]} tree and read back from a tree of that shape; steps
typed as "3000: 50" lines; the effect's line filter and the event parameters."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from campaigns import conditions
from campaigns.models import Campaign
from campaigns.validation import EVENT_PARAMS
from loyalty.models import Partner, Store, Tier

# The plain condition fields, in the order their leaves are compiled.
CONDITION_FIELDS = (
    "min_check_amount",
    "required_skus",
    "required_categories",
    "tiers",
    "min_member_days",
    "partners",
    "stores",
    "channels",
    "weekdays",
    "time_from",
    "time_to",
    "date_from",
    "date_to",
    "first_purchase_only",
)
LINE_FIELDS = {
    "skus": "lines_skus",
    "categories": "lines_categories",
    "exclude_skus": "lines_exclude_skus",
    "exclude_categories": "lines_exclude_categories",
}
PARAM_FIELDS = {
    "days_before": "param_days_before",
    "days_after": "param_days_after",
    "every_years": "param_every_years",
    "referrer_points": "param_referrer_points",
    "max_per_referrer": "param_max_per_referrer",
    "goal": "param_goal",
    "count": "param_count",
    "window_days": "param_window_days",
    "weeks": "param_weeks",
    "fields": "param_fields",
}


def _amount_text(value) -> str:
    """A Decimal as the JSON keeps amounts: "2000", "99.5"."""
    text = format(Decimal(value).normalize(), "f")
    return text


def split_words(text: str) -> list[str]:
    """SKUs or categories typed one per line or separated by commas, without repeats."""
    words = []
    for raw in (text or "").replace("\n", ",").split(","):
        word = raw.strip()
        if word and word not in words:
            words.append(word)
    return words


# --- conditions: plain fields → tree ---------------------------------------------------------
def compile_conditions(data: dict, advanced=None) -> dict:
    """The condition tree of the plain fields' values (and the advanced tree, ANDed with them):
    {"all": [leaf, …]}, or {} when nothing is set."""
    leaves = []
    if data.get("min_check_amount") is not None:
        leaves.append({"check_amount": {"gte": _amount_text(data["min_check_amount"])}})
    line = {}
    if split_words(data.get("required_skus", "")):
        line["skus"] = split_words(data["required_skus"])
    if split_words(data.get("required_categories", "")):
        line["categories"] = split_words(data["required_categories"])
    if line:
        leaves.append({"line": line})
    if data.get("tiers"):
        leaves.append({"tier": [tier.code for tier in data["tiers"]]})
    if data.get("min_member_days") is not None:
        leaves.append({"member_days": {"gte": data["min_member_days"]}})
    if data.get("partners"):
        leaves.append({"partner": [partner.pk for partner in data["partners"]]})
    if data.get("stores"):
        leaves.append({"store": [store.pk for store in data["stores"]]})
    if data.get("channels"):
        leaves.append({"channel": list(data["channels"])})
    if data.get("weekdays"):
        leaves.append({"weekday": sorted(int(day) for day in data["weekdays"])})
    if data.get("time_from") is not None and data.get("time_to") is not None:
        leaves.append(
            {
                "time": {
                    "from": data["time_from"].strftime("%H:%M"),
                    "to": data["time_to"].strftime("%H:%M"),
                }
            }
        )
    date = {}
    if data.get("date_from") is not None:
        date["from"] = data["date_from"].isoformat()
    if data.get("date_to") is not None:
        date["to"] = data["date_to"].isoformat()
    if date:
        leaves.append({"date": date})
    if data.get("first_purchase_only"):
        leaves.append({"first_purchase": True})
    if advanced:
        if not leaves:
            return advanced
        leaves.append(advanced)
    return {"all": leaves} if leaves else {}


# --- conditions: tree → plain fields ---------------------------------------------------------
def _read_amount(value):
    if not isinstance(value, dict) or set(value) != {"gte"}:
        return None
    try:
        return {"min_check_amount": Decimal(str(value["gte"]))}
    except InvalidOperation:
        return None


def _read_line(value):
    if not isinstance(value, dict) or not value or not set(value) <= {"skus", "categories"}:
        return None
    return {
        "required_skus": ", ".join(value.get("skus", [])),
        "required_categories": ", ".join(value.get("categories", [])),
    }


def _read_rows(model, key: str, field: str):
    def read(value):
        if not isinstance(value, list) or not value:
            return None
        rows = list(model.objects.filter(**{f"{key}__in": value}))
        if len(rows) != len(set(value)):
            return None  # a tier, partner or store that no longer exists: keep it as JSON
        return {field: rows}

    return read


def _read_member_days(value):
    if not isinstance(value, dict) or set(value) != {"gte"}:
        return None
    return {"min_member_days": value["gte"]}


def _read_time(value):
    try:
        return {
            "time_from": dt.time.fromisoformat(value["from"]),
            "time_to": dt.time.fromisoformat(value["to"]),
        }
    except (KeyError, TypeError, ValueError):
        return None


def _read_date(value):
    try:
        return {
            "date_from": dt.date.fromisoformat(value["from"]) if "from" in value else None,
            "date_to": dt.date.fromisoformat(value["to"]) if "to" in value else None,
        }
    except (TypeError, ValueError):
        return None


_READERS = {
    "check_amount": _read_amount,
    "line": _read_line,
    "tier": _read_rows(Tier, "code", "tiers"),
    "member_days": _read_member_days,
    "partner": _read_rows(Partner, "pk", "partners"),
    "store": _read_rows(Store, "pk", "stores"),
    "channel": lambda v: {"channels": list(v)},
    "weekday": lambda v: {"weekdays": [str(day) for day in v]},
    "time": _read_time,
    "date": _read_date,
    "first_purchase": lambda v: {"first_purchase_only": True} if v is True else None,
}


def plain_conditions(tree) -> dict | None:
    """The plain fields' values for a (valid) tree of the simple shape — {} or {"all": [...]}
    of leaves the plain fields know, each kind at most once — or None for anything else."""
    if not tree:
        return {}
    if conditions.validate(tree):
        return None
    leaves = tree["all"] if set(tree) == {"all"} else [tree]
    values: dict = {}
    for leaf in leaves:
        ((key, value),) = leaf.items()
        reader = _READERS.get(key)
        found = reader(value) if reader is not None else None
        if found is None or set(found) & set(values):
            return None
        values.update(found)
    return values


# --- steps, lines, params ----------------------------------------------------------------
def parse_steps(text: str) -> list[dict]:
    """ "3000: 50" per line (from amount, ₽: points) → [{"from": "3000", "points": 50}, …]."""
    steps = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        start, colon, points = line.partition(":")
        try:
            if not colon:
                raise ValueError
            amount = Decimal(start.strip().replace(" ", "").replace(",", "."))
            if not amount.is_finite():
                raise ValueError
            steps.append({"from": _amount_text(amount), "points": int(points.strip())})
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(
                gettext('Line %(n)s: write "amount: points", e.g. "3000: 50".') % {"n": number}
            ) from exc
    return steps


def steps_text(steps) -> str:
    if not isinstance(steps, list):
        return ""
    return "\n".join(f"{step.get('from')}: {step.get('points')}" for step in steps)


def compile_lines(data: dict) -> dict:
    return {
        key: split_words(data.get(name, ""))
        for key, name in LINE_FIELDS.items()
        if split_words(data.get(name, ""))
    }


def param_keys(kind: str) -> list[str]:
    keys = list(EVENT_PARAMS.get(kind, {}))
    if kind == Campaign.Kind.CHALLENGE:
        keys.insert(0, "goal")
    if kind == Campaign.Kind.PROFILE:
        keys.append("fields")
    return keys


def compile_params(kind: str, data: dict) -> dict:
    """The parameters of this kind that are filled in; the others are not kept."""
    params = {}
    for key in param_keys(kind):
        value = data.get(PARAM_FIELDS[key])
        if value not in (None, "", []):
            params[key] = list(value) if key == "fields" else value
    return params
