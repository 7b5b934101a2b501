"""The desk's own data: the log of what cashiers did."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeskActivity(models.Model):
    """What a cashier did at the desk: every lookup, enrolment, purchase and refund."""

    class Action(models.TextChoices):
        LOOKUP = "lookup", _("lookup")
        ENROLL = "enroll", _("enrolment")
        PURCHASE = "purchase", _("purchase")
        REFUND = "refund", _("refund")
        DENIED = "denied", _("refused (rate limit)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        on_delete=models.PROTECT,
        related_name="desk_activity",
    )
    store = models.ForeignKey(
        "loyalty.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    query = models.CharField(_("query (masked)"), max_length=100, blank=True, default="")
    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("desk activity")
        verbose_name_plural = _("desk activity")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "action", "created_at"])]
