from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loyalty.models.purchases import MONEY, Purchase


class GuestCheck(models.Model):
    """A check the till sent without a member: no points move, it is kept for analytics only
    (the share of checks with a card, the average check of members against other customers)."""

    partner = models.ForeignKey(
        "loyalty.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="guest_checks",
        db_index=False,
    )
    store = models.ForeignKey(
        "loyalty.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guest_checks",
    )
    external_id = models.CharField(_("check number"), max_length=100)
    occurred_at = models.DateTimeField(_("bought at"))
    total = models.DecimalField(_("check total"), **MONEY)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Purchase.Channel.choices, default=Purchase.Channel.API
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("check without a card")
        verbose_name_plural = _("checks without a card")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"], name="guest_check_external_id_per_partner"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="guest_check_total_positive"),
        ]
        indexes = [models.Index(fields=["occurred_at"], name="guest_check_by_time")]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.total} ₽)"
