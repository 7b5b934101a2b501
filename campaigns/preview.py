"""The admin's live preview: what a campaign being edited — saved or not — would give on one
check of one member, through the same quote as the till, without writing anything."""

import copy
import datetime as dt

from campaigns.checkout import quote_purchase
from campaigns.models import Campaign
from customers.errors import MemberNotFound
from customers.selectors import member_by_card, member_by_phone


def find_member(number: str):
    """The member with this phone (any notation) or card number."""
    try:
        return member_by_phone(number)
    except MemberNotFound:
        return member_by_card(number)


def preview_campaign(instance: Campaign, tiers) -> Campaign:
    """An unsaved copy of the campaign as the form has it, to be evaluated as if it were active
    (a draft or paused campaign is previewed as it would run). A campaign not saved yet has
    given nothing: its limits are left out, as none of them can be reached yet."""
    campaign = copy.copy(instance)
    if campaign.state != Campaign.State.ACTIVE:
        campaign.state = Campaign.State.ACTIVE
    campaign.early_tier_ids = frozenset(tier.pk for tier in tiers or ())
    if campaign.pk is None:
        campaign.budget_points = campaign.max_uses = None
        campaign.member_limit_day = campaign.member_limit_month = None
        campaign.member_limit_total = None
    return campaign


def preview_purchase(
    *,
    campaign: Campaign,
    early_access_tiers,
    member_number: str,
    now: dt.datetime,
    lines: list[dict] | None,
    amount,
    partner=None,
    store=None,
    channel: str = "till",
) -> dict:
    """The program's points and the campaign's bonus on this check (given by its lines or its
    total) of the member with this phone or card, at `now`, with the campaigns listing (why it
    lost, if it did). Reads only; domain errors (no such member, a bad check) are raised."""
    preview = preview_campaign(campaign, early_access_tiers)
    member = find_member(member_number)
    quote = quote_purchase(
        campaigns=[preview],
        member_id=member.pk,
        now=now,
        lines=lines or None,
        amount=None if lines else amount,
        partner=partner or getattr(store, "partner", None),
        store=store,
        channel=channel,
    )
    return {
        "earn_points": quote.earn_points,
        "bonus_points": quote.bonus_points,
        "campaigns": quote.campaigns,
        "not_running": preview.status_at(now) != Campaign.Status.RUNNING,
    }
