"""Triggered messages: what the platform tells members, when, through which channel.

A `Trigger` finds occasions (points about to expire, 60 days without a purchase, a birthday…),
and campaigns/messaging.py turns each into at most one `Message` per (member, trigger,
occasion): it checks the channel's marketing consent and the member's choices, the frequency cap
and quiet hours, logs the outcome, and hands what may go to a Celery queue. Templates are per
trigger, channel and language. Service messages (login codes) never pass through here.
"""

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("push")


class MessagingSettings(models.Model):
    """The rules every trigger shares (one row): the frequency cap and quiet hours."""

    cap_messages = models.PositiveSmallIntegerField(
        _("at most messages"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Marketing messages one member may get in the period, across all triggers."),
    )
    cap_days = models.PositiveSmallIntegerField(
        _("per days"), default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    quiet_start = models.TimeField(
        _("quiet hours from"),
        default=dt.time(21, 0),
        help_text=_("In the member's time zone; a message due then waits for the morning."),
    )
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(9, 0))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self) -> str:
        return str(_("messaging settings"))

    @classmethod
    def current(cls) -> "MessagingSettings":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class Trigger(models.Model):
    class Kind(models.TextChoices):
        EXPIRY = "expiry", _("points expiring in N days")
        EARNED = "earned", _("points earned after a purchase")
        REWARD = "reward", _("enough points for a reward")
        TIER_UP = "tier_up", _("tier up")
        TIER_DOWN = "tier_down", _("tier down")
        TIER_AT_RISK = "tier_at_risk", _("tier at risk")
        WELCOME = "welcome", _("welcome series")
        FIRST_PURCHASE = "first_purchase", _("thanks for the first purchase")
        INACTIVITY = "inactivity", _("no purchase for N days")
        BIRTHDAY = "birthday", _("birthday in N days")
        IMPORTANT_DATE = "important_date", _("an important date")
        AVG_CHECK_DROP = "avg_check_drop", _("falling average check")
        BROADCAST = "broadcast", _("one-off broadcast to a segment")

    class Topic(models.TextChoices):
        """What a message is about: the member's notification choices are per topic and channel
        (customers.NotificationPreference.Kind)."""

        EXPIRY = "expiry", _("points about to expire")
        POINTS = "points", _("points earned and rewards")
        TIER = "tier", _("tier changes")
        OFFERS = "offers", _("offers and campaigns")
        BIRTHDAY = "birthday", _("birthdays and important dates")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    topic = models.CharField(
        _("topic"),
        max_length=10,
        choices=Topic.choices,
        help_text=_("Members switch messages off per topic and channel."),
    )
    enabled = models.BooleanField(_("on"), default=False)
    params = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'The kind\'s own numbers, e.g. <code>{"days": 3}</code>; '
            "see <code>docs/MESSAGING.md</code>."
        ),
    )
    channels = models.JSONField(
        _("channels, in order"),
        default=list,
        help_text=_(
            "The first channel the member allows and can be reached by is used, e.g. "
            '["push", "email", "sms"].'
        ),
    )
    segment = models.ForeignKey(
        "campaigns.Segment",
        verbose_name=_("only for segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="triggers",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("bonus through campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="triggers",
        help_text=_("Optional: the event campaign whose bonus the message announces and gives."),
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout, %"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("This share of members is not sent the message, to measure its effect."),
    )
    conversion_days = models.PositiveSmallIntegerField(
        _("conversion window, days"), default=7, validators=[MinValueValidator(1)]
    )
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("For a broadcast: when it goes out.")
    )
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class MessageTemplate(models.Model):
    """A trigger's words for one channel and language, with {{ variables }}."""

    trigger = models.ForeignKey(
        Trigger, verbose_name=_("trigger"), on_delete=models.CASCADE, related_name="templates"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=[("ru", "Русский"), ("en", "English")]
    )
    subject = models.CharField(_("subject / title"), max_length=200, blank=True, default="")
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML (e-mail)"), blank=True, default="")

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["trigger", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "channel", "language"], name="message_template_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} · {self.get_channel_display()} · {self.language}"


class Message(models.Model):
    """One occasion of one trigger for one member, and what became of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("suppressed")

    class Reason(models.TextChoices):
        """Why a message was not sent (suppressed, failed) or waited (queued)."""

        NONE = "", _("—")
        CONSENT = "consent", _("no marketing consent for any channel")
        PREFERENCE = "preference", _("the member switched this topic off")
        NO_ADDRESS = "no_address", _("no phone, e-mail or push subscription")
        CAP = "cap", _("frequency cap reached")
        QUIET_HOURS = "quiet_hours", _("waited for the end of quiet hours")
        HOLDOUT = "holdout", _("held out to measure the effect")
        NO_TEMPLATE = "no_template", _("no template for the member's channel")
        INACTIVE = "inactive", _("membership not active")
        STALE = "stale", _("occasion passed before it could be sent")
        ERROR = "error", _("the channel refused or failed")

    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    trigger = models.ForeignKey(
        Trigger, verbose_name=_("trigger"), on_delete=models.PROTECT, related_name="messages"
    )
    occasion = models.CharField(
        _("occasion"),
        max_length=100,
        help_text=_("What the message is about, e.g. the expiry date; one message per occasion."),
    )
    topic = models.CharField(_("topic"), max_length=10, choices=Trigger.Topic.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, blank=True, default=""
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(
        _("why"), max_length=12, choices=Reason.choices, blank=True, default=""
    )
    address = models.CharField(_("to"), max_length=500, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=200, blank=True, default="")
    body = models.TextField(_("text"), blank=True, default="")
    html = models.TextField(_("HTML (e-mail)"), blank=True, default="")
    context = models.JSONField(_("variables"), default=dict, blank=True)
    send_after = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "trigger", "occasion"], name="message_once_per_occasion"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-created_at"], name="message_member_recent"),
            models.Index(fields=["trigger", "status", "reason"], name="message_trigger_status"),
            models.Index(
                fields=["send_after"],
                condition=Q(status="queued"),
                name="message_queued_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} → {self.member_id} ({self.occasion})"


class PushSubscription(models.Model):
    """A browser's Web Push subscription made from the cabinet (VAPID)."""

    member = models.ForeignKey(
        "customers.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        indexes = [models.Index(fields=["member"], name="push_subscription_member")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.endpoint[:60]}"
