"""Campaigns as JSON: exported from one installation and imported into another (staging →
production), or kept in git. The format is documented in docs/CAMPAIGNS.md.

A file is {"format": "kopilka.campaigns", "version": 1, "exported_at": …, "campaigns": [...]};
each campaign carries every field a marketer edits, by name (early-access tiers by tier code),
never its id nor its counters (points given, uses), so a file means the same on any database.

Import is by `code`, all or nothing: every campaign is validated as the admin validates it
(Campaign.clean), and its tiers, stores and partners must exist here; a single error and
nothing is written. An existing campaign keeps its counters; a field missing from the file
takes its default (the file describes the whole campaign); a campaign's `state` is taken as it
is in the file, so an active campaign imported is live at once.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import conditions
from campaigns.cache import invalidate
from campaigns.models import Campaign
from loyalty.models import Partner, Store, Tier
from loyalty.services.program import get_program, program_zone

FORMAT = "kopilka.campaigns"
VERSION = 1
FILE_ERRORS = "(file)"  # the key of errors about the file itself (never a campaign code)
TIERS = "early_access_tiers"


@dataclass
class ImportResult:
    """What an import did, as lists of campaign codes (a dry run: what it would do, and nothing
    is written). `errors`: code (or "campaigns[i]", "(file)") → messages; with any error
    nothing is written and the lists stay empty."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def transferred_fields() -> list[models.Field]:
    """The fields a file carries, in the model's order: every field a marketer edits."""
    fields = Campaign._meta.local_fields + Campaign._meta.local_many_to_many
    return sorted(
        (f for f in fields if f.editable and not f.primary_key), key=lambda f: f.creation_counter
    )


def _canonical(value):
    """JSON with keys sorted at every level, so the same campaign always exports the same."""
    if isinstance(value, dict):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _exported(campaign: Campaign, f: models.Field, zone):
    if f.name == TIERS:
        return sorted(tier.code for tier in campaign.early_access_tiers.all())
    value = getattr(campaign, f.attname)
    if value is None:
        return None
    if isinstance(f, models.DateTimeField):
        return value.astimezone(zone).isoformat()
    if isinstance(f, models.DecimalField):
        return str(value)
    if isinstance(f, models.JSONField):
        return _canonical(value)
    return value


def export_campaigns(queryset, *, now: dt.datetime | None = None) -> dict:
    """The campaigns of `queryset` as a file (by code; dates with the program's offset)."""
    zone = program_zone(get_program())
    now = now or timezone.now()
    fields = transferred_fields()
    campaigns = queryset.order_by("code").prefetch_related(TIERS)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.astimezone(zone).replace(microsecond=0).isoformat(),
        "campaigns": [{f.name: _exported(c, f, zone) for f in fields} for c in campaigns],
    }


# --- import --------------------------------------------------------------------------------------
class _Bad(Exception):
    pass


