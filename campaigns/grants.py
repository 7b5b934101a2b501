"""Giving one event bonus (joining, a birthday, a completed profile or challenge, a referral):
once per (campaign, member, occasion), within the campaign's budget and the member's limits,
nothing to a member of its holdout group but a record — all in one transaction under the
member's account lock (loyalty.services.bonuses.credit_bonus)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError

from campaigns import engine
from campaigns.checkout import has_limits, member_limit_blocks, reserve
from campaigns.conditions import Facts, holds, membership_days
from campaigns.models import Award, Campaign
from campaigns.segments import segment_codes_for
from customers.errors import MemberBlocked
from loyalty.services.bonuses import Bonus, credit_bonus
from loyalty.services.program import get_program, get_tier, program_zone


@dataclass
class Granted:
    """What a grant did: `award` is None when nothing was recorded, with `reason` saying why
    ("given", "held_out", "already", "closed", "conditions", "budget", "member_limit",
    "blocked", "nothing", or the reason a caller's `check` gave)."""

    reason: str
    award: Award | None = None

    @property
    def points(self) -> int:
        return self.award.points if self.award is not None and not self.award.held_out else 0


def member_facts(account, now: dt.datetime, **extra) -> Facts:
    """The condition facts of a member without a check (tier, age of membership, birthday)."""
    member = account.member
    return Facts(
        local=now.astimezone(program_zone(get_program())),
        tier_code=get_tier(account.tier_id).code,
        member_days=membership_days(member.created_at, now),
        birth_date=member.birth_date,
        **extra,
    )


def grant(
    campaign: Campaign,
    *,
    member_id: int,
    occasion: str,
    now: dt.datetime,
    points: int | None = None,
    label: str | None = None,
    check: Callable[[object], str | None] | None = None,
) -> Granted:
    """Give `campaign`'s bonus (its fixed `value`, or `points`) to the member for `occasion`.

    Nothing is given when the campaign is not open at `now` for the member's tier, its
    conditions do not hold for the member, the occasion was already rewarded, the member's limit
    or the campaign's budget is reached; a held-out member gets a record of 0 points.
    `check(account)`, run under the member's account lock, may refuse with a reason of its own
    (a referrer's cap: counted under the lock, so concurrent grants cannot pass it).
    """
    points = int(campaign.value) if points is None else points
    outcome: dict = {}

    def before(account) -> bool:
        if not is_open_for(campaign, account, now):
            outcome["reason"] = "closed"
            return False
        # A challenge's conditions choose the purchases that count (challenges.py), not members.
        if campaign.kind != Campaign.Kind.CHALLENGE and not holds(
            campaign.conditions,
            member_facts(account, now, segments=segment_codes_for(member_id, [campaign])),
        ):
            outcome["reason"] = "conditions"
            return False
        existing = Award.objects.filter(
            campaign=campaign, member_id=member_id, occasion=occasion
        ).first()
        if existing is not None:
            outcome.update(reason="already", award=existing)
            return False
        refused = check(account) if check is not None else None
        if refused:
            outcome["reason"] = refused
            return False
        if engine.in_holdout(member_id, campaign):
            outcome.update(
                reason="held_out",
                award=Award.objects.create(
                    campaign=campaign,
                    member_id=member_id,
                    occasion=occasion,
                    held_out=True,
                    created_at=now,
                ),
            )
            return False
        if member_limit_blocks(member_id, [campaign], at=now, program=get_program()):
            outcome["reason"] = "member_limit"
            return False
        if points <= 0:  # before the budget: a grant of nothing must not spend a use
            outcome["reason"] = "nothing"
            return False
        if has_limits(campaign) and not reserve(campaign, points):
            outcome["reason"] = "budget"
            return False
        return True

    def after(account, credited) -> None:
        if credited is None:
            return
        outcome.update(
            reason="given",
            award=Award.objects.create(
                campaign=campaign,
                member_id=member_id,
                occasion=occasion,
                points=credited.bonus.points,
                entry_id=credited.entry_id,
                lot_id=credited.lot_id,
                created_at=now,
            ),
        )

    bonus = Bonus(
        points=points,
        campaign_id=campaign.pk,
        label=label or campaign.name,
        lifetime_days=campaign.bonus_lifetime_days,
        activation_delay_days=campaign.activation_delay_days,
    )
    try:
        credit_bonus(member_id=member_id, bonus=bonus, now=now, before=before, after=after)
    except MemberBlocked:
        return Granted("blocked")
    except IntegrityError:
        # The same occasion given by a concurrent run: it is given once.
        existing = Award.objects.filter(
            campaign=campaign, member_id=member_id, occasion=occasion
        ).first()
        return Granted("already", existing)
    return Granted(outcome.get("reason", "given"), outcome.get("award"))


def is_open_for(campaign: Campaign, account, now: dt.datetime) -> bool:
    return engine.is_open(campaign, now, account.tier_id)
