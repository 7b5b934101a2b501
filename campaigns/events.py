"""Event bonuses: what a member gets for joining, completing their profile, a birthday, a year of
membership or bringing a friend. Each goes through grants.grant: once per occasion, within the
campaign's budget and the member's limits, a record of nothing for the holdout group.

- Joining (`member_joined`): every open WELCOME campaign, occasion "welcome"; with a referrer,
  every open REFERRAL campaign gives the referee its `value`, occasion "referee".
- The referee's first purchase (`first_purchase_recorded`): every open REFERRAL campaign gives
  the referrer `params.referrer_points`, occasion "referee:<referee id>", at most
  `params.max_per_referrer` referees per referrer.
- Profile saved (`profile_saved`): every open PROFILE campaign, once (occasion "profile"), when
  all its `params.fields` (default: validation.PROFILE_FIELDS) are filled.
- Birthday (`birthday_bonuses`, a beat job): from `params.days_before` days before the birthday
  to `params.days_after` days after it (program time zone; 29 February is 28 February in other
  years), once per birthday (occasion "birthday:<year of that birthday>"). A job missed for a
  few days catches up while the member is still inside that window.
- Years of membership (`anniversary_bonuses`, a beat job): on each `params.every_years`-th
  anniversary of joining (program time zone), occasion "anniversary:<n>"; only the current n, and
  only within ANNIVERSARY_CATCH_UP_DAYS after the anniversary — a job down for a while (or a
  campaign started today) gives no bonus for years long past.

Referral anti-fraud (`referral_refusal`), each refusal gives nothing to either side:
- "self_referral": the referee is the referrer — the same phone (E.164), the same mailbox
  (`canonical_email`: case, "+tags", Gmail dots, Yandex domains), the same card, or a phone or
  e-mail the referrer had before (their fingerprints, below);
- "already_member": the referee's phone or mailbox belonged to an earlier member — someone who
  closed their account, had their data erased and joins again; such a person gets no welcome
  bonus again either;
- "referrer_inactive": the referrer's account is blocked or closed;
- "referrer_cap": the referrer was already rewarded for `max_per_referrer` referees (counted
  under the referrer's account lock).
The platform stores no payment data, so "one household paying with one card" cannot be told.

A person is recognised by `MemberFingerprint`s: keyed digests (HMAC with SECRET_KEY) of each
phone and canonical e-mail a member had, kept past erasure — never the phone or e-mail itself.

Joining, a purchase or a profile change never fails because of a bonus: the pages call the
`on_*` functions, which run the event after the transaction commits and log any failure.
"""

import calendar
import datetime as dt
import logging
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial, reduce

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils.crypto import salted_hmac

from campaigns.cache import live_campaigns
from campaigns.conditions import days_from_birthday, on_year
from campaigns.grants import grant
from campaigns.models import Award, Campaign, MemberFingerprint
from campaigns.validation import PROFILE_FIELDS
from customers.models import Member
from loyalty.services.program import get_program, program_zone

logger = logging.getLogger(__name__)

Kind = Campaign.Kind
BATCH = 500  # members read and granted per query in the beat jobs
ANNIVERSARY_CATCH_UP_DAYS = 7
_MAYBE_OPEN = (Campaign.Status.RUNNING, Campaign.Status.SCHEDULED)  # scheduled: early access


class Refusal:
    """Why a referral gives nothing (stable codes, in logs and `give_event_bonuses`)."""

    SELF_REFERRAL = "self_referral"
    ALREADY_MEMBER = "already_member"
    REFERRER_INACTIVE = "referrer_inactive"
    REFERRER_CAP = "referrer_cap"


@dataclass(frozen=True)
class Given:
    """What one campaign did for one member on one occasion: `reason` is grants' (`given`,
    `held_out`, `already`, `closed`, …), a Refusal, `due` (a dry run) or `error`."""

    campaign: Campaign
    member_id: int
    occasion: str
    reason: str
    points: int = 0


def open_campaigns(kind: str, now: dt.datetime) -> list[Campaign]:
    """The campaigns of `kind` that may be open at `now` (grant decides for the member's tier:
    a scheduled one may be open early to some tiers)."""
    return [c for c in live_campaigns() if c.kind == kind and c.status_at(now) in _MAYBE_OPEN]


