from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Program(models.Model):
    """The loyalty program's rules; one row per installation (pk=1)."""

    class RefundPolicy(models.TextChoices):
        DEBT = "debt", _("debt: the balance owes points, repaid from future earnings")
        WITHHOLD = "withhold", _("withhold: the shortfall is kept from the cash refund")

    class RedeemConfirmation(models.TextChoices):
        OFF = "off", _("off: a phone number or card number is enough to spend points")
        REQUIRED = "required", _("required: a code sent to the member or the cabinet's live QR")

    class DowngradePolicy(models.TextChoices):
        NONE = "none", _("never downgrade")
        ONE_DOWN = "one_down", _("one tier down per review")
        TO_QUALIFIED = "to_qualified", _("down to the tier the spend qualifies for")

    name = models.CharField(_("program name"), max_length=100, default="Копилка")
    point_value = models.DecimalField(
        _("value of one point, ₽"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    max_redeem_percent = models.DecimalField(
        _("max share of a check payable with points, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("30"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    points_lifetime_months = models.PositiveSmallIntegerField(
        _("points lifetime, months"), default=6, validators=[MinValueValidator(1)]
    )
    activation_delay_days = models.PositiveSmallIntegerField(_("activation delay, days"), default=0)
    earn_on_redeemed = models.BooleanField(_("earn on the part paid with points"), default=False)
    refund_policy = models.CharField(
        _("refund policy when earned points are already spent"),
        max_length=10,
        choices=RefundPolicy.choices,
        default=RefundPolicy.WITHHOLD,
    )
    min_check_for_earning = models.DecimalField(
        _("minimum check for earning, ₽"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    tier_window_months = models.PositiveSmallIntegerField(
        _("tier qualification window, months (0 = lifetime)"), default=12
    )
    tier_downgrade_policy = models.CharField(
        _("tier downgrade policy"),
        max_length=15,
        choices=DowngradePolicy.choices,
        default=DowngradePolicy.ONE_DOWN,
    )
    tier_grace_days = models.PositiveSmallIntegerField(_("tier grace period, days"), default=30)
    rules_text = models.TextField(_("program rules (Russian)"), blank=True, default="")
    rules_text_en = models.TextField(_("program rules (English)"), blank=True, default="")
    join_consent_text = models.TextField(_("personal data consent text"), blank=True, default="")
    desk_lookups_per_minute = models.PositiveSmallIntegerField(
        _("cashier desk lookups per cashier per minute"), default=30
    )
    # A real shop does not let a phone number alone spend someone's points: proof that the
    # member is at the till is required by default (installs that predate it keep "off").
    redeem_confirmation = models.CharField(
        _("proof of presence to spend points"),
        max_length=10,
        choices=RedeemConfirmation.choices,
        default=RedeemConfirmation.REQUIRED,
    )
    shares_members = models.BooleanField(
        _("partners share members (coalition)"),
        default=False,
        help_text=_(
            "Off: a partner reads (by id or phone) only members who joined through it or bought "
            "at its stores; a lookup by card or live QR is always allowed."
        ),
    )
    max_bonus_per_check = models.PositiveIntegerField(
        _("campaign bonus cap per check, points"),
        null=True,
        blank=True,
        help_text=_("All campaign bonuses of one check together; empty: no cap."),
    )
    approval_threshold = models.PositiveIntegerField(
        _("manual adjustments above this need a second person's approval, points"),
        default=5000,
        help_text=_(
            "A manual adjustment (or a bulk operation in total) of more points than this, either "
            "way, waits for another staff member's approval; 0: no approvals."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("program settings")
        verbose_name_plural = _("program settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="program_singleton")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @property
    def needs_redeem_confirmation(self) -> bool:
        return self.redeem_confirmation == self.RedeemConfirmation.REQUIRED

    @property
    def rules(self) -> str:
        return (
            self.rules_text_en
            if get_language() == "en" and self.rules_text_en
            else (self.rules_text)
        )


class Tier(models.Model):
    """A level of the program: qualifying spend threshold and earn rate."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Russian)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True, default="")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    min_spend = models.DecimalField(
        _("qualifying spend from, ₽"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    rubles_per_point = models.DecimalField(
        _("₽ per point"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    privileges = models.TextField(_("privileges (Russian), one per line"), blank=True, default="")
    privileges_en = models.TextField(
        _("privileges (English), one per line"), blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["min_spend", "order"]
        constraints = [
            models.CheckConstraint(condition=Q(rubles_per_point__gt=0), name="tier_rate_positive"),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="tier_min_spend_nonneg"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name

    @property
    def percent(self) -> Decimal:
        """The earn rate as a percent of the money paid (1 per 50 ₽ at 1 ₽ a point = 2 %)."""
        return (Decimal(100) / self.rubles_per_point).quantize(Decimal("0.01"))

    @property
    def privilege_list(self) -> list[str]:
        text = (
            self.privileges_en
            if get_language() == "en" and self.privileges_en
            else (self.privileges)
        )
        return [line.strip() for line in text.splitlines() if line.strip()]


class TierChange(models.Model):
    """Every change of a member's tier: who, from, to, why, when."""

    class Reason(models.TextChoices):
        UPGRADE = "upgrade", _("qualifying spend reached the threshold")
        REVIEW = "review", _("periodic review")
        PIN = "pin", _("pinned by staff")
        UNPIN = "unpin", _("pin removed by staff")
        ENROLL = "enroll", _("joined the program")

    account = models.ForeignKey(
        "loyalty.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="tier_changes",
    )
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to tier"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True, default="")
    qualifying_spend = models.DecimalField(
        _("qualifying spend"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_tier or '—'} → {self.to_tier}"
