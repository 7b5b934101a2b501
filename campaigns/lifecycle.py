"""What a marketer does to a campaign as a whole: copy it, pause it, resume it, end it now.

Each change is saved through the model (not a queryset update), so the live-campaign cache
(cache.py) hears of it at once.
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign

CODE_LENGTH = Campaign._meta.get_field("code").max_length
NAME_LENGTH = Campaign._meta.get_field("name").max_length


def _free_code(code: str) -> str:
    """`code-copy`, `code-copy-2`, … — the first one no campaign has, within the code's length."""
    n = 1
    while True:
        suffix = "-copy" if n == 1 else f"-copy-{n}"
        candidate = code[: CODE_LENGTH - len(suffix)] + suffix
        if not Campaign.objects.filter(code=candidate).exists():
            return candidate
        n += 1


@transaction.atomic
def clone_campaign(*, campaign: Campaign) -> Campaign:
    """A draft copy of a campaign to edit and run again: same rules, early access tiers and
    limits, a new unique code, the name marked "(copy)", and nothing given yet (its counters
    start at zero; awards stay with the original)."""
    tiers = list(campaign.early_access_tiers.all())
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = None
    copy.id = None
    copy._state.adding = True
    copy.code = _free_code(campaign.code)
    copy.name = (_("%(name)s (copy)") % {"name": campaign.name})[:NAME_LENGTH]
    copy.state = Campaign.State.DRAFT
    copy.spent_points = 0
    copy.uses = 0
    copy.save()
    copy.early_access_tiers.set(tiers)
    return copy


def pause_campaign(*, campaign: Campaign) -> bool:
    """An active campaign stops giving points until resumed; False if it was not active."""
    if campaign.state != Campaign.State.ACTIVE:
        return False
    campaign.state = Campaign.State.PAUSED
    campaign.save(update_fields=["state", "updated_at"])
    return True


def resume_campaign(*, campaign: Campaign) -> bool:
    """A paused campaign gives points again (within its dates); False if it was not paused."""
    if campaign.state != Campaign.State.PAUSED:
        return False
    campaign.state = Campaign.State.ACTIVE
    campaign.save(update_fields=["state", "updated_at"])
    return True


def end_campaign(*, campaign: Campaign, now: dt.datetime) -> bool:
    """A running or paused campaign ends at `now` for good (its end date becomes now); False for
    a draft, a campaign that has not started (pause it or make it a draft instead) or one that
    has already ended."""
    if campaign.status_at(now) not in (Campaign.Status.RUNNING, Campaign.Status.PAUSED):
        return False
    campaign.ends_at = now
    campaign.save(update_fields=["ends_at", "updated_at"])
    return True
