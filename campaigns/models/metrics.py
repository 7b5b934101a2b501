"""Daily rollups of the program's figures (campaigns/metrics/): what the dashboard sums instead
of reading millions of purchases. Written only by campaigns.metrics.rollups, one transaction per
day (that day's rows deleted and inserted anew), so any day can be computed again.

A scope is (scope_kind, scope_id): 0 = the whole program (id 0), 1 = a partner, 2 = a store.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2, "default": Decimal("0.00")}


class MetricsDay(models.Model):
    """A day whose rollup rows are stored; days without one are read live."""

    day = models.DateField(_("day"), primary_key=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class DailyMetrics(models.Model):
    """The additive figures of one day in one scope."""

    day = models.DateField(_("day"))
    scope_kind = models.PositiveSmallIntegerField(_("scope"))
    scope_id = models.BigIntegerField(_("partner or store"))
    checks = models.IntegerField(default=0)
    checks_total = models.DecimalField(**MONEY)
    paid = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)
    guest_checks = models.IntegerField(default=0)
    guest_total = models.DecimalField(**MONEY)
    points_issued = models.BigIntegerField(default=0)
    points_redeemed = models.BigIntegerField(default=0)
    points_expired = models.BigIntegerField(default=0)
    points_taken_back = models.BigIntegerField(default=0)
    points_delta = models.BigIntegerField(default=0)
    new_members = models.IntegerField(default=0)
    acquisition_points = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        constraints = [
            models.UniqueConstraint(
                fields=["scope_kind", "scope_id", "day"], name="daily_metrics_once_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope_kind}:{self.scope_id}"


class DailyBuyers(models.Model):
    """Purchases of one day in one scope counted by how far back the member's previous
    (k=1) or second-previous (k=2) purchase in that scope was: back_day NULL = none. Sums of
    these give distinct buyers of any range of days exactly (docs/METRICS.md)."""

    day = models.DateField(_("day"))
    scope_kind = models.PositiveSmallIntegerField(_("scope"))
    scope_id = models.BigIntegerField(_("partner or store"))
    k = models.PositiveSmallIntegerField()
    back_day = models.DateField(null=True, blank=True)
    members = models.IntegerField()

    class Meta:
        verbose_name = _("daily buyers")
        verbose_name_plural = _("daily buyers")
        indexes = [
            models.Index(fields=["scope_kind", "scope_id", "day"], name="daily_buyers_by_scope"),
            models.Index(fields=["day"], name="daily_buyers_by_day"),
            # First purchases in a scope: summed over all days up to the end (buyers ever).
            models.Index(
                fields=["scope_kind", "scope_id", "day"],
                condition=models.Q(back_day__isnull=True),
                name="daily_first_buyers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope_kind}:{self.scope_id} k={self.k}"


class MetricsMonth(models.Model):
    """A purchase month whose cohort rows are stored, counted up to `through_day`."""

    month = models.DateField(_("month"), primary_key=True)
    through_day = models.DateField(_("counted through"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("rolled-up month")
        verbose_name_plural = _("rolled-up months")
        ordering = ["-month"]

    def __str__(self) -> str:
        return self.month.isoformat()


class CohortActivity(models.Model):
    """Distinct members who joined in `join_month` and bought in `month` in one scope."""

    month = models.DateField(_("month"))
    scope_kind = models.PositiveSmallIntegerField(_("scope"))
    scope_id = models.BigIntegerField(_("partner or store"))
    join_month = models.DateField(_("joined in"))
    members = models.IntegerField()

    class Meta:
        verbose_name = _("cohort activity")
        verbose_name_plural = _("cohort activity")
        constraints = [
            models.UniqueConstraint(
                fields=["scope_kind", "scope_id", "month", "join_month"],
                name="cohort_activity_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.scope_kind}:{self.scope_id} ← {self.join_month}"


class ExpiryForecast(models.Model):
    """Points of live lots by the month they expire, as the nightly rollup found them: reading
    every live lot on each dashboard view costs seconds on a large program."""

    month = models.DateField(_("month"), primary_key=True)
    points = models.BigIntegerField(_("points"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("expiry forecast month")
        verbose_name_plural = _("expiry forecast")
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.points}"
