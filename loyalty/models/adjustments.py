from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loyalty.models.ledger import MEMBER_TEXT_LENGTH


class AdjustmentRequest(models.Model):
    """One manual adjustment of a member's points: applied at once when within the program's
    approval threshold (status approved, decided by nobody), otherwise pending until another
    staff member approves or rejects it. Keeps the entries it wrote and the balance around them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="adjustment_requests",
    )
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=500)  # staff-only
    member_text = models.CharField(
        _("text for the member"), max_length=MEMBER_TEXT_LENGTH, blank=True, default=""
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    entries = models.ManyToManyField(
        "loyalty.LedgerEntry", verbose_name=_("ledger entries"), blank=True, related_name="+"
    )
    balance_before = models.IntegerField(_("balance before"), null=True, blank=True)
    balance_after = models.IntegerField(_("balance after"), null=True, blank=True)

    class Meta:
        verbose_name = _("manual adjustment")
        verbose_name_plural = _("manual adjustments")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_adjustment", _("Can approve a manual adjustment of points"))]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="adjustment_points_nonzero"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="adjustment_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(status="pending"),
                name="adjustment_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
