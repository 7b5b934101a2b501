"""Reading campaigns for the pages: what runs for a partner."""

import datetime as dt

from campaigns import conditions
from campaigns.cache import live_campaigns
from campaigns.models import Campaign
from loyalty.models import Store


def partner_campaigns(partner_id: int, now: dt.datetime) -> list[Campaign]:
    """The campaigns running now (or scheduled) whose conditions do not rule out this partner's
    checks, soonest ending first."""
    store_ids = frozenset(Store.objects.filter(partner_id=partner_id).values_list("pk", flat=True))
    shown = (Campaign.Status.RUNNING, Campaign.Status.SCHEDULED)
    found = [
        campaign
        for campaign in live_campaigns()
        if campaign.status_at(now) in shown
        and conditions.may_hold_at(campaign.conditions, partner_id=partner_id, store_ids=store_ids)
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda c: (c.ends_at or far, c.pk))
