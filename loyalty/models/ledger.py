from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The longest text a manual adjustment may carry for the member (entries, requests, bulk ops).
MEMBER_TEXT_LENGTH = 300


class Account(models.Model):
    """A member's points account: a cache of the ledger, updated in the same transaction.

    available + pending - debt == sum(entry.points); pending == sum(entry.pending_change);
    available + pending == sum(lot.remaining).
    """

    member = models.OneToOneField(
        "customers.Member",
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="account",
    )
    available = models.IntegerField(_("available points"), default=0)
    pending = models.IntegerField(_("pending points"), default=0)
    debt = models.IntegerField(_("points owed"), default=0)
    lifetime_earned = models.BigIntegerField(_("earned in total"), default=0)
    lifetime_spend = models.DecimalField(
        _("money paid in total, less refunds"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        help_text=_(
            "An upper bound of the qualifying spend: below the next tier's threshold, "
            "a purchase need not sum the window."
        ),
    )
    tier = models.ForeignKey(
        "loyalty.Tier", verbose_name=_("tier"), on_delete=models.PROTECT, related_name="accounts"
    )
    pinned_tier = models.ForeignKey(
        "loyalty.Tier",
        verbose_name=_("pinned tier (floor)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tier_since = models.DateTimeField(_("tier since"))
    below_tier_since = models.DateTimeField(
        _("spend below the tier threshold since"),
        null=True,
        blank=True,
        help_text=_("Set by the tier review; the tier is kept until the grace period ends."),
    )
    purchases_count = models.PositiveIntegerField(
        _("purchases"), default=0, db_default=0, help_text=_("Checks recorded (refunds keep them).")
    )
    created_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="account_available_nonneg"),
            models.CheckConstraint(condition=Q(pending__gte=0), name="account_pending_nonneg"),
            models.CheckConstraint(condition=Q(debt__gte=0), name="account_debt_nonneg"),
        ]

    def __str__(self) -> str:
        return str(self.member)

    @property
    def balance(self) -> int:
        return self.available + self.pending - self.debt


class PointLot(models.Model):
    """Points from one accrual. Spent earliest-expiring first; burnt at `expires_at`."""

    class Source(models.TextChoices):
        EARN = "earn", _("purchase")
        BONUS = "bonus", _("bonus")
        ADJUST = "adjust", _("manual adjustment")
        IMPORT = "import", _("opening balance (history import)")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="lots"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    points = models.IntegerField(_("points"))
    remaining = models.IntegerField(_("remaining"))
    is_pending = models.BooleanField(_("pending"), default=False)
    available_at = models.DateTimeField(_("available from"))
    expires_at = models.DateTimeField(_("expires at"))
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lots",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="lot_points_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="lot_remaining_within_points",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "id"],
                condition=Q(remaining__gt=0),
                name="lot_live_by_account",
            ),
            models.Index(fields=["expires_at"], condition=Q(remaining__gt=0), name="lot_to_burn"),
            models.Index(
                fields=["available_at"], condition=Q(is_pending=True), name="lot_to_activate"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(points)s points (%(left)s left), until %(date)s") % {
            "points": self.points,
            "left": self.remaining,
            "date": date_format(localtime(self.expires_at), "SHORT_DATE_FORMAT"),
        }


class LedgerEntry(models.Model):
    """One change of a member's points. Append-only: never updated or deleted.

    `points` is the signed change of the balance; `pending_change` the signed change of the
    pending part (activation moves points from pending to available: points 0, pending -N).
    """

    class Kind(models.TextChoices):
        EARN = "earn", _("earned")
        REDEEM = "redeem", _("redeemed")
        EXPIRE = "expire", _("expired")
        REFUND_CLAWBACK = "refund_clawback", _("taken back on refund")
        REFUND_RETURN = "refund_return", _("returned on refund")
        ADJUST = "adjust", _("adjustment")
        BONUS = "bonus", _("bonus")
        ACTIVATE = "activate", _("became available")

    # No index of its own: entry_by_account (account_id, created_at, id) starts with it.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    pending_change = models.IntegerField(_("pending change"), default=0)
    lot = models.ForeignKey(
        PointLot,
        verbose_name=_("points lot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    refund = models.ForeignKey(
        "loyalty.Refund",
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner = models.ForeignKey(
        "loyalty.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    # A manual adjustment's optional text for the member (`reason` is staff-only); what the
    # member is shown of an entry is loyalty.selectors.entry_note.
    member_text = models.CharField(
        _("text for the member"),
        max_length=MEMBER_TEXT_LENGTH,
        blank=True,
        default="",
        db_default="",
    )
    expires_at = models.DateTimeField(_("lot expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot"], condition=Q(kind="expire"), name="entry_lot_expires_once"
            ),
            models.UniqueConstraint(
                fields=["lot"], condition=Q(kind="activate"), name="entry_lot_activates_once"
            ),
        ]
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="entry_by_account")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"
