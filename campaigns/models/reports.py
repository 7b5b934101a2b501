"""The monthly report's delivery log: one row per month whose PDF was e-mailed to marketers, so
beat's re-runs and a second worker never send a month twice (campaigns/monthly_report.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyReportDelivery(models.Model):
    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    sent_at = models.DateTimeField(_("sent at"))
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        verbose_name = _("monthly report delivery")
        verbose_name_plural = _("monthly report deliveries")
        ordering = ["-month"]
        permissions = [("download_monthly_report", _("Can download the monthly program report"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="monthly_report_month_is_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
