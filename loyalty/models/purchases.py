from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


def rubles(amount) -> str:
    """An amount as the active language writes it: "5 000,00" in Russian, "5,000.00" in English."""
    return number_format(amount, 2, force_grouping=True)


class Purchase(models.Model):
    """A check: what was bought, how much was paid with points, what was earned."""

    class Channel(models.TextChoices):
        TILL = "till", _("till")
        ESHOP = "eshop", _("e-shop")
        API = "api", _("API")
        IMPORT = "import", _("history import")  # moved from another system: no points

    # partner and member have no index of their own: the unique (partner, external_id) and
    # purchase_by_member (member, occurred_at) start with them.
    partner = models.ForeignKey(
        "loyalty.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="purchases",
        db_index=False,
    )
    store = models.ForeignKey(
        "loyalty.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchases",
    )
    external_id = models.CharField(_("check number"), max_length=100)
    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="purchases",
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("bought at"))
    total = models.DecimalField(_("check total"), **MONEY)
    discount = models.DecimalField(_("paid with points, ₽"), **MONEY, default=ZERO)
    redeemed_points = models.IntegerField(_("points redeemed"), default=0)
    earned_points = models.IntegerField(_("points earned"), default=0)
    bonus_points = models.IntegerField(
        _("bonus points"), default=0, help_text=_("Given by campaigns on top of the points earned.")
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.API
    )
    earn_base = models.DecimalField(_("amount points were earned on"), **MONEY, default=ZERO)
    tier = models.ForeignKey(
        "loyalty.Tier",
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refunded_total = models.DecimalField(_("refunded, ₽"), **MONEY, default=ZERO)
    refunded_discount = models.DecimalField(_("refunded points payment, ₽"), **MONEY, default=ZERO)
    returned_points = models.IntegerField(_("points returned"), default=0)
    clawed_back_points = models.IntegerField(_("points clawed back"), default=0)
    forfeited_points = models.IntegerField(
        _("redeemed points not returned (their lot expired)"), default=0
    )
    # The balance right after this purchase: part of its answer to the till, which a partner
    # API replay of the purchase's Idempotency-Key gives again (None: recorded before 0007).
    available_after = models.IntegerField(_("points available after"), null=True, blank=True)
    pending_after = models.IntegerField(_("points pending after"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True, default="")
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
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"], name="purchase_external_id_per_partner"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="purchase_total_positive"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=F("total")),
                name="purchase_discount_within_total",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=F("total")),
                name="purchase_refund_within_total",
            ),
            models.CheckConstraint(
                condition=Q(returned_points__gte=0)
                & Q(forfeited_points__gte=0)
                & Q(returned_points__lte=F("redeemed_points") - F("forfeited_points")),
                name="purchase_return_within_redeemed",
            ),
            models.CheckConstraint(
                condition=Q(clawed_back_points__gte=0)
                & Q(clawed_back_points__lte=F("earned_points")),
                name="purchase_clawback_within_earned",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "occurred_at"], name="purchase_by_member"),
            # A replay of a partner's Idempotency-Key finds its purchase by it.
            models.Index(
                fields=["partner", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="purchase_by_idempotency_key",
            ),
            # The metrics' rollup reads one day of purchases (and looks for late ones by the
            # time they were recorded); a BRIN index costs next to nothing on the purchase path.
            BrinIndex(fields=["occurred_at", "created_at"], name="purchase_by_time_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({rubles(self.total)} ₽)"

    # A sale at the desk without the till's check number gets `desk-<form token>` as its unique
    # external id; people see the purchase's own number instead (the desk's slip prints it).
    GENERATED_PREFIX = "desk-"

    @property
    def number(self) -> str:
        """The check number as people see it: the till's, or "№ <id>" for a desk sale that had
        none."""
        if self.external_id.startswith(self.GENERATED_PREFIX):
            return f"№ {self.pk}"
        return self.external_id

    @property
    def paid(self) -> Decimal:
        """Money paid (the check total less the part paid with points)."""
        return self.total - self.discount

    @property
    def refundable_total(self) -> Decimal:
        return self.total - self.refunded_total


class PurchaseBonus(models.Model):
    """Points a purchase got on top of what it earned, as handed to the ledger by whoever
    recorded it (the campaigns). A refund takes them back: in proportion to the money refunded,
    or whole when the money kept falls below `keep_from` (a bigger-check step the check no
    longer reaches).

    `campaign_id` names the campaign for the campaigns' reports; it is a plain number because
    the ledger does not depend on the campaigns.
    """

    purchase = models.ForeignKey(
        Purchase, verbose_name=_("purchase"), on_delete=models.CASCADE, related_name="bonuses"
    )
    campaign_id = models.PositiveIntegerField(_("campaign"))
    label = models.CharField(_("name"), max_length=200)
    points = models.PositiveIntegerField(_("points"))
    keep_from = models.DecimalField(
        _("kept while the money paid is at least, ₽"), **MONEY, null=True, blank=True
    )
    lot = models.ForeignKey(
        "loyalty.PointLot",
        verbose_name=_("points lot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    clawed_back_points = models.PositiveIntegerField(_("points clawed back"), default=0)

    class Meta:
        verbose_name = _("purchase bonus")
        verbose_name_plural = _("purchase bonuses")
        constraints = [
            models.CheckConstraint(
                condition=Q(clawed_back_points__lte=F("points")),
                name="purchase_bonus_clawback_within_points",
            ),
        ]
        indexes = [models.Index(fields=["campaign_id"], name="purchase_bonus_by_campaign")]

    def __str__(self) -> str:
        return f"{self.label}: {self.points}"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(
        Purchase, verbose_name=_("purchase"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    category = models.CharField(_("category"), max_length=100, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    price = models.DecimalField(_("price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    redeemable = models.BooleanField(_("points may pay for it"), default=True)
    discount = models.DecimalField(_("paid with points, ₽"), **MONEY, default=ZERO)
    refunded_quantity = models.DecimalField(
        _("refunded quantity"), max_digits=12, decimal_places=3, default=Decimal(0)
    )
    refunded_amount = models.DecimalField(_("refunded amount, ₽"), **MONEY, default=ZERO)
    refunded_discount = models.DecimalField(_("refunded points payment, ₽"), **MONEY, default=ZERO)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="line_amount_nonneg"),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=F("amount")),
                name="line_discount_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_quantity__gte=0) & Q(refunded_quantity__lte=F("quantity")),
                name="line_refund_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class Refund(models.Model):
    """Money (and goods) given back on a purchase, and the points that moved because of it."""

    purchase = models.ForeignKey(
        Purchase, verbose_name=_("purchase"), on_delete=models.PROTECT, related_name="refunds"
    )
    external_id = models.CharField(_("refund number"), max_length=100)
    amount = models.DecimalField(_("refunded goods value, ₽"), **MONEY)
    discount = models.DecimalField(_("of which paid with points, ₽"), **MONEY, default=ZERO)
    clawed_back_points = models.IntegerField(_("points clawed back"), default=0)
    returned_points = models.IntegerField(_("points returned"), default=0)
    forfeited_points = models.IntegerField(_("points not returned (their lot expired)"), default=0)
    shortfall_points = models.IntegerField(_("points already spent"), default=0)
    shortfall_amount = models.DecimalField(
        _("to withhold from the refund, ₽"), **MONEY, default=ZERO
    )
    request_hash = models.CharField(_("request hash"), max_length=64, blank=True, default="")
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True, default="")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("refunded at"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "external_id"], name="refund_external_id_per_purchase"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({rubles(self.amount)} ₽)"

    @property
    def paid_amount(self) -> Decimal:
        return self.amount - self.discount


class RefundLine(models.Model):
    refund = models.ForeignKey(
        Refund, verbose_name=_("refund"), on_delete=models.CASCADE, related_name="lines"
    )
    line = models.ForeignKey(
        PurchaseLine,
        verbose_name=_("purchase line"),
        on_delete=models.PROTECT,
        related_name="refund_lines",
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    amount = models.DecimalField(_("amount"), **MONEY)
    discount = models.DecimalField(_("paid with points, ₽"), **MONEY, default=ZERO)

    class Meta:
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")

    def __str__(self) -> str:
        return f"{self.line.sku} × {self.quantity}"