def _give(campaign: Campaign, member_id: int, occasion: str, now: dt.datetime, **kwargs) -> Given:
    """grant(), with a failure logged and reported instead of raised (one member's problem must
    not stop the others')."""
    try:
        granted = grant(campaign, member_id=member_id, occasion=occasion, now=now, **kwargs)
    except Exception:
        logger.exception(
            "event bonus failed: campaign %s, member %s, %s", campaign.pk, member_id, occasion
        )
        return Given(campaign, member_id, occasion, "error")
    points = granted.points if granted.reason == "given" else 0  # not what an earlier run gave
    return Given(campaign, member_id, occasion, granted.reason, points)


# --- recognising a person ------------------------------------------------------------------------
_GMAIL = {"gmail.com", "googlemail.com"}
_YANDEX = {"yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"}


def canonical_email(email: str | None) -> str:
    """The mailbox an address delivers to: case and a "+tag" do not matter, nor dots in a Gmail
    name (googlemail.com is gmail.com), nor which Yandex domain, nor "." vs "-" in a Yandex
    name. Empty for no address."""
    email = (email or "").strip().lower()
    name, at, domain = email.rpartition("@")
    if not at or not name:
        return email
    name = name.split("+", 1)[0]
    if domain in _GMAIL:
        name, domain = name.replace(".", ""), "gmail.com"
    elif domain in _YANDEX:
        name, domain = name.replace(".", "-"), "yandex.ru"
    return f"{name}@{domain}"


def _digest(value: str) -> str:
    return salted_hmac("campaigns.MemberFingerprint", value, algorithm="sha256").hexdigest()


def fingerprints(member: Member) -> set[str]:
    """Digests of the member's phone and canonical e-mail (none once erased)."""
    if member.erased_at is not None:
        return set()
    values = [f"phone:{member.phone}"] if member.phone else []
    if member.email:
        values.append(f"email:{canonical_email(member.email)}")
    return {_digest(value) for value in values}


def remember(member: Member, now: dt.datetime) -> None:
    """Keep the digests of the member's current phone and e-mail (the old ones stay)."""
    MemberFingerprint.objects.bulk_create(
        [MemberFingerprint(member=member, digest=d, created_at=now) for d in fingerprints(member)],
        ignore_conflicts=True,
    )


def was_member_before(member: Member) -> bool:
    """Whether the member's phone or mailbox belonged to a member who joined earlier."""
    digests = fingerprints(member)
    return bool(digests) and (
        MemberFingerprint.objects.filter(digest__in=digests, member_id__lt=member.pk).exists()
    )


def referral_refusal(referee: Member, referrer: Member) -> str | None:
    """Why this referral must give nothing to either side (None: it may give); see the module's
    docstring for each rule."""
    if referrer.status != Member.Status.ACTIVE:
        return Refusal.REFERRER_INACTIVE
    same = (
        referee.pk == referrer.pk
        or referee.phone == referrer.phone
        or referee.card_number == referrer.card_number
        or (
            bool(referee.email)
            and canonical_email(referee.email) == canonical_email(referrer.email)
        )
        or MemberFingerprint.objects.filter(
            member_id=referrer.pk, digest__in=fingerprints(referee)
        ).exists()
    )
    if same:
        return Refusal.SELF_REFERRAL
    if was_member_before(referee):
        return Refusal.ALREADY_MEMBER
    return None


# --- joining, first purchase, profile ----------------------------------------------------------
def member_joined(member: Member, *, now: dt.datetime, referral_code: str = "") -> list[Given]:
    """A member has joined: the welcome bonuses, and the referee's bonus when they came with a
    referral code (kept by enrolment as `referred_by`; `referral_code` is looked up only when
    that is empty). A person who was a member before gets neither."""
    referrer = member.referred_by if member.referred_by_id else None
    if referrer is None and referral_code:
        referrer = Member.objects.filter(referral_code=referral_code.strip().upper()).first()
    returning = was_member_before(member)
    refusal = referral_refusal(member, referrer) if referrer is not None else None
    remember(member, now)
    results = []
    for campaign in open_campaigns(Kind.WELCOME, now):
        if returning:
            results.append(Given(campaign, member.pk, "welcome", Refusal.ALREADY_MEMBER))
        else:
            results.append(_give(campaign, member.pk, "welcome", now))
    if referrer is not None:
        for campaign in open_campaigns(Kind.REFERRAL, now):
            if refusal:
                results.append(Given(campaign, member.pk, "referee", refusal))
            else:
                results.append(_give(campaign, member.pk, "referee", now))
    _log(results)
    return results


