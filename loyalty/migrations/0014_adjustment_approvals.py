"""Four-eyes approval of manual adjustments: the program's approval threshold (5 000 points;
0 turns approvals off) and AdjustmentRequest. Marketers (and admins, as superusers) approve;
analysts only read the requests."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core import roles

ROLES = {
    "marketer": ("view_adjustmentrequest", "approve_adjustment"),
    "analyst": ("view_adjustmentrequest",),
}


def grant(apps, schema_editor):
    roles.grant(apps, "loyalty", ROLES)


def revoke(apps, schema_editor):
    roles.revoke(apps, "loyalty", ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0013_history_import"),
        ("customers", "0012_member_time_zone_topics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="approval_threshold",
            field=models.PositiveIntegerField(
                default=5000,
                help_text=(
                    "A manual adjustment (or a bulk operation in total) of more points than "
                    "this, either way, waits for another staff member's approval; 0: no "
                    "approvals."
                ),
                verbose_name="manual adjustments above this need a second person's approval, "
                "points",
            ),
        ),
        migrations.CreateModel(
            name="AdjustmentRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("points", models.IntegerField(verbose_name="points")),
                ("reason", models.CharField(max_length=500, verbose_name="reason")),
                ("requested_at", models.DateTimeField(verbose_name="requested at")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "waiting for approval"),
                            ("approved", "approved"),
                            ("rejected", "rejected"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="decided at"),
                ),
                (
                    "note",
                    models.CharField(blank=True, default="", max_length=500, verbose_name="note"),
                ),
                (
                    "balance_before",
                    models.IntegerField(blank=True, null=True, verbose_name="balance before"),
                ),
                (
                    "balance_after",
                    models.IntegerField(blank=True, null=True, verbose_name="balance after"),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decided by",
                    ),
                ),
                (
                    "entries",
                    models.ManyToManyField(
                        blank=True,
                        related_name="+",
                        to="loyalty.ledgerentry",
                        verbose_name="ledger entries",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="adjustment_requests",
                        to="customers.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "manual adjustment",
                "verbose_name_plural": "manual adjustments",
                "ordering": ["-requested_at", "-id"],
                "permissions": [
                    ("approve_adjustment", "Can approve a manual adjustment of points")
                ],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "pending")),
                        fields=["requested_at"],
                        name="adjustment_pending",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("points", 0), _negated=True),
                        name="adjustment_points_nonzero",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status", "pending"), ("decided_at__isnull", False), _connector="OR"
                        ),
                        name="adjustment_decided_has_time",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
