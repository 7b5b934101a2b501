"""Webhooks to partners: endpoints, events, deliveries and their attempts, the sweep's cursors;
the two beat jobs (find events every 30 s, send what is due every minute); and the roles:
marketers manage endpoints and read the delivery log (and send deliveries again), analysts
read both."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core import roles

MARKETER = "marketer"
ANALYST = "analyst"
MARKETER_PERMISSIONS = (
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookendpoint",
    "view_webhookdelivery",
)
ANALYST_PERMISSIONS = ("view_webhookendpoint", "view_webhookdelivery")

FIND = ("Find webhook events", "campaigns.tasks.find_webhook_events")
SEND = ("Send webhooks whose time has come", "campaigns.tasks.send_due_webhooks")


def forwards(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_30s, _created = interval_model.objects.get_or_create(every=30, period="seconds")
    task_model.objects.get_or_create(
        name=FIND[0], defaults={"task": FIND[1], "interval": every_30s}
    )
    every_minute, _created = crontab_model.objects.get_or_create(
        minute="*",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    task_model.objects.get_or_create(
        name=SEND[0], defaults={"task": SEND[1], "crontab": every_minute}
    )
    roles.grant(apps, "campaigns", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})


def backwards(apps, schema_editor):
    roles.revoke(apps, "campaigns", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[FIND[0], SEND[0]]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("loyalty", "0012_guest_checks"),
        ("campaigns", "0012_monthly_report"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("url", models.URLField(max_length=500, verbose_name="URL")),
                (
                    "secret",
                    models.CharField(editable=False, max_length=100, verbose_name="signing secret"),
                ),
                (
                    "previous_secret",
                    models.CharField(blank=True, default="", editable=False, max_length=100),
                ),
                (
                    "previous_secret_until",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
                (
                    "secret_rotated_at",
                    models.DateTimeField(editable=False, verbose_name="secret made at"),
                ),
                ("event_types", models.JSONField(default=list, verbose_name="events")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                ("updated_at", models.DateTimeField(verbose_name="updated at")),
                (
                    "partner",
                    models.ForeignKey(
                        blank=True,
                        help_text=(
                            "With a partner, the endpoint gets the points events of that "
                            "partner's purchases only; members, tiers, rewards and expired "
                            "points go to every subscribed endpoint."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="loyalty.partner",
                        verbose_name="partner",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook endpoint",
                "verbose_name_plural": "webhook endpoints",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=100, unique=True, verbose_name="key")),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("member.created", "member joined"),
                            ("points.earned", "points earned"),
                            ("points.redeemed", "points redeemed"),
                            ("points.expired", "points expired"),
                            ("tier.changed", "tier changed"),
                            ("reward.issued", "reward issued"),
                            ("test", "test event"),
                        ],
                        max_length=20,
                        verbose_name="type",
                    ),
                ),
                ("data", models.JSONField(default=dict, verbose_name="data")),
                ("occurred_at", models.DateTimeField(verbose_name="happened at")),
                ("created_at", models.DateTimeField(verbose_name="found at")),
                (
                    "partner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="loyalty.partner",
                        verbose_name="partner",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook event",
                "verbose_name_plural": "webhook events",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "pending"),
                            ("delivered", "delivered"),
                            ("failed", "failed"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Since it was last queued (sending again resets).",
                        verbose_name="attempts",
                    ),
                ),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
                ),
                (
                    "last_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last attempt at"),
                ),
                (
                    "last_status_code",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="last answer"
                    ),
                ),
                (
                    "last_error",
                    models.CharField(
                        blank=True, default="", max_length=500, verbose_name="last error"
                    ),
                ),
                (
                    "delivered_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="delivered at"),
                ),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="campaigns.webhookendpoint",
                        verbose_name="endpoint",
                    ),
                ),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="campaigns.webhookevent",
                        verbose_name="event",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "pending")),
                        fields=["next_attempt_at"],
                        name="webhook_delivery_due",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event", "endpoint"), name="webhook_delivery_once_per_endpoint"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="WebhookAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="at")),
                (
                    "status_code",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="answer"),
                ),
                (
                    "response_excerpt",
                    models.CharField(
                        blank=True, default="", max_length=500, verbose_name="response"
                    ),
                ),
                (
                    "error",
                    models.CharField(blank=True, default="", max_length=500, verbose_name="error"),
                ),
                ("duration_ms", models.PositiveIntegerField(default=0, verbose_name="took, ms")),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attempt_log",
                        to="campaigns.webhookdelivery",
                        verbose_name="delivery",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook attempt",
                "verbose_name_plural": "webhook attempts",
                "ordering": ["delivery", "at", "id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookCursor",
            fields=[
                (
                    "source",
                    models.CharField(max_length=20, primary_key=True, serialize=False),
                ),
                ("last_id", models.BigIntegerField(default=0)),
                ("safe_id", models.BigIntegerField(default=0)),
                ("mark_id", models.BigIntegerField(default=0)),
                ("mark_at", models.DateTimeField()),
                ("swept_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "webhook cursor",
                "verbose_name_plural": "webhook cursors",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
