"""program_metrics: the program's figures for a period and a scope (docs/METRICS.md).

Days that have been rolled up (campaigns.metrics.rollups) are read from their stored rows; the
others (today, or any day not rolled up yet) are computed live by the same SQL
(campaigns.metrics.sql), so a figure does not depend on which days were stored.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from campaigns.metrics.definitions import METRICS
from campaigns.metrics.errors import UnknownScope, WrongPeriod
from campaigns.metrics.results import (
    CampaignROI,
    CohortRow,
    DailyFigures,
    ExpiryMonth,
    ProgramMetrics,
    TierMove,
    TierShare,
)
from campaigns.models import (
    Award,
    Campaign,
    CohortActivity,
    DailyBuyers,
    DailyMetrics,
    ExpiryForecast,
    MetricsDay,
    MetricsMonth,
)
from customers.models import Member
from loyalty.models import Partner, Store, Tier, TierChange
from loyalty.money import add_months
from loyalty.services.program import get_program, program_zone
from loyalty.store import metrics as store

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0.00")
COHORT_MONTHS = 12
FORECAST_MONTHS = 12
TOP_CAMPAIGNS = 10
# More live gaps than this between rolled-up days: read everything from the first gap live.
MAX_LIVE_RANGES = 8


def ratio(numerator, denominator) -> Decimal | None:
    """numerator / denominator to 4 places; None when either is undefined or the denominator
    is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


