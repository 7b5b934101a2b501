from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff user: admin, marketer or cashier. Customers log in as members, not users.
    (A cashier's store is kept by loyalty: loyalty.StaffAssignment.)"""

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")


# The time zones of Russia, for a member's quiet hours (empty: the program's).
TIME_ZONES = [
    ("", _("the program's time zone")),
    ("Europe/Kaliningrad", _("Kaliningrad (UTC+2)")),
    ("Europe/Moscow", _("Moscow (UTC+3)")),
    ("Europe/Samara", _("Samara (UTC+4)")),
    ("Asia/Yekaterinburg", _("Yekaterinburg (UTC+5)")),
    ("Asia/Omsk", _("Omsk (UTC+6)")),
    ("Asia/Novosibirsk", _("Novosibirsk (UTC+7)")),
    ("Asia/Krasnoyarsk", _("Krasnoyarsk (UTC+7)")),
    ("Asia/Irkutsk", _("Irkutsk (UTC+8)")),
    ("Asia/Yakutsk", _("Yakutsk (UTC+9)")),
    ("Asia/Vladivostok", _("Vladivostok (UTC+10)")),
    ("Asia/Magadan", _("Magadan (UTC+11)")),
    ("Asia/Kamchatka", _("Kamchatka (UTC+12)")),
]


class Member(models.Model):
    """A participant of the loyalty program."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    class Channel(models.TextChoices):
        DESK = "desk", _("cashier desk")
        CABINET = "cabinet", _("cabinet")
        API = "api", _("partner API")
        IMPORT = "import", _("import")
        ADMIN = "admin", _("back-office")

    phone = models.CharField(_("phone"), max_length=16, unique=True, help_text=_("E.164"))
    email = models.EmailField(_("e-mail"), blank=True, default="")
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    card_number = models.CharField(_("card number"), max_length=13, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    channel = models.CharField(
        _("enrollment channel"), max_length=10, choices=Channel.choices, default=Channel.ADMIN
    )
    referral_code = models.CharField(_("referral code"), max_length=12, unique=True, editable=False)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    language = models.CharField(
        _("language"), max_length=8, default="ru", choices=[("ru", "Русский"), ("en", "English")]
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        choices=TIME_ZONES,
        help_text=_("For quiet hours; empty: the program's time zone."),
    )
    closure_requested_at = models.DateTimeField(_("closure requested at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    erased_at = models.DateTimeField(
        _("personal data erased at"),
        null=True,
        blank=True,
        help_text=_("Names, contacts and card replaced by placeholders; points history kept."),
    )
    # The moment of joining: now, unless a history import keeps the date a member joined the
    # shop's previous program (welcome bonuses and series count from it).
    created_at = models.DateTimeField(_("joined at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="member_email_unique_ci"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "blocked", "closed"]), name="member_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.card_number})"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Consent(models.Model):
    """One grant of consent; withdrawing it stamps `withdrawn_at`. Rows are never deleted."""

    class Kind(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("personal data processing")
        MARKETING_EMAIL = "marketing_email", _("marketing e-mail")
        MARKETING_SMS = "marketing_sms", _("marketing SMS")
        PUSH = "push", _("push notifications")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    given_at = models.DateTimeField(_("given at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, help_text=_("Where it was given."))
    text_version = models.CharField(_("text version"), max_length=20)
    text = models.TextField(
        _("text"), blank=True, default="", help_text=_("The exact text the member agreed to.")
    )
    withdrawn_source = models.CharField(_("withdrawn where"), max_length=20, blank=True, default="")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        constraints = [
            # At most one live (not withdrawn) grant per member and kind.
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_live_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.given_at:%Y-%m-%d}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class ImportantDate(models.Model):
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="important_dates"
    )
    label = models.CharField(_("label"), max_length=100)
    date = models.DateField(_("date"))
    yearly = models.BooleanField(_("every year"), default=True)

    class Meta:
        verbose_name = _("important date")
        verbose_name_plural = _("important dates")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.label}: {self.date}"


class NotificationPreference(models.Model):
    """A member's choice for one channel and kind of message. An absent row means the default:
    on when the member gave that channel's marketing consent, off otherwise."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")
        PUSH = "push", _("push")

    class Kind(models.TextChoices):
        EXPIRY = "expiry", _("points about to expire")
        POINTS = "points", _("points earned and rewards")
        TIER = "tier", _("tier changes")
        OFFERS = "offers", _("offers and campaigns")
        BIRTHDAY = "birthday", _("birthdays and important dates")

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["member", "channel", "kind"], name="notif_pref_unique")
        ]


class DataRequest(models.Model):
    """A member's personal-data request that was carried out: a copy of their data handed
    out or their data erased — who asked, through what and when (152-FZ). Never changed."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("copy of the data")
        ERASURE = "erasure", _("erasure")

    class Source(models.TextChoices):
        CABINET = "cabinet", _("cabinet")
        ADMIN = "admin", _("back-office")
        SCHEDULE = "schedule", _("after closure (scheduled)")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="data_requests"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    staff = models.ForeignKey(
        User,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.created_at:%Y-%m-%d %H:%M}"


class LoginCode(models.Model):
    """A one-time code sent to a phone or e-mail for cabinet login; only its hash is stored."""

    target = models.CharField(_("phone or e-mail"), max_length=254, db_index=True)
    code_hash = models.CharField(max_length=128)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        indexes = [models.Index(fields=["ip", "created_at"])]


class PersonalDataAccess(models.Model):
    """One time members' personal data left the back-office (today: an admin export): who took
    it, when, which list and columns, how many rows, and the filter or selection used. Written
    once by `customers.personal_data`, never changed or deleted."""

    class Action(models.TextChoices):
        EXPORT = "export", _("export")

    user = models.ForeignKey(
        User,
        verbose_name=_("staff user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    resource = models.CharField(_("resource"), max_length=100)
    model = models.CharField(_("list"), max_length=100, help_text=_("app_label.model"))
    row_count = models.PositiveIntegerField(_("rows"))
    columns = models.JSONField(_("columns"), default=list)
    filters = models.JSONField(
        _("filters"), default=dict, help_text=_("The list's search and filters.")
    )
    selection = models.JSONField(
        _("selection"), default=list, blank=True, help_text=_("Rows picked by hand, if any.")
    )
    file_format = models.CharField(_("file format"), max_length=20)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("export_personal_data", _("Can export members' personal data"))]

    def __str__(self) -> str:
        return f"{self.username}: {self.get_action_display()} {self.model} ({self.row_count})"


class RateCounter(models.Model):
    """Hits of one rate-limit key (a phone, an IP, a user name, an API key) in its current
    window, shared by every server process (customers/ratelimit.py)."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")