def _within_cap(campaign: Campaign, referrer_id: int, cap: int, _account) -> str | None:
    rewarded = Award.objects.filter(
        campaign=campaign, member_id=referrer_id, occasion__startswith="referee:", held_out=False
    ).count()
    return Refusal.REFERRER_CAP if rewarded >= cap else None


def first_purchase_recorded(member_id: int, purchase_id: int, now: dt.datetime) -> list[Given]:
    """A referee's first purchase is written: their referrer gets each open REFERRAL campaign's
    `params.referrer_points`, once per referee, up to `params.max_per_referrer` referees."""
    referee = Member.objects.select_related("referred_by").filter(pk=member_id).first()
    if referee is None or referee.referred_by is None:
        return []
    referrer = referee.referred_by
    refusal = referral_refusal(referee, referrer)
    occasion = f"referee:{referee.pk}"
    results = []
    for campaign in open_campaigns(Kind.REFERRAL, now):
        if refusal:
            results.append(Given(campaign, referrer.pk, occasion, refusal))
            continue
        cap = campaign.params.get("max_per_referrer")
        check = partial(_within_cap, campaign, referrer.pk, cap) if cap else None
        points = int(campaign.params.get("referrer_points", 0))
        results.append(_give(campaign, referrer.pk, occasion, now, points=points, check=check))
    _log(results, purchase_id=purchase_id)
    return results


def _filled(value) -> bool:
    return value is not None and value != ""


def profile_saved(member: Member, *, now: dt.datetime) -> list[Given]:
    """The member saved their profile: each open PROFILE campaign whose fields are all filled
    gives its bonus, once."""
    remember(member, now)  # a new e-mail is a fingerprint too
    results = []
    for campaign in open_campaigns(Kind.PROFILE, now):
        fields = campaign.params.get("fields") or PROFILE_FIELDS
        if all(_filled(getattr(member, name, None)) for name in fields):
            results.append(_give(campaign, member.pk, "profile", now))
    _log(results)
    return results


def _log(results: list[Given], **extra) -> None:
    for row in results:
        logger.info(
            "event bonus %s: campaign %s, member %s, %s, %s points %s",
            row.reason,
            row.campaign.pk,
            row.member_id,
            row.occasion,
            row.points,
            extra or "",
        )


def _safely(event, *args, **kwargs) -> None:
    try:
        event(*args, **kwargs)
    except Exception:
        logger.exception("event bonuses failed: %s", event.__name__)


def on_joined(member: Member, *, now: dt.datetime, referral_code: str = "") -> None:
    """For the pages: `member_joined` once the enrolment has committed; never raises."""
    transaction.on_commit(
        partial(_safely, member_joined, member, now=now, referral_code=referral_code or "")
    )


def on_first_purchase(member_id: int, purchase_id: int, now: dt.datetime) -> None:
    """For checkout: `first_purchase_recorded` once the purchase has committed; never raises."""
    transaction.on_commit(partial(_safely, first_purchase_recorded, member_id, purchase_id, now))


def on_profile_saved(member: Member, *, now: dt.datetime) -> None:
    """For the cabinet: `profile_saved` once the profile is saved; never raises."""
    transaction.on_commit(partial(_safely, profile_saved, member, now=now))


# --- beat jobs: birthdays and years of membership ------------------------------------------------
def month_days_q(days) -> Q:
    """Q on the annotated month (`m`) and day (`d`) matching these dates; 28 February of a
    common year also matches 29 February (those birthdays are kept then)."""
    pairs = set()
    for day in days:
        pairs.add((day.month, day.day))
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            pairs.add((2, 29))
    return reduce(operator.or_, (Q(m=m, d=d) for m, d in sorted(pairs)))


