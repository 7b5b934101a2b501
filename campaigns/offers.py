"""What the cabinet's Offers page shows a member: the campaigns that apply to them now.

- Purchase campaigns (promo rates, bigger checks, first purchase) that run now — or open early
  for the member's tier, shown as such — whose member-level conditions hold (tier, age of
  membership, birthday, first purchase, dates). Conditions on the check itself (amount, lines,
  store, channel, day and hour) cannot be known before the purchase: they do not hide an offer,
  the description says them.
- Event bonuses the member can still get: a completed profile (with the fields still missing),
  the birthday bonus (or a hint to give the birth date), the next year of membership.
- Achievements: each running challenge with the member's progress (stamps), completed ones
  marked.
- The referral code with the friends who joined with it and the points it earned.
A member in a campaign's holdout group does not see it: the control group must not be told.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from campaigns import challenges, engine
from campaigns.cache import live_campaigns
from campaigns.conditions import Facts, holds, on_year, verdict
from campaigns.grants import member_facts
from campaigns.models import Award, Campaign
from campaigns.segments import segment_codes_for
from campaigns.validation import PROFILE_FIELDS
from customers.models import Member
from loyalty.models import Account
from loyalty.services.program import get_program, program_zone

Kind = Campaign.Kind
# The leaves a member's facts answer without a check; the others are unknown before a purchase.
MEMBER_LEAVES = frozenset({"tier", "segment", "member_days", "birthday", "first_purchase", "date"})
MAX_STAMPS = 20  # above this many, the card shows a progress bar instead of stamps


def may_hold(tree, facts: Facts) -> bool | None:
    """Whether a condition tree holds for the member, before any check: True, False, or None
    when it depends on the check (the member's leaves are judged, the check's are unknown)."""
    return verdict(
        tree, lambda key, value: holds({key: value}, facts) if key in MEMBER_LEAVES else None
    )


@dataclass(frozen=True)
class Offer:
    campaign: Campaign
    description: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    effect: str = ""  # "×2 points", "+50 points"… when the description is empty
    early: bool = False  # open now for the member's tier before everyone else
    points: int | None = None  # an event bonus: its points
    missing: tuple[str, ...] = ()  # a profile bonus: the fields still to fill
    next_date: dt.date | None = None  # a birthday or anniversary bonus: when
    needs_birth_date: bool = False


@dataclass(frozen=True)
class Achievement:
    campaign: Campaign
    description: str
    measure: challenges.Measure
    completed: bool
    points: int
    ends_at: dt.datetime | None

    @property
    def stamps(self) -> list[bool]:
        """One per stamp needed: collected or not (empty above MAX_STAMPS: a bar instead)."""
        if self.measure.target > MAX_STAMPS:
            return []
        done = self.measure.target if self.completed else self.measure.done
        return [i < done for i in range(self.measure.target)]


@dataclass(frozen=True)
class Referral:
    code: str
    friends: int  # members who joined with the code
    rewarded: int  # of them, those whose first purchase earned the member a bonus
    points: int
    campaign: Campaign | None  # the running referral campaign, if any
    referrer_points: int = 0


@dataclass
class MemberOffers:
    purchases: list[Offer] = field(default_factory=list)
    events: list[Offer] = field(default_factory=list)
    achievements: list[Achievement] = field(default_factory=list)
    referral: Referral | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.purchases or self.events or self.achievements)


def description_of(campaign: Campaign, language: str) -> str:
    """The member-facing text in the member's language (Russian unless English is asked for and
    written)."""
    if language.startswith("en") and campaign.description_en:
        return campaign.description_en
    return campaign.description


def effect_text(campaign: Campaign) -> str:
    """A short summary of what a purchase campaign gives."""
    value = campaign.value.normalize()
    if campaign.kind == Kind.STEPS:
        return ", ".join(
            _("from %(amount)s ₽: +%(points)s points")
            % {"amount": step["from"], "points": step["points"]}
            for step in campaign.steps
        )
    if campaign.effect == Campaign.Effect.MULTIPLIER:
        return _("×%(value)s points") % {"value": f"{value:f}"}
    if campaign.effect == Campaign.Effect.PERCENT:
        return _("+%(value)s %% points") % {"value": f"{value:f}"}
    if campaign.effect == Campaign.Effect.FIXED:
        return _("+%(value)s points") % {"value": f"{value:f}"}
    return _("%(value)s points per %(amount)s ₽") % {
        "value": f"{value:f}",
        "amount": f"{campaign.per_amount.normalize():f}",
    }


def member_offers(*, member: Member, now: dt.datetime, language: str = "ru") -> MemberOffers:
    """Everything the Offers page shows this member at `now` (see the module's rules)."""
    account = Account.objects.select_related("member").get(member=member)
    open_now = [c for c in live_campaigns() if engine.is_open(c, now, account.tier_id)]
    facts = member_facts(
        account,
        now,
        first_purchase=account.purchases_count == 0,
        segments=segment_codes_for(member.pk, open_now),
    )
    visible = [
        c
        for c in open_now
        if may_hold(c.conditions if c.kind != Kind.CHALLENGE else {}, facts) is not False
        and not engine.in_holdout(member.pk, c)
    ]
    awarded = _awarded_occasions(member, visible)
    result = MemberOffers()
    today = now.astimezone(program_zone(get_program())).date()
    for campaign in visible:
        offer = _offer(campaign, member, account, now, today, awarded, language)
        if offer is None:
            continue
        if campaign.is_purchase_kind:
            result.purchases.append(offer)
        else:
            result.events.append(offer)
    running = [c for c in visible if c.kind == Kind.CHALLENGE]
    result.achievements = _achievements(member, running, now, awarded, language)
    result.referral = _referral(member, [c for c in visible if c.kind == Kind.REFERRAL])
    result.purchases.sort(key=lambda offer: not offer.early)  # early access first
    return result


def _awarded_occasions(member: Member, campaigns: list[Campaign]) -> set[tuple[int, str]]:
    events = [c for c in campaigns if not c.is_purchase_kind and c.kind != Kind.REFERRAL]
    if not events:
        return set()
    return set(
        Award.objects.filter(member=member, campaign__in=events)
        .exclude(occasion="")
        .values_list("campaign_id", "occasion")
    )


def _offer(campaign, member, account, now, today, awarded, language) -> Offer | None:
    common = {
        "campaign": campaign,
        "description": description_of(campaign, language),
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
    }
    if campaign.is_purchase_kind:
        if campaign.kind == Kind.FIRST_PURCHASE and account.purchases_count:
            return None
        early = campaign.status_at(now) == Campaign.Status.SCHEDULED
        return Offer(**common, effect=effect_text(campaign), early=early)
    points = int(campaign.value)
    if campaign.kind == Kind.PROFILE:
        if (campaign.pk, "profile") in awarded:
            return None
        fields = campaign.params.get("fields") or list(PROFILE_FIELDS)
        missing = tuple(
            str(Member._meta.get_field(name).verbose_name)
            for name in fields
            if not getattr(member, name)
        )
        return Offer(**common, points=points, missing=missing)
    if campaign.kind == Kind.BIRTHDAY:
        if member.birth_date is None:
            return Offer(**common, points=points, needs_birth_date=True)
        birthday = _next_birthday(member.birth_date, today, campaign.params.get("days_after", 0))
        if (campaign.pk, f"birthday:{birthday.year}") in awarded:
            birthday = _next_birthday(member.birth_date, dt.date(birthday.year + 1, 1, 1), 0)
        return Offer(**common, points=points, next_date=birthday)
    if campaign.kind == Kind.ANNIVERSARY:
        joined = (member.created_at or now).astimezone(program_zone(get_program())).date()
        every = campaign.params.get("every_years", 1)
        years = every
        while on_year(joined, joined.year + years) <= today:
            years += every
        return Offer(**common, points=points, next_date=on_year(joined, joined.year + years))
    return None  # welcome (given on joining), referral (its own block), challenge (achievements)


def _next_birthday(birth_date: dt.date, today: dt.date, days_after: int) -> dt.date:
    """The birthday whose bonus is still ahead (or running: within `days_after` of it)."""
    for year in (today.year - 1, today.year, today.year + 1):
        day = on_year(birth_date, year)
        if day + dt.timedelta(days=days_after) >= today:
            return day
    return on_year(birth_date, today.year + 1)


def _achievements(member, campaigns, now, awarded, language) -> list[Achievement]:
    stamps = challenges.stamps_by_campaign(member, campaigns, now)
    cards = []
    for campaign in campaigns:
        measure = challenges.measure(campaign, stamps[campaign.pk], now)
        cards.append(
            Achievement(
                campaign=campaign,
                description=description_of(campaign, language),
                measure=measure,
                completed=measure.completed or (campaign.pk, challenges.OCCASION) in awarded,
                points=int(campaign.value),
                ends_at=campaign.ends_at,
            )
        )
    cards.sort(key=lambda card: (card.completed, -card.measure.done / max(card.measure.target, 1)))
    return cards


def _referral(member: Member, campaigns: list[Campaign]) -> Referral:
    earned = Award.objects.filter(
        member=member,
        campaign__kind=Kind.REFERRAL,
        occasion__startswith="referee:",
        held_out=False,
        points__gt=0,
    ).aggregate(points=Sum("points"), rewarded=Count("id"))
    campaign = campaigns[0] if campaigns else None
    return Referral(
        code=member.referral_code,
        friends=Member.objects.filter(referred_by=member).count(),
        rewarded=earned["rewarded"] or 0,
        points=earned["points"] or 0,
        campaign=campaign,
        referrer_points=(campaign.params.get("referrer_points", 0) if campaign else 0),
    )
