"""The live campaigns, read once per process and kept until one changes.

A purchase must not grow by a query per campaign: the campaigns that may apply are loaded in one
query (with their early-access tiers) and kept. Saving or deleting a campaign (admin, import,
pause) bumps a version in the shared cache (Django's CACHES: Redis in production) and clears
this process's copy at once; other processes see the new version within CHECK_SECONDS. With a
per-process cache (locmem), other processes reload after RELOAD_SECONDS at the latest.
"""

import threading
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from campaigns.models import Campaign

VERSION_KEY = "campaigns:version"
CHECK_SECONDS = 1.0
RELOAD_SECONDS = 30.0

_lock = threading.Lock()
_state = {"campaigns": None, "version": None, "checked": 0.0, "loaded": 0.0}


def _load() -> list[Campaign]:
    campaigns = list(
        Campaign.objects.exclude(state=Campaign.State.DRAFT).prefetch_related("early_access_tiers")
    )
    for campaign in campaigns:
        campaign.early_tier_ids = frozenset(t.pk for t in campaign.early_access_tiers.all())
    return campaigns


def live_campaigns() -> list[Campaign]:
    """Every campaign that is not a draft (paused and ended ones too: `engine.is_open` decides
    at the purchase's moment). Treat the instances as read-only."""
    now = time.monotonic()
    campaigns = _state["campaigns"]
    if campaigns is not None and now - _state["checked"] < CHECK_SECONDS:
        return campaigns
    version = cache.get(VERSION_KEY)
    with _lock:
        fresh = (
            _state["campaigns"] is not None
            and version == _state["version"]
            and now - _state["loaded"] < RELOAD_SECONDS
        )
        if not fresh:
            _state.update(campaigns=_load(), version=version, loaded=now)
        _state["checked"] = now
        return _state["campaigns"]


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)
    with _lock:
        _state["campaigns"] = None


def invalidate() -> None:
    """A campaign changed: every process reloads (this one at once). The version is bumped
    again when the change commits: a process that reloaded in between read the old rows."""
    _bump()
    transaction.on_commit(_bump)


def clear(*, known_empty: bool = False) -> None:
    """Forget this process's copy (tests: a rolled-back transaction sends no signal). With
    `known_empty` the copy is an empty list instead (a test starts with no campaign), so the
    first purchase of a test does not read the campaigns table."""
    with _lock:
        _state.update(
            campaigns=[] if known_empty else None,
            version=cache.get(VERSION_KEY) if known_empty else None,
            checked=time.monotonic() if known_empty else 0.0,
            loaded=time.monotonic() if known_empty else 0.0,
        )


@receiver(post_save, sender=Campaign)
@receiver(post_delete, sender=Campaign)
def _campaign_changed(sender, **kwargs):
    invalidate()


@receiver(m2m_changed, sender=Campaign.early_access_tiers.through)
def _tiers_changed(sender, **kwargs):
    invalidate()
