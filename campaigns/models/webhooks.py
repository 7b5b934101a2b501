"""Webhooks to partners (docs/API.md, "Webhooks"): the endpoints partners registered, the events
found in the committed rows, one delivery per event and endpoint with its attempts, and the
cursors of the sweep that finds the events (campaigns/webhooks/)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    MEMBER_CREATED = "member.created", _("member joined")
    POINTS_EARNED = "points.earned", _("points earned")
    POINTS_REDEEMED = "points.redeemed", _("points redeemed")
    POINTS_EXPIRED = "points.expired", _("points expired")
    TIER_CHANGED = "tier.changed", _("tier changed")
    REWARD_ISSUED = "reward.issued", _("reward issued")
    TEST = "test", _("test event")


# What an endpoint may subscribe to (the test event goes only where staff send it).
SUBSCRIBABLE = [choice for choice in EventType.choices if choice[0] != EventType.TEST]


class WebhookEndpoint(models.Model):
    """A partner's URL that receives the events it subscribed to, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    previous_secret = models.CharField(
        _("previous secret"), max_length=100, blank=True, default="", editable=False
    )
    previous_secret_until = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    secret_rotated_at = models.DateTimeField(_("secret made at"), editable=False)
    event_types = models.JSONField(_("events"), default=list)
    partner = models.ForeignKey(
        "loyalty.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "With a partner, the endpoint gets the points events of that partner's purchases "
            "only; members, tiers, rewards and expired points go to every subscribed endpoint."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookEvent(models.Model):
    """Something that happened, once: `key` names its source row(s), so finding it again
    writes nothing. `partner` is the purchase's partner of a points event (its scope)."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=EventType.choices)
    partner = models.ForeignKey(
        "loyalty.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict)
    occurred_at = models.DateTimeField(_("happened at"))
    created_at = models.DateTimeField(_("found at"))

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: pending until a 2xx answer (delivered) or the last retry
    (failed)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    event = models.ForeignKey(
        WebhookEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("Since it was last queued (sending again resets).")
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="webhook_delivery_once_per_endpoint"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, the answer's status and first characters, or the error."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True, default="")
    error = models.CharField(_("error"), max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("took, ms"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class WebhookCursor(models.Model):
    """Where the sweep of one source table stands. Rows above `safe_id` are read again on every
    sweep (their transactions may have committed after a later id's): `mark_id` is the last id
    seen at `mark_at`, and becomes `safe_id` once the lookback has passed since then."""

    source = models.CharField(max_length=20, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    safe_id = models.BigIntegerField(default=0)
    mark_id = models.BigIntegerField(default=0)
    mark_at = models.DateTimeField()
    swept_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook cursor")
        verbose_name_plural = _("webhook cursors")

    def __str__(self) -> str:
        return f"{self.source}: {self.safe_id}..{self.last_id}"