def money(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_per(numerator, denominator) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return money(Decimal(numerator) / Decimal(denominator))


def day_start(zone, day: dt.date) -> dt.datetime:
    """The moment `day` begins in the program's time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def resolve_scope(*, partner_id: int | None, store_id: int | None) -> tuple[int, int]:
    """(kind, id) of the scope; a store wins over its partner. Unknown ids are refused."""
    if store_id is not None:
        found = Store.objects.filter(pk=store_id).only("partner_id").first()
        if found is None:
            raise UnknownScope(fields={"store": [f"No store with id {store_id}."]})
        if partner_id is not None and found.partner_id != partner_id:
            raise UnknownScope(
                fields={"store": [f"Store {store_id} does not belong to partner {partner_id}."]}
            )
        return store.STORE, store_id
    if partner_id is not None:
        if not Partner.objects.filter(pk=partner_id).exists():
            raise UnknownScope(fields={"partner": [f"No partner with id {partner_id}."]})
        return store.PARTNER, partner_id
    return store.PROGRAM, 0


def live_ranges(*, covered: list[dt.date], end: dt.date) -> tuple[list, dt.date | None]:
    """The ranges of days up to `end` that have no stored rollup, as (first day or None for
    "from the beginning", last day); and the day from which stored rows must be ignored
    (None: use every stored day), when the gaps are too many to read one by one."""
    ranges: list[tuple[dt.date | None, dt.date]] = []
    previous: dt.date | None = None
    for day in covered:
        if day > end:
            break
        first = None if previous is None else previous + dt.timedelta(days=1)
        if first is None or first < day:
            ranges.append((first, day - dt.timedelta(days=1)))
        previous = day
    if previous is None:
        ranges = [(None, end)]
    elif previous < end:
        ranges.append((previous + dt.timedelta(days=1), end))
    if len(ranges) > MAX_LIVE_RANGES:
        first_gap = ranges[1][0]  # the history before the first rolled-up day stays one range
        return [ranges[0], (first_gap, end)], first_gap
    return ranges, None


ACQUISITION_KINDS = (Campaign.Kind.WELCOME.value, Campaign.Kind.REFERRAL.value)


def additive_rows(*, zone: str, since, until, scopes, params):
    """The day-level additive rows (loyalty.store.metrics.additive_rows) with the campaigns'
    acquisition bonuses: welcome and referral awards."""
    return store.additive_rows(
        zone=zone,
        since=since,
        until=until,
        scopes=scopes,
        params=params,
        award_model=Award,
        campaign_model=Campaign,
        kinds=ACQUISITION_KINDS,
    )


class _Source:
    """Stored rows of the rolled-up days UNION live rows of the other days, for some scopes."""

    def __init__(self, *, zone, end: dt.date, scopes, live_only: bool):
        self.zone = zone
        self.end = end
        self.scopes = scopes
        covered = (
            []
            if live_only
            else list(
                MetricsDay.objects.filter(day__lte=end)
                .order_by("day")
                .values_list("day", flat=True)
            )
        )
        self.ranges, self.stored_before = live_ranges(covered=covered, end=end)
        if live_only:
            self.stored_before = dt.date.min

    def _union(self, model, columns, builder, params, since_or_first=None):
        live_parts = []
        for first, last in self.ranges:
            since = None if first is None else day_start(self.zone, first)
            until = day_start(self.zone, last + dt.timedelta(days=1))
            live_parts.append(
                builder(
                    zone=self.zone.key, since=since, until=until, scopes=self.scopes, params=params
                )
            )
        return store.stored_union(
            model,
            columns,
            scopes=self.scopes,
            end=self.end,
            before=self.stored_before,
            live_parts=live_parts,
            params=params,
            since_or_first=since_or_first,
        )

    def additive(self, params):
        columns = ("day", "scope_kind", "scope_id", *store.ADDITIVE_COLUMNS)
        return self._union(DailyMetrics, columns, additive_rows, params)

    def buyers(self, params, *, since: dt.date):
        """Buyer rows of days from `since` on, and first purchases of any day."""
        return self._union(
            DailyBuyers, store.BUYER_COLUMNS, store.buyer_rows, params, since_or_first=since
        )


def _additive(source: _Source, *, scope, start: dt.date, end: dt.date):
    """Per-day sums of the scope's additive columns for days in [start, end], the sums of the
    days before `start` (under the key None), and the program's joins and expiries per day."""
    params = store.Params()
    rows = {}
    for row in store.additive_sums(
        source.additive(params), scope=scope, start=start, end=end, params=params
    ):
        values = {
            name: (value or 0)
            for name, value in zip(store.ADDITIVE_COLUMNS, row[1:-2], strict=True)
        }
        values["program_new_members"] = row[-2] or 0
        values["program_expired"] = row[-1] or 0
        rows[row[0]] = values
    return rows


def _buyers(source: _Source, *, scope, start: dt.date, end: dt.date, prev_start: dt.date):
    params = store.Params()
    active, new_buyers, first_two, active_prev, ever = store.buyer_sums(
        source.buyers(params, since=prev_start),
        scope=scope,
        start=start,
        end=end,
        prev_start=prev_start,
        params=params,
    )
    return {
        "active": active,
        "new_buyers": new_buyers,
        "repeat": first_two - active,
        "active_prev": active_prev,
        "ever": ever,
    }


def _cohorts(*, zone, scope, end: dt.date, now: dt.datetime, live_only: bool) -> list[CohortRow]:
    last = month_start(end)
    months = [add_months(last, -i) for i in range(COHORT_MONTHS - 1, -1, -1)]
    first_ts = day_start(zone, months[0])
    after_ts = day_start(zone, add_months(last, 1))
    sizes = store.members_by_join_month(zone=zone.key, since=first_ts, until=after_ts)
    kind, sid = scope
    activity: dict[tuple[dt.date, dt.date], int] = {}
    stored = (
        {}
        if live_only
        else {row.month: row.through_day for row in MetricsMonth.objects.filter(month__in=months)}
    )
    if stored:
        for row in CohortActivity.objects.filter(
            scope_kind=kind, scope_id=sid, month__in=list(stored), join_month__in=months
        ):
            activity[(row.join_month, row.month)] = row.members
    live = []
    for month in months:
        next_month = add_months(month, 1)
        through = stored.get(month)
        if through is not None and through >= next_month - dt.timedelta(days=1):
            continue
        since = month if through is None else through + dt.timedelta(days=1)
        live.append(
            (month, day_start(zone, month), day_start(zone, since), day_start(zone, next_month))
        )
    if live:
        params = store.Params()
        statement = store.cohort_rows(zone=zone.key, months=live, scopes=[scope], params=params)
        for month, _kind, _sid, join_month, members in store.fetch(statement, params):
            key = (join_month, month)
            activity[key] = activity.get(key, 0) + members
    rows = []
    for cohort in months:
        size = sizes.get(cohort, 0)
        shares = []
        for i in range(COHORT_MONTHS):
            month = add_months(cohort, i)
            shares.append(None if month > last else ratio(activity.get((cohort, month), 0), size))
        rows.append(CohortRow(month=cohort, members=size, shares=shares))
    return rows


def _expiry_forecast(
    *, zone, now: dt.datetime, point_value: Decimal, live_only: bool
) -> tuple[list[ExpiryMonth], dt.datetime | None]:
    """Points of live lots by the month of their last day, this month and the next 11: as the
    nightly rollup counted them (and when), or counted now when there is no such count."""
    first = month_start(now.astimezone(zone).date())
    months = [add_months(first, i) for i in range(FORECAST_MONTHS)]
    stored = (
        []
        if live_only
        else list(ExpiryForecast.objects.filter(month__gte=first, month__lte=months[-1]))
    )
    if stored:
        rows, as_of = {row.month: row.points for row in stored}, stored[0].computed_at
    else:
        rows, as_of = live_expiry_forecast(zone=zone, now=now), None
    forecast = [
        ExpiryMonth(
            month=month,
            points=int(rows.get(month) or 0),
            rub=money(int(rows.get(month) or 0) * point_value),
        )
        for month in months
    ]
    return forecast, as_of


def live_expiry_forecast(*, zone, now: dt.datetime) -> dict:
    """{first day of a month: points of live lots whose last day is in it}, this month and the
    next FORECAST_MONTHS (one more than shown, so a count made on the last night of a month
    still covers the dashboard's next twelve)."""
    first = month_start(now.astimezone(zone).date())
    return store.live_points_by_expiry_month(
        zone=zone.key, after=now, until=day_start(zone, add_months(first, FORECAST_MONTHS + 1))
    )


def _tier_distribution() -> list[TierShare]:
    tiers = (
        Tier.objects.annotate(members=Count("accounts"))
        .filter(Q(is_active=True) | Q(members__gt=0))
        .order_by("min_spend", "order")
    )
    return [TierShare(tier=tier.display_name, members=tier.members) for tier in tiers]


def _tier_movements(*, since: dt.datetime, until: dt.datetime) -> list[TierMove]:
    names = {tier.pk: tier.display_name for tier in Tier.objects.all()}
    rows = (
        TierChange.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("from_tier_id", "to_tier_id")
        .annotate(count=Count("id"))
        .order_by("-count", "from_tier_id", "to_tier_id")
    )
    return [
        TierMove(
            from_tier=names.get(row["from_tier_id"]),
            to_tier=names[row["to_tier_id"]],
            count=row["count"],
        )
        for row in rows
    ]


def _top_campaigns(*, since: dt.datetime, until: dt.datetime, now: dt.datetime):
    from campaigns.reports import campaign_report

    campaigns = (
        Campaign.objects.exclude(state=Campaign.State.DRAFT)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lt=until))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gte=since))
    )
    reports = [campaign_report(campaign=campaign, now=min(now, until)) for campaign in campaigns]
    reports.sort(key=lambda r: (r.roi is None, -(r.roi or 0), r.campaign.pk))
    return [
        CampaignROI(
            campaign_id=report.campaign.pk,
            name=report.campaign.name,
            cost=report.cost,
            incremental_revenue=report.incremental_revenue,
            roi=report.roi,
        )
        for report in reports[:TOP_CAMPAIGNS]
    ]


