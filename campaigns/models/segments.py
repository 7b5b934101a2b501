"""Segments: named groups of members that campaigns and triggers aim at.

Three kinds: RFM classes (new, active, VIP, at risk, sleeping — by recency, frequency and
monetary value, with thresholds the marketer sets in `RfmSettings`), segments from a rule (the
campaigns' condition language over the member's facts) and static segments from an uploaded list.
Membership is materialised in `SegmentMember` and recomputed incrementally by beat
(campaigns/segments.py); `MemberActivity` keeps each member's RFM facts so that only members whose
purchases changed, or whose time crossed a threshold, are looked at again.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class RfmSettings(models.Model):
    """The thresholds of the RFM classes (one row). Every member is in exactly one class."""

    new_days = models.PositiveSmallIntegerField(
        _("new: joined within, days"),
        default=30,
        help_text=_("A member who joined within this many days and bought at most once is new."),
    )
    active_days = models.PositiveSmallIntegerField(
        _("active: bought within, days"),
        default=60,
        help_text=_("A member whose last purchase is this recent is active (or VIP)."),
    )
    sleeping_days = models.PositiveSmallIntegerField(
        _("sleeping: no purchase for, days"),
        default=180,
        help_text=_(
            "No purchase for longer than this: sleeping. Between the active and sleeping "
            "thresholds: at risk."
        ),
    )
    window_days = models.PositiveSmallIntegerField(
        _("frequency and spend counted over, days"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
    )
    vip_spend = models.DecimalField(
        _("VIP: spent in the window at least, ₽"), **MONEY, default=Decimal("30000")
    )
    vip_purchases = models.PositiveIntegerField(
        _("VIP: purchases in the window at least"),
        default=12,
        help_text=_("An active member is VIP when either VIP threshold is reached."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The recomputation's own bookkeeping (campaigns/segments.py): the `now` of the last run
    # (purchases recorded since then are looked at again), the thresholds it used (other
    # thresholds make the next run full) and the start of a run in progress (no second run).
    recomputed_at = models.DateTimeField(
        _("segments recomputed at"), null=True, blank=True, editable=False
    )
    recomputed_with = models.CharField(
        _("thresholds of the last recomputation"),
        max_length=200,
        blank=True,
        default="",
        editable=False,
    )
    recompute_started_at = models.DateTimeField(
        _("recomputation started at"), null=True, blank=True, editable=False
    )

    # The fields that decide the classes: changing any of them makes the next run full.
    THRESHOLDS = (
        "new_days",
        "active_days",
        "sleeping_days",
        "window_days",
        "vip_spend",
        "vip_purchases",
    )

    class Meta:
        verbose_name = _("RFM thresholds")
        verbose_name_plural = _("RFM thresholds")

    def __str__(self) -> str:
        return str(_("RFM thresholds"))

    @classmethod
    def current(cls) -> "RfmSettings":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class Segment(models.Model):
    class Kind(models.TextChoices):
        RFM = "rfm", _("RFM class")
        RULE = "rule", _("rule")
        STATIC = "static", _("uploaded list")

    class RfmClass(models.TextChoices):
        NEW = "new", _("new")
        ACTIVE = "active", _("active")
        VIP = "vip", _("VIP")
        AT_RISK = "at_risk", _("at risk")
        SLEEPING = "sleeping", _("sleeping")

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("The name campaigns' and triggers' conditions use (the `segment` leaf)."),
    )
    name = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    rfm_class = models.CharField(
        _("RFM class"), max_length=10, choices=RfmClass.choices, blank=True, default=""
    )
    conditions = models.JSONField(
        _("rule"),
        default=dict,
        blank=True,
        help_text=_("For a rule segment: a condition tree over the member's facts."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["rfm_class"],
                condition=models.Q(kind="rfm"),
                name="segment_one_per_rfm_class",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """A member in a segment since a moment; rows come and go as the segment is recomputed."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="memberships"
    )
    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="segment_memberships",
    )
    since = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [
            models.UniqueConstraint(fields=["segment", "member"], name="segment_member_once"),
        ]
        indexes = [models.Index(fields=["member"], name="segment_member_member")]


class SegmentCount(models.Model):
    """A segment's size at the end of a recomputation day: its counts over time."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="counts"
    )
    day = models.DateField(_("day"))
    members = models.PositiveIntegerField(_("members"))
    joined = models.PositiveIntegerField(_("joined"), default=0)
    left = models.PositiveIntegerField(_("left"), default=0)

    class Meta:
        verbose_name = _("segment size")
        verbose_name_plural = _("segment sizes")
        ordering = ["segment", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "day"], name="segment_count_per_day"),
        ]


class MemberActivity(models.Model):
    """One member's purchase facts for RFM classes and triggers, kept up to date incrementally.

    Refreshed for members whose purchases or refunds changed since the last run, and for those
    whose time crossed a threshold (a last purchase growing old, a purchase leaving the window)."""

    member = models.OneToOneField(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="activity",
    )
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    purchases_in_window = models.PositiveIntegerField(_("purchases in the window"), default=0)
    spend_in_window = models.DecimalField(_("spent in the window, ₽"), **MONEY, default=Decimal(0))
    avg_check_recent = models.DecimalField(
        _("average check, last 90 days"), **MONEY, null=True, blank=True
    )
    avg_check_before = models.DecimalField(
        _("average check, the 90 days before"), **MONEY, null=True, blank=True
    )
    rfm_class = models.CharField(
        _("RFM class"), max_length=10, choices=Segment.RfmClass.choices, blank=True, default=""
    )
    next_change_at = models.DateTimeField(
        _("class may change at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("When time alone changes the member's class or figures, if nothing is bought."),
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("member activity")
        verbose_name_plural = _("member activity")
        indexes = [
            models.Index(fields=["rfm_class"], name="member_activity_rfm"),
            models.Index(fields=["last_purchase_at"], name="member_activity_last_purchase"),
        ]
