"""Campaigns: what a marketer runs to give points on top of the program's earn rate.

A campaign is checked against a purchase (promo rates, bigger-check steps, first purchase) or
against an event of the member's life (joining, a completed profile, a birthday, a year of
membership, a referral, a challenge completed). Its conditions are one AND/OR tree
(campaigns/conditions.py), its effect gives points (campaigns/engine.py), its limits are counted
under lock (campaigns/checkout.py, grants.py). Every point given is an `Award` and a ledger
entry of kind "bonus".
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    class Kind(models.TextChoices):
        PROMO = "promo", _("promo rate on purchases")
        STEPS = "steps", _("more points for bigger checks")
        FIRST_PURCHASE = "first_purchase", _("first purchase")
        WELCOME = "welcome", _("welcome on joining")
        PROFILE = "profile", _("profile completed")
        BIRTHDAY = "birthday", _("birthday")
        ANNIVERSARY = "anniversary", _("years of membership")
        REFERRAL = "referral", _("referral")
        CHALLENGE = "challenge", _("achievement / challenge")
        WIN_BACK = "win_back", _("bonus sent with a trigger's message")

    # Kinds checked against each purchase, in its transaction.
    PURCHASE_KINDS = (Kind.PROMO, Kind.STEPS, Kind.FIRST_PURCHASE)

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")

    class Status(models.TextChoices):
        """What the marketer sees: the state and the dates together."""

        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        ENDED = "ended", _("ended")

    class Effect(models.TextChoices):
        MULTIPLIER = "multiplier", _("multiply the points earned (×N)")
        PERCENT = "percent", _("percent of the points earned (+N %)")
        FIXED = "fixed", _("fixed number of points")
        PER_AMOUNT = "per_amount", _("N points per amount spent")

    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Stable name for export and import (staging → production)."),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(
        _("description for members"), blank=True, default="", help_text=_("Shown in Offers.")
    )
    description_en = models.TextField(
        _("description for members (English)"), blank=True, default=""
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PROMO)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)

    conditions = models.JSONField(
        _("conditions"),
        default=dict,
        blank=True,
        help_text=_(
            'An AND/OR tree: {"all": [...]} / {"any": [...]} of conditions; empty: always.'
        ),
    )
    lines = models.JSONField(
        _("applies to lines"),
        default=dict,
        blank=True,
        help_text=_(
            'Which lines the effect counts: {"skus": [...], "categories": [...], '
            '"exclude_skus": [...], "exclude_categories": [...]}; empty: the whole check.'
        ),
    )
    effect = models.CharField(
        _("effect"), max_length=12, choices=Effect.choices, default=Effect.MULTIPLIER
    )
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("×N, +N %, N points, or N points per the amount below."),
    )
    per_amount = models.DecimalField(
        _("per amount, ₽"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_('For "N points per amount spent": e.g. 10 points per 100 ₽.'),
    )
    steps = models.JSONField(
        _("steps by check amount"),
        default=list,
        blank=True,
        help_text=_('For bigger checks: [{"from": "3000", "points": 50}, {"from": "5000", …}].'),
    )
    params = models.JSONField(
        _("event parameters"),
        default=dict,
        blank=True,
        help_text=_("For event bonuses and challenges: see <code>docs/CAMPAIGNS.md</code>."),
    )

    bonus_lifetime_days = models.PositiveSmallIntegerField(
        _("bonus lives, days"),
        null=True,
        blank=True,
        help_text=_("A burning bonus: expires this many days after it is given; empty: as points."),
    )
    activation_delay_days = models.PositiveSmallIntegerField(
        _("bonus activation delay, days"),
        null=True,
        blank=True,
        help_text=_("Empty: the program's delay."),
    )

    stacking_group = models.CharField(
        _("stacking group"),
        max_length=50,
        default="default",
        help_text=_("Inside a group the best bonus wins; bonuses of different groups add up."),
    )
    exclusive = models.BooleanField(
        _("exclusive"), default=False, help_text=_("When it applies, no other campaign does.")
    )
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Breaks ties: the higher wins.")
    )
    max_points_per_check = models.PositiveIntegerField(
        _("cap per check, points"), null=True, blank=True
    )

    budget_points = models.PositiveIntegerField(_("budget, points"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("uses at most"), null=True, blank=True)
    spent_points = models.PositiveIntegerField(_("points given"), default=0, editable=False)
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    member_limit_day = models.PositiveSmallIntegerField(
        _("per member per day"), null=True, blank=True
    )
    member_limit_month = models.PositiveSmallIntegerField(
        _("per member per 30 days"), null=True, blank=True
    )
    member_limit_total = models.PositiveSmallIntegerField(
        _("per member in total"), null=True, blank=True
    )

    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout, %"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "A stable share of eligible members gets nothing, to measure the campaign's effect."
        ),
    )
    early_access_tiers = models.ManyToManyField(
        "loyalty.Tier", verbose_name=_("early access for tiers"), blank=True, related_name="+"
    )
    early_access_days = models.PositiveSmallIntegerField(
        _("early access, days"),
        default=0,
        help_text=_("These tiers may use the campaign this many days before it starts."),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_points__isnull=True)
                | Q(spent_points__lte=models.F("budget_points")),
                name="campaign_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="campaign_within_uses",
            ),
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=50), name="campaign_holdout_at_most_half"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_purchase_kind(self) -> bool:
        return self.kind in self.PURCHASE_KINDS

    def status_at(self, now=None) -> str:
        now = now or timezone.now()
        if self.state == self.State.DRAFT:
            return self.Status.DRAFT
        if self.ends_at is not None and self.ends_at <= now:
            return self.Status.ENDED
        if self.state == self.State.PAUSED:
            return self.Status.PAUSED
        if self.starts_at is not None and self.starts_at > now:
            return self.Status.SCHEDULED
        return self.Status.RUNNING

    @property
    def status(self) -> str:
        return self.status_at()

    def clean(self):
        from campaigns.validation import validate_campaign

        errors = validate_campaign(self)
        if errors:
            raise ValidationError(errors)


class Award(models.Model):
    """A campaign's bonus to one member: on a purchase or for an event (its `occasion`, which
    makes it once only: "welcome", "birthday:2026", "referee:42"…). A held-out member gets an
    award of 0 points marked `held_out`, so the report can compare the two groups."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="awards"
    )
    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occasion = models.CharField(_("occasion"), max_length=64, blank=True, default="")
    points = models.PositiveIntegerField(_("points"), default=0)
    held_out = models.BooleanField(_("held out"), default=False)
    entry = models.ForeignKey(
        "loyalty.LedgerEntry",
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lot = models.ForeignKey(
        "loyalty.PointLot",
        verbose_name=_("points lot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("given at"))

    class Meta:
        verbose_name = _("campaign award")
        verbose_name_plural = _("campaign awards")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member", "occasion"],
                condition=~Q(occasion=""),
                name="award_once_per_occasion",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "campaign", "created_at"], name="award_by_member"),
            models.Index(fields=["campaign", "created_at"], name="award_by_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.points}"


class ChallengeProgress(models.Model):
    """How far a member is in a challenge ("5 visits in a month"), as of their last purchase:
    `done` of `target` stamps, and when it was completed (its bonus is then given once). The
    numbers are always recomputed from the member's purchases (campaigns/challenges.py), so a
    refund or a missed update is made right by the next one."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="challenge_progress",
    )
    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    done = models.PositiveSmallIntegerField(_("stamps collected"), default=0)
    target = models.PositiveSmallIntegerField(_("stamps needed"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("challenge progress")
        verbose_name_plural = _("challenge progress")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member"], name="challenge_progress_once_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.done}/{self.target}"


class MemberFingerprint(models.Model):
    """A keyed digest (HMAC with the site's secret) of a member's phone or canonical e-mail,
    kept from the day they join, so that the referral rules recognise a person who was already a
    member — who closed their account, had their data erased and joins again with the same
    phone or e-mail — without keeping the phone or e-mail itself (campaigns/events.py)."""

    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    digest = models.CharField(_("digest"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("member fingerprint")
        verbose_name_plural = _("member fingerprints")
        constraints = [
            models.UniqueConstraint(fields=["member", "digest"], name="member_fingerprint_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.digest[:8]}…"
