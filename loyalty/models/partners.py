from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class Partner(models.Model):
    """A business that sells to members: our own shops, an e-shop, a partner store chain."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="stores"
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["partner__name", "name"]

    def __str__(self) -> str:
        return f"{self.partner.name} — {self.name}"


class StaffAssignment(models.Model):
    """The store a staff user works at (a cashier's till): desk purchases, refunds and activity
    are recorded against it. Kept beside the stores, since members and staff accounts know
    nothing of stores."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="store_assignment",
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        on_delete=models.CASCADE,
        related_name="staff_assignments",
        help_text=_("The store a cashier works at; desk operations are recorded against it."),
    )

    class Meta:
        verbose_name = _("store of a staff user")
        verbose_name_plural = _("stores of staff users")

    def __str__(self) -> str:
        return str(self.store)


class PartnerAPIKey(AbstractAPIKey):
    """A partner's API key; stored hashed, revocable, with an optional expiry."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="api_keys"
    )
    # The library's fields, as it defines them, with labels in the admin's language: its own
    # verbose names are plain English strings.
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    hashed_key = models.CharField(_("key hash"), max_length=150, editable=False)
    created = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        blank=False,
        default=None,
        help_text=_("Any name to tell the key apart, up to 50 characters."),
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("A revoked key no longer works; this cannot be undone."),
    )
    expiry_date = models.DateTimeField(
        _("valid until"),
        blank=True,
        null=True,
        help_text=_("After this moment the key no longer works."),
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")


class IdempotencyRecord(models.Model):
    """A partner write request seen under an Idempotency-Key, and the response it got."""

    # No index of its own: the unique (partner, key) starts with it.
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="idempotency_partner_key")
        ]

    @property
    def is_in_progress(self) -> bool:
        return self.response_status is None