def _parsed(f: models.Field, raw):
    """The model value of a JSON value, or _Bad with what is wrong (ranges, choices and the
    campaign's rules are checked by full_clean afterwards)."""
    if raw is None:
        if f.null:
            return None
        raise _Bad(_("may not be empty."))
    if isinstance(f, models.DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise _Bad(
                _("a date and time in ISO 8601 with an offset, e.g. 2026-12-05T00:00:00+03:00.")
            )
        return moment
    if isinstance(f, models.JSONField):
        return raw
    if isinstance(f, models.BooleanField):
        if not isinstance(raw, bool):
            raise _Bad(_("true or false."))
        return raw
    if isinstance(f, models.DecimalField):
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise InvalidOperation
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite():
            raise _Bad(_('a number, e.g. "2.5".'))
        return number
    if isinstance(f, models.IntegerField):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _Bad(_("a whole number."))
        return raw
    if isinstance(f, models.CharField | models.TextField):
        if not isinstance(raw, str):
            raise _Bad(_("a text."))
        return raw
    return f.to_python(raw)


def _references(tree, found: dict[str, set]) -> None:
    """Collect the tier codes and store and partner ids a (valid) condition tree names."""
    if not isinstance(tree, dict) or len(tree) != 1:
        return
    ((key, value),) = tree.items()
    if key in ("all", "any"):
        for child in value:
            _references(child, found)
    elif key == "not":
        _references(value, found)
    elif key in found:
        found[key].update(value)


def _reference_errors(campaign: Campaign, tier_codes: list[str]) -> list[str]:
    """Tiers, stores and partners named by the campaign that this installation lacks."""
    errors = []
    tiers = set(Tier.objects.filter(code__in=tier_codes).values_list("code", flat=True))
    errors += [
        _("early_access_tiers: no tier with code “%(code)s”.") % {"code": code}
        for code in tier_codes
        if code not in tiers
    ]
    if conditions.validate(campaign.conditions):
        return errors  # full_clean reports the tree's problems
    found: dict[str, set] = {"tier": set(), "store": set(), "partner": set()}
    _references(campaign.conditions, found)
    known = {
        "tier": set(Tier.objects.filter(code__in=found["tier"]).values_list("code", flat=True)),
        "store": set(Store.objects.filter(pk__in=found["store"]).values_list("pk", flat=True)),
        "partner": set(
            Partner.objects.filter(pk__in=found["partner"]).values_list("pk", flat=True)
        ),
    }
    messages = {
        "tier": _("conditions: no tier with code “%(value)s”."),
        "store": _("conditions: no store with id %(value)s."),
        "partner": _("conditions: no partner with id %(value)s."),
    }
    for key in ("tier", "store", "partner"):
        errors += [messages[key] % {"value": v} for v in sorted(found[key] - known[key])]
    return errors


def _validation_messages(error: ValidationError) -> list[str]:
    return [
        message
        if name == NON_FIELD_ERRORS or message.startswith(f"{name}:")
        else f"{name}: {message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]


def _envelope(data) -> tuple[list | None, list[str]]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None, [
            _('Not a campaigns file: "format" must be "%(format)s".') % {"format": FORMAT}
        ]
    version = data.get("version")
    if isinstance(version, bool) or version != VERSION:
        return None, [
            _("This file is of version %(found)s; this installation reads version %(version)s.")
            % {"found": version, "version": VERSION}
        ]
    entries = data.get("campaigns")
    if not isinstance(entries, list):
        return None, [_('"campaigns" must be a list.')]
    return entries, []


@dataclass
class _Planned:
    campaign: Campaign
    tier_ids: list[int] | None  # None: unchanged
    new: bool
    changed: list[str]


def _plan(
    entry, index: int, existing: dict[str, Campaign], seen: set[str], result: ImportResult
) -> _Planned | None:
    """Validate one campaign of the file; record its errors under its code."""
    fields = {f.name: f for f in transferred_fields()}
    code = entry.get("code") if isinstance(entry, dict) else None
    key = code if isinstance(code, str) and code and code not in seen else f"campaigns[{index}]"
    errors = result.errors.setdefault(key, [])
    if not isinstance(entry, dict):
        errors.append(_("Each campaign must be an object."))
        return None
    if not isinstance(code, str) or not code:
        errors.append(_('A campaign without a "code".'))
        return None
    if code in seen:
        errors.append(_("The code “%(code)s” is in the file twice.") % {"code": code})
        return None
    seen.add(code)
    unknown = sorted(set(entry) - set(fields))
    if unknown:
        errors.append(_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)})

    campaign = existing.get(code)
    new = campaign is None
    campaign = campaign or Campaign()
    before = {name: getattr(campaign, f.attname) for name, f in fields.items() if name != TIERS}
    tier_codes: list[str] = []
    for name, f in fields.items():
        raw = entry[name] if name in entry else _missing(f)
        if name == TIERS:
            if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
                errors.append(_("early_access_tiers: a list of tier codes."))
            else:
                tier_codes = raw
            continue
        try:
            setattr(campaign, f.attname, _parsed(f, raw))
        except _Bad as exc:
            errors.append(f"{name}: {exc}")
    if errors:
        return None
    try:
        campaign.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors += _validation_messages(exc)
    errors += _reference_errors(campaign, tier_codes)
    if not new:
        if campaign.budget_points is not None and campaign.budget_points < campaign.spent_points:
            errors.append(
                _("budget_points: %(points)s points are already given, more than the budget.")
                % {"points": campaign.spent_points}
            )
        if campaign.max_uses is not None and campaign.max_uses < campaign.uses:
            errors.append(
                _("max_uses: it was used %(uses)s times already.") % {"uses": campaign.uses}
            )
    if errors:
        return None
    tier_ids = list(Tier.objects.filter(code__in=tier_codes).values_list("pk", flat=True))
    old_tier_ids = set() if new else {t.pk for t in campaign.early_access_tiers.all()}
    changed = [
        name
        for name, f in fields.items()
        if name != TIERS and getattr(campaign, f.attname) != before[name]
    ]
    same_tiers = set(tier_ids) == old_tier_ids
    return _Planned(campaign, None if same_tiers else tier_ids, new, changed)


def _missing(f: models.Field):
    """A field the file leaves out takes the model's default (as JSON would give it)."""
    if f.name == TIERS:
        return []
    default = f.get_default()
    if isinstance(f, models.DateTimeField) and default is not None:
        return default.isoformat()
    if isinstance(f, models.DecimalField) and default is not None:
        return str(default)
    return default


def import_campaigns(data: dict, *, dry_run: bool = False) -> ImportResult:
    """Create or update the file's campaigns by code, all or nothing (see the module's rules);
    a dry run checks and reports the same, then writes nothing."""
    result = ImportResult(dry_run=dry_run)
    entries, problems = _envelope(data)
    if problems:
        result.errors[FILE_ERRORS] = problems
        return result
    codes = [e["code"] for e in entries if isinstance(e, dict) and isinstance(e.get("code"), str)]
    with transaction.atomic():
        # Locked until the end: a purchase counting a budget waits, and the counters we check
        # are the ones we keep (the counters are never written here).
        existing = {
            c.code: c
            for c in Campaign.objects.select_for_update(no_key=True)
            .filter(code__in=codes)
            .prefetch_related(TIERS)
        }
        seen: set[str] = set()
        planned = [_plan(entry, i, existing, seen, result) for i, entry in enumerate(entries)]
        result.errors = {key: messages for key, messages in result.errors.items() if messages}
        if not result.errors:
            for plan in planned:
                _write(plan, result)
        if result.errors or dry_run:
            transaction.set_rollback(True)
        elif result.created or result.updated:
            # The cache was told at each save, before this commit: a process that reloaded in
            # between would keep the old campaigns; tell it again once they are visible.
            transaction.on_commit(invalidate)
    return result


def _write(plan: _Planned, result: ImportResult) -> None:
    campaign = plan.campaign
    try:
        with transaction.atomic():
            if plan.new:
                campaign.save()
            elif plan.changed:
                campaign.save(update_fields=[*plan.changed, "updated_at"])
            if plan.tier_ids is not None:
                campaign.early_access_tiers.set(plan.tier_ids)
    except IntegrityError:
        result.errors[campaign.code] = [
            _("Changed by someone else during the import; run it again.")
        ]
        return
    if plan.new:
        result.created.append(campaign.code)
    elif plan.changed or plan.tier_ids is not None:
        result.updated.append(campaign.code)
    else:
        result.unchanged.append(campaign.code)
