"""Campaigns at the till: quote and record a purchase with its campaign bonuses.

The pages (partner API, desk) call `quote_purchase` / `record_purchase` here, not the ledger's:
these hand the ledger a `CampaignBonuses` policy, which evaluates the running campaigns on the
check (engine.py, no queries: cache.py) under the account lock, and counts the limits there:
- the member's own limits (per day, per 30 days, in total) from the member's awards — one query,
  only when a campaign taking part has such a limit; the account lock serialises them;
- a campaign's budget and number of uses by one conditional UPDATE of its row per limited
  campaign that wins — the row stays locked until the purchase commits, so concurrent tills
  never spend past the budget; a campaign that does not fit loses ("budget") and the check is
  evaluated again without it.
After the purchase is written its awards (and held-out records) are inserted in one statement.
"""

import datetime as dt

from django.db.models import Count, F, Q

from campaigns import challenges, engine
from campaigns.cache import live_campaigns
from campaigns.conditions import Facts, membership_days
from campaigns.models import Award, Campaign
from campaigns.segments import segment_codes_for, uses_segments
from loyalty.models import Purchase
from loyalty.services import purchases
from loyalty.services.bonuses import Bonus, Credited, PurchaseFacts
from loyalty.services.program import program_zone

MAX_ROUNDS = 10  # evaluations of one check while campaigns drop out on their budgets


def campaign_name(campaign: Campaign) -> str:
    return campaign.name


def facts_of(
    facts: PurchaseFacts, campaigns=()
) -> tuple[Facts, list[engine.EarnLine], engine.Basis]:
    """The condition facts, the lines and the earn basis of a check, for the engine; the
    member's segments are read only when one of `campaigns` open now has a segment condition."""
    member = facts.account.member
    local = facts.occurred_at.astimezone(program_zone(facts.program))
    lines = [
        engine.EarnLine(
            sku=line.sku,
            category=line.category,
            quantity=line.quantity,
            amount=line.amount,
            discount=discount,
        )
        for line, discount in zip(facts.lines, facts.discounts)
    ]
    condition_facts = Facts(
        local=local,
        lines=tuple(lines),
        total=facts.total,
        tier_code=facts.tier.code,
        segments=segment_codes_for(
            member.pk,
            (
                c
                for c in campaigns
                if uses_segments(c) and engine.is_open(c, facts.occurred_at, facts.account.tier_id)
            ),
        ),
        member_days=membership_days(member.created_at, facts.occurred_at),
        birth_date=member.birth_date,
        partner_id=facts.partner.pk if facts.partner is not None else None,
        store_id=facts.store.pk if facts.store is not None else None,
        channel=facts.channel,
        first_purchase=facts.first_purchase,
    )
    basis = engine.Basis(
        earn_points=facts.earn_points,
        rubles_per_point=facts.tier.rubles_per_point,
        earn_on_redeemed=facts.program.earn_on_redeemed,
        earns=facts.earns,
    )
    return condition_facts, lines, basis


def evaluate(
    facts: PurchaseFacts, blocked: dict[int, str] | None = None, campaigns=None
) -> engine.Outcome:
    """The engine on this check: the live campaigns, or only `campaigns` (a preview)."""
    campaigns = live_campaigns() if campaigns is None else campaigns
    condition_facts, lines, basis = facts_of(facts, campaigns)
    return engine.evaluate(
        campaigns,
        facts=condition_facts,
        lines=lines,
        basis=basis,
        member_id=facts.account.member_id,
        tier_id=facts.account.tier_id,
        now=facts.occurred_at,
        blocked=blocked,
        cap=facts.program.max_bonus_per_check,
    )


def _taking_part_with_points(outcome: engine.Outcome) -> list[engine.Bonus]:
    """The campaigns that applied or lost to another (not the held-out ones), with their points."""
    return list(outcome.applied) + [
        engine.Bonus(lost.campaign, lost.points)
        for lost in outcome.lost
        if lost.reason != engine.Reason.HELD_OUT
    ]


def _taking_part(outcome: engine.Outcome) -> list[Campaign]:
    return [bonus.campaign for bonus in _taking_part_with_points(outcome)]


