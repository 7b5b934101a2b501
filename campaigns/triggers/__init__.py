"""The finders: what each kind of trigger has to tell which member as of `now`.

`FINDERS[kind](trigger, now)` yields `Occasion`s, streamed from the database in chunks (a
million members stay in constant memory); campaigns.messaging.dispatch turns each into at most
one message. A finder is idempotent: an occasion's `key` is stable, so a run that finds it
again writes nothing new (the messages' unique (member, trigger, occasion)). Only active members
are found. Parameters and their defaults: campaigns/trigger_params.py.

Catching up: a run finds what came due since the previous one, also after days without runs,
but nothing that came due more than `max_delay_days` ago (and nothing past its point: points
already burnt, a birthday gone by). What came due when:
- expiry: the member's spendable lots (not pending, points left) that burn within `days`, one
  occasion per member per burning day, key the last day they can be spent ("2027-05-18");
  `points` counts the lots of that day only (a later day gets its own reminder once it is the
  nearest). Lasts until the points burn (`stale_at`), so no `max_delay_days`.
- earned, first_purchase, reward: purchases recorded since the previous run (found through
  their earn and bonus ledger entries, indexed by time: a purchase that got no points tells
  nothing); keys "purchase:<id>", "first_purchase", "reward:<threshold>:<day of the purchase>".
  A reward is a purchase that lifted the balance from below `threshold` to it or above, while
  the member still holds that many: once per crossing, not again while it stays above.
- tier_up, tier_down: tier changes since the previous run, key "tierchange:<id>".
- tier_at_risk: the review found the spend below the tier (the grace period runs); due
  `days_before` days before the review that would lower it (loyalty's `review_target` says
  whether and to what); key "tier_at_risk:<tier>:<day the grace period began>".
- welcome: step k on day N (program time zone) after joining, key "welcome:<k>".
- inactivity: `days` after the last purchase (campaigns' MemberActivity), key
  "inactivity:<day of that purchase>"; with `include_never_bought`, `days` after joining
  without any purchase, key "inactivity:never". With the trigger's campaign, the campaign's
  event bonus is given first (grants.grant, once per occasion; not in a dry run), and
  `bonus_points` says what was given.
- birthday, important_date: `days` before the date, keys "birthday:<year>",
  "date:<id>:<year>" (a yearly date every year, a one-off date once).
- avg_check_drop: the last 90 days' average check `drop_percent` below the 90 days before, with
  `min_purchases` purchases in the RFM window; a state, told at most once a month: key
  "avg_check:<year-month>".
- broadcast: at `send_at`, every active member of the segment (all active members without
  one), key "broadcast".

The finders live by subject: points.py, tiers.py, members.py (welcome, inactivity, average
check, broadcast), dates.py; base.py holds what they share.
"""

from collections.abc import Callable, Iterable

from campaigns.messaging import Occasion
from campaigns.models import Trigger
from campaigns.triggers.dates import birthday, important_date
from campaigns.triggers.members import broadcast, falling_average_check, inactivity, welcome_series
from campaigns.triggers.points import (
    enough_for_reward,
    expiring_points,
    first_purchase,
    points_earned,
)
from campaigns.triggers.tiers import tier_at_risk, tier_down, tier_up

Kind = Trigger.Kind
Finder = Callable[..., Iterable[Occasion]]

FINDERS: dict[str, Finder] = {
    Kind.EXPIRY.value: expiring_points,
    Kind.EARNED.value: points_earned,
    Kind.REWARD.value: enough_for_reward,
    Kind.TIER_UP.value: tier_up,
    Kind.TIER_DOWN.value: tier_down,
    Kind.TIER_AT_RISK.value: tier_at_risk,
    Kind.WELCOME.value: welcome_series,
    Kind.FIRST_PURCHASE.value: first_purchase,
    Kind.INACTIVITY.value: inactivity,
    Kind.BIRTHDAY.value: birthday,
    Kind.IMPORTANT_DATE.value: important_date,
    Kind.AVG_CHECK_DROP.value: falling_average_check,
    Kind.BROADCAST.value: broadcast,
}