def program_metrics(
    *,
    start: dt.date,
    end: dt.date,
    partner_id: int | None = None,
    store_id: int | None = None,
    now: dt.datetime,
    live_only: bool = False,
) -> ProgramMetrics:
    """The program's figures for the whole days [start, end] (program's time zone) in the
    program, one partner's or one store's scope. `live_only` ignores the stored rollups (a
    check of them; slow on a big history)."""
    if start > end:
        raise WrongPeriod(fields={"start": ["The period starts after it ends."]})
    scope = resolve_scope(partner_id=partner_id, store_id=store_id)
    program = get_program()
    zone = program_zone(program)
    point_value = program.point_value
    length = (end - start).days + 1
    prev_start = start - dt.timedelta(days=length)
    since, until = day_start(zone, start), day_start(zone, end + dt.timedelta(days=1))

    scopes = [scope] if scope[0] == store.PROGRAM else [(store.PROGRAM, 0), scope]
    source = _Source(zone=zone, end=end, scopes=scopes, live_only=live_only)
    by_day = _additive(source, scope=scope, start=start, end=end)
    buyers = _buyers(
        _Source(zone=zone, end=end, scopes=[scope], live_only=live_only),
        scope=scope,
        start=start,
        end=end,
        prev_start=prev_start,
    )

    period = dict.fromkeys(store.ADDITIVE_COLUMNS, 0)
    cumulative = dict.fromkeys(store.ADDITIVE_COLUMNS, 0)
    daily = []
    for offset in range(length):
        day = start + dt.timedelta(days=offset)
        row = by_day.get(day)
        if row is not None:
            for name in store.ADDITIVE_COLUMNS:
                period[name] += row[name]
        daily.append(
            DailyFigures(
                day=day,
                checks=int(row["checks"]) if row else 0,
                guest_checks=int(row["guest_checks"]) if row else 0,
                revenue_members=money(row["paid"] - row["refunded"]) if row else ZERO,
                new_members=int(row["program_new_members"]) if row else 0,
                points_issued=int(row["points_issued"]) if row else 0,
                points_redeemed=int(row["points_redeemed"]) if row else 0,
                points_expired=int(row["program_expired"]) if row else 0,
            )
        )
    for row in by_day.values():
        for name in store.ADDITIVE_COLUMNS:
            cumulative[name] += row[name]

    checks, guest_checks = int(period["checks"]), int(period["guest_checks"])
    active, new_buyers = buyers["active"], buyers["new_buyers"]
    retention = ratio(active - new_buyers, buyers["active_prev"])
    issued, redeemed = int(period["points_issued"]), int(period["points_redeemed"])
    expired = int(period["points_expired"])
    outstanding = int(cumulative["points_delta"])
    program_cost = money(redeemed * point_value)
    acquisition = money(int(period["acquisition_points"]) * point_value)
    average_members = money_per(period["checks_total"], checks)
    average_others = money_per(period["guest_total"], guest_checks)
    roi = None
    if checks and guest_checks and program_cost:
        gain = (
            Decimal(period["checks_total"]) - Decimal(period["guest_total"]) * checks / guest_checks
        )
        roi = ratio(gain - program_cost, program_cost)
    members = Member.objects.filter(created_at__lt=until, erased_at__isnull=True).count()
    new_members = int(period["new_members"])

    figures = {
        "members": members,
        "new_members": new_members,
        "checks": checks,
        "guest_checks": guest_checks,
        "card_share": ratio(checks, checks + guest_checks),
        "active_members": active,
        "new_buyers": new_buyers,
        "retention_rate": retention,
        "churn_rate": None if retention is None else Decimal(1) - retention,
        "repeat_purchase_rate": ratio(buyers["repeat"], active),
        "purchase_frequency": ratio(checks, active),
        "average_check_members": average_members,
        "average_check_others": average_others,
        "revenue_members": money(period["paid"] - period["refunded"]),
        "ltv": money_per(cumulative["paid"] - cumulative["refunded"], buyers["ever"]),
        "points_issued": issued,
        "points_redeemed": redeemed,
        "points_expired": expired,
        "points_taken_back": int(period["points_taken_back"]),
        "points_outstanding": outstanding,
        "liability": money(outstanding * point_value),
        "redemption_rate": ratio(redeemed, issued),
        "breakage": ratio(expired, redeemed + expired),
        "program_cost": program_cost,
        "program_roi": roi,
        "cost_per_new_member": money_per(acquisition, new_members),
        "cost_per_retained_member": money_per(program_cost - acquisition, active - new_buyers),
    }
    if scope[0] != store.PROGRAM:
        for metric in METRICS:
            if metric.program_wide:
                figures[metric.key] = None
    figures = {metric.key: figures[metric.key] for metric in METRICS}
    forecast, forecast_as_of = _expiry_forecast(
        zone=zone, now=now, point_value=point_value, live_only=live_only
    )

    return ProgramMetrics(
        start=start,
        end=end,
        partner_id=partner_id
        if scope[0] == store.PARTNER
        else (Store.objects.get(pk=scope[1]).partner_id if scope[0] == store.STORE else None),
        store_id=store_id if scope[0] == store.STORE else None,
        figures=figures,
        daily=daily,
        expiry_forecast=forecast,
        expiry_forecast_as_of=forecast_as_of,
        tier_distribution=_tier_distribution(),
        tier_movements=_tier_movements(since=since, until=until),
        top_campaigns=_top_campaigns(since=since, until=until, now=now),
        cohorts=_cohorts(zone=zone, scope=scope, end=end, now=now, live_only=live_only),
    )