def member_limit_blocks(
    member_id: int, campaigns: list[Campaign], *, at: dt.datetime, program
) -> dict[int, str]:
    """The campaigns whose limit for this member is reached at `at` — per day (the program's
    day), per 30 days, in total — counted from the member's awards with points (one query, none
    if no campaign has a limit). Purchases and event grants call it under the account lock."""
    limited = [
        c for c in campaigns if c.member_limit_day or c.member_limit_month or c.member_limit_total
    ]
    if not limited:
        return {}
    zone = program_zone(program)
    day_start = dt.datetime.combine(at.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    month_start = at - dt.timedelta(days=30)
    counts = {
        row["campaign_id"]: row
        for row in Award.objects.filter(
            member_id=member_id, campaign__in=limited, held_out=False, points__gt=0
        )
        .values("campaign_id")
        .annotate(
            day=Count("id", filter=Q(created_at__gte=day_start)),
            month=Count("id", filter=Q(created_at__gte=month_start)),
            total=Count("id"),
        )
    }
    blocked = {}
    for campaign in limited:
        used = counts.get(campaign.pk, {"day": 0, "month": 0, "total": 0})
        for limit, count in (
            (campaign.member_limit_day, used["day"]),
            (campaign.member_limit_month, used["month"]),
            (campaign.member_limit_total, used["total"]),
        ):
            if limit is not None and count >= limit:
                blocked[campaign.pk] = engine.Reason.MEMBER_LIMIT
    return blocked


def has_limits(campaign: Campaign) -> bool:
    return campaign.budget_points is not None or campaign.max_uses is not None


def reserve(campaign: Campaign, points: int, *, use: bool = True) -> bool:
    """Count `points` (and one use) against the campaign's budget, if they fit: one conditional
    UPDATE that keeps the campaign's row locked until the transaction ends."""
    fits = Q(pk=campaign.pk)
    if points > 0:
        fits &= Q(budget_points__isnull=True) | Q(spent_points__lte=F("budget_points") - points)
    if use:
        fits &= Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses"))
    changes = {"spent_points": F("spent_points") + points}
    if use:
        changes["uses"] = F("uses") + 1
    return Campaign.objects.filter(fits).update(**changes) == 1


def settle_limits(
    facts: PurchaseFacts, blocked: dict[int, str], campaigns=None, outcome=None
) -> engine.Outcome:
    """Evaluate the check (unless `outcome` is its evaluation with `blocked`) and reserve the
    winners' budgets; a campaign whose budget is spent drops out and the check is evaluated
    again (another campaign of its group may win)."""
    reserved: dict[int, int] = {}
    if outcome is None:
        outcome = evaluate(facts, blocked, campaigns)
    for _round in range(MAX_ROUNDS):
        dropped = False
        for bonus in outcome.applied:
            campaign = bonus.campaign
            if not has_limits(campaign):
                continue
            held = reserved.get(campaign.pk)
            if held is None:
                if reserve(campaign, bonus.points):
                    reserved[campaign.pk] = bonus.points
                else:
                    blocked[campaign.pk] = engine.Reason.BUDGET
                    dropped = True
            elif bonus.points != held:
                if reserve(campaign, bonus.points - held, use=False):
                    reserved[campaign.pk] = bonus.points
                else:
                    bonus.points = held
        if not dropped:
            break
        outcome = evaluate(facts, blocked, campaigns)
    # Reservations of campaigns that no longer win are given back.
    winners = {bonus.campaign.pk for bonus in outcome.applied}
    for campaign_id, points in reserved.items():
        if campaign_id not in winners:
            Campaign.objects.filter(pk=campaign_id).update(
                spent_points=F("spent_points") - points, uses=F("uses") - 1
            )
    return outcome


class CampaignBonuses:
    """The policy a purchase is recorded with (loyalty.services.bonuses.BonusPolicy)."""

    def __init__(self, campaigns=None):
        """`campaigns`: only these (a preview of unsaved ones); default: the live ones."""
        self.campaigns = campaigns
        self.outcome: engine.Outcome | None = None

    def bonuses(self, facts: PurchaseFacts) -> list[Bonus]:
        outcome = evaluate(facts, campaigns=self.campaigns)
        if not outcome.applied and not outcome.lost:
            self.outcome = outcome
            return []
        blocked = member_limit_blocks(
            facts.account.member_id,
            _taking_part(outcome),
            at=facts.occurred_at,
            program=facts.program,
        )
        self.outcome = outcome = settle_limits(
            facts, blocked, self.campaigns, outcome=None if blocked else outcome
        )
        return [
            Bonus(
                points=bonus.points,
                campaign_id=bonus.campaign.pk,
                label=campaign_name(bonus.campaign),
                keep_from=bonus.keep_from,
                lifetime_days=bonus.campaign.bonus_lifetime_days,
                activation_delay_days=bonus.campaign.activation_delay_days,
            )
            for bonus in outcome.applied
        ]

    def companions(self, facts: PurchaseFacts, purchase: Purchase, handed: list) -> list[Award]:
        """The awards of this check (and the held-out records), written in the purchase's own
        statement; each award points at its bonus's lot."""
        outcome = self.outcome
        if outcome is None or (not handed and not outcome.held_out):
            return []
        member_id = facts.account.member_id
        awards = [
            Award(
                campaign_id=bonus.campaign_id,
                member_id=member_id,
                purchase=purchase,
                points=bonus.points,
                lot=lot,
                created_at=facts.occurred_at,
            )
            for bonus, _entry, lot in handed
        ]
        awards += [
            Award(
                campaign_id=campaign.pk,
                member_id=member_id,
                purchase=purchase,
                held_out=True,
                created_at=facts.occurred_at,
            )
            for campaign in outcome.held_out
        ]
        return awards

    def recorded(self, facts: PurchaseFacts, purchase: Purchase, credited: list[Credited]):
        challenges.after_purchase(
            member_id=facts.account.member_id,
            purchase_id=purchase.pk,
            tier_id=facts.account.tier_id,
            now=facts.now,
        )
        if facts.first_purchase and facts.account.member.referred_by_id:
            from campaigns import events  # events → grants → checkout

            # The referrer's bonus, once this first purchase commits.
            events.on_first_purchase(facts.account.member_id, purchase.pk, facts.now)

    def preview(self, facts: PurchaseFacts) -> tuple[int, list[dict]]:
        outcome = evaluate(facts, campaigns=self.campaigns)
        if outcome.applied or outcome.lost:
            blocked = member_limit_blocks(
                facts.account.member_id,
                _taking_part(outcome),
                at=facts.occurred_at,
                program=facts.program,
            )
            blocked.update(
                (bonus.campaign.pk, engine.Reason.BUDGET)
                for bonus in _taking_part_with_points(outcome)
                if _spent(bonus.campaign, bonus.points)
            )
            if blocked:
                outcome = evaluate(facts, blocked, self.campaigns)
        self.outcome = outcome
        return outcome.points, listing(outcome)


def _spent(campaign: Campaign, points: int) -> bool:
    """As far as the quote can tell without locking: `points` more do not fit the campaign's
    budget or its uses are gone."""
    if not has_limits(campaign):
        return False
    fresh = Campaign.objects.filter(pk=campaign.pk).values("spent_points", "uses").first()
    if fresh is None:
        return True
    if campaign.max_uses is not None and fresh["uses"] >= campaign.max_uses:
        return True
    return (
        campaign.budget_points is not None
        and fresh["spent_points"] + points > campaign.budget_points
    )


def listing(outcome: engine.Outcome) -> list[dict]:
    """What the quote, the purchase answer and the desk show: the campaigns that apply, with
    their points, then those that lost, with why."""
    rows = [
        {
            "id": b.campaign.pk,
            "name": campaign_name(b.campaign),
            "points": b.points,
            "applied": True,
        }
        for b in outcome.applied
    ]
    rows += [
        {
            "id": lost.campaign.pk,
            "name": campaign_name(lost.campaign),
            "points": 0,
            "applied": False,
            "reason": lost.reason,
            "reason_text": str(lost.reason_text),
        }
        for lost in outcome.lost
    ]
    return rows


def applied_listing(bonuses) -> list[dict]:
    """A recorded purchase's campaigns (from its PurchaseBonus rows or Credited items)."""
    rows = []
    for item in bonuses:
        bonus = getattr(item, "bonus", item)
        rows.append(
            {"id": bonus.campaign_id, "name": bonus.label, "points": bonus.points, "applied": True}
        )
    return rows


def quote_purchase(*, campaigns=None, **kwargs) -> purchases.Quote:
    """loyalty's quote_purchase with the campaigns' bonuses (same arguments); `campaigns`:
    evaluate only these (the admin's preview of a campaign being edited)."""
    return purchases.quote_purchase(bonuses=CampaignBonuses(campaigns), **kwargs)


def record_purchase(**kwargs) -> purchases.PurchaseResult:
    """loyalty's record_purchase with the campaigns' bonuses (same arguments)."""
    return purchases.record_purchase(bonuses=CampaignBonuses(), **kwargs)