def _batches(queryset, size: int, *fields) -> Iterator[list[tuple]]:
    """(pk, *fields) rows in pk order, `size` at a time (keyset: each query starts after the last
    pk seen)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _give_due(
    campaign: Campaign, due: dict[int, str], now: dt.datetime, dry_run: bool
) -> list[Given]:
    """Grant each member their occasion, skipping (one query) those already given it."""
    if not due:
        return []
    done = set(
        Award.objects.filter(campaign=campaign, member_id__in=list(due)).values_list(
            "member_id", "occasion"
        )
    )
    results = []
    for member_id, occasion in due.items():
        if (member_id, occasion) in done:
            results.append(Given(campaign, member_id, occasion, "already"))
        elif dry_run:
            results.append(Given(campaign, member_id, occasion, "due"))
        else:
            results.append(_give(campaign, member_id, occasion, now))
    return results


def _today(now: dt.datetime):
    zone = program_zone(get_program())
    return zone, now.astimezone(zone).date()


def birthday_bonuses(*, now: dt.datetime, dry_run: bool = False, batch: int = BATCH):
    """Give each open BIRTHDAY campaign's bonus to the active members whose birthday is from
    `days_before` days ahead to `days_after` days ago (program zone), once per birthday. The
    candidates are picked by month and day in SQL, `batch` at a time."""
    _zone, today = _today(now)
    results = []
    for campaign in open_campaigns(Kind.BIRTHDAY, now):
        before = campaign.params.get("days_before", 0)
        after = campaign.params.get("days_after", 0)
        window = [today + dt.timedelta(days=k) for k in range(-after, before + 1)]
        members = (
            Member.objects.filter(status=Member.Status.ACTIVE, birth_date__isnull=False)
            .annotate(m=ExtractMonth("birth_date"), d=ExtractDay("birth_date"))
            .filter(month_days_q(window))
        )
        for rows in _batches(members, batch, "birth_date"):
            due = {}
            for member_id, birth_date in rows:
                delta = days_from_birthday(birth_date, today)  # today − the nearest birthday
                if delta is not None and -before <= delta <= after:
                    year = (today - dt.timedelta(days=delta)).year
                    due[member_id] = f"birthday:{year}"
            results += _give_due(campaign, due, now, dry_run)
    return results


def full_years(joined: dt.date, today: dt.date) -> int:
    """Whole years from `joined` to `today` (joined on 29 February: a year passes on 28
    February of a common year)."""
    years = today.year - joined.year
    return years - 1 if on_year(joined, today.year) > today else years


def anniversary_bonuses(*, now: dt.datetime, dry_run: bool = False, batch: int = BATCH):
    """Give each open ANNIVERSARY campaign's bonus to the active members whose `every_years`-th
    year of membership (program zone) was completed within the last ANNIVERSARY_CATCH_UP_DAYS
    days: occasion "anniversary:<n>", once."""
    zone, today = _today(now)
    window = [today - dt.timedelta(days=k) for k in range(ANNIVERSARY_CATCH_UP_DAYS + 1)]
    results = []
    for campaign in open_campaigns(Kind.ANNIVERSARY, now):
        every = campaign.params.get("every_years", 1)
        members = (
            Member.objects.filter(
                status=Member.Status.ACTIVE, created_at__lt=now - dt.timedelta(days=364)
            )
            .annotate(
                m=ExtractMonth("created_at", tzinfo=zone), d=ExtractDay("created_at", tzinfo=zone)
            )
            .filter(month_days_q(window))
        )
        for rows in _batches(members, batch, "created_at"):
            due = {}
            for member_id, created_at in rows:
                joined = created_at.astimezone(zone).date()
                years = full_years(joined, today)
                since = (today - on_year(joined, joined.year + years)).days if years else None
                if years >= 1 and years % every == 0 and since <= ANNIVERSARY_CATCH_UP_DAYS:
                    due[member_id] = f"anniversary:{years}"
            results += _give_due(campaign, due, now, dry_run)
    return results
