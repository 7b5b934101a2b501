"""Bulk operations (award or deduct points for a segment or an uploaded list, with undo) and
their members. Marketers create, submit and undo them; analysts only read them."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core import roles

ROLES = {
    "marketer": (
        "add_bulkoperation",
        "change_bulkoperation",
        "view_bulkoperation",
        "view_bulkitem",
    ),
    "analyst": ("view_bulkoperation", "view_bulkitem"),
}


def grant(apps, schema_editor):
    roles.grant(apps, "campaigns", ROLES)


def revoke(apps, schema_editor):
    roles.revoke(apps, "campaigns", ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0013_webhooks"),
        ("customers", "0012_member_time_zone_topics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BulkOperation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("award", "award points"), ("deduct", "deduct points")],
                        max_length=10,
                        verbose_name="operation",
                    ),
                ),
                ("points", models.PositiveIntegerField(verbose_name="points per member")),
                ("reason", models.CharField(max_length=450, verbose_name="reason")),
                (
                    "when_short",
                    models.CharField(
                        choices=[
                            ("partial", "deduct what the member has"),
                            ("skip", "skip the member"),
                        ],
                        default="partial",
                        max_length=10,
                        verbose_name="a member with fewer points than deducted",
                    ),
                ),
                (
                    "list_name",
                    models.CharField(
                        blank=True, default="", max_length=200, verbose_name="uploaded list"
                    ),
                ),
                (
                    "list_member_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), blank=True, default=list, size=None
                    ),
                ),
                (
                    "list_rows",
                    models.PositiveIntegerField(default=0, verbose_name="rows in the list"),
                ),
                (
                    "list_not_found",
                    models.JSONField(
                        blank=True, default=list, verbose_name="rows that name nobody"
                    ),
                ),
                (
                    "list_not_found_count",
                    models.PositiveIntegerField(default=0, verbose_name="rows that name nobody"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "draft"),
                            ("awaiting_approval", "waiting for approval"),
                            ("rejected", "rejected"),
                            ("queued", "queued"),
                            ("running", "running"),
                            ("done", "done"),
                        ],
                        default="draft",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="submitted at"),
                ),
                (
                    "requested_points",
                    models.BigIntegerField(
                        blank=True, null=True, verbose_name="points in total (at submission)"
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="approved or rejected at"
                    ),
                ),
                (
                    "decision_note",
                    models.CharField(blank=True, default="", max_length=500, verbose_name="note"),
                ),
                ("total", models.PositiveIntegerField(default=0, verbose_name="members")),
                ("processed", models.PositiveIntegerField(default=0, verbose_name="processed")),
                (
                    "applied",
                    models.PositiveIntegerField(default=0, verbose_name="points moved for"),
                ),
                ("skipped", models.PositiveIntegerField(default=0, verbose_name="skipped")),
                ("points_moved", models.BigIntegerField(default=0, verbose_name="points moved")),
                (
                    "started_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="started at"),
                ),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
                ),
                (
                    "undo_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "not undone"),
                            ("queued", "undo queued"),
                            ("running", "undoing"),
                            ("done", "undone"),
                        ],
                        default="",
                        max_length=10,
                        verbose_name="undo",
                    ),
                ),
                (
                    "undo_requested_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="undo asked at"),
                ),
                (
                    "undo_processed",
                    models.PositiveIntegerField(default=0, verbose_name="undo processed"),
                ),
                ("undo_points", models.BigIntegerField(default=0, verbose_name="points reversed")),
                (
                    "undo_shortfall",
                    models.BigIntegerField(
                        default=0, verbose_name="points not reversed (already spent)"
                    ),
                ),
                (
                    "undo_finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="undone at"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved or rejected by",
                    ),
                ),
                (
                    "segment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaigns.segment",
                        verbose_name="segment",
                    ),
                ),
                (
                    "undo_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="undone by",
                    ),
                ),
            ],
            options={
                "verbose_name": "bulk operation",
                "verbose_name_plural": "bulk operations",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="BulkItem",
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
                        choices=[("pending", "pending"), ("done", "done"), ("skipped", "skipped")],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "skip_reason",
                    models.CharField(
                        blank=True, default="", max_length=20, verbose_name="skipped because"
                    ),
                ),
                ("points", models.IntegerField(default=0, verbose_name="points moved")),
                (
                    "entry_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), blank=True, default=list, size=None
                    ),
                ),
                ("undone", models.BooleanField(default=False, verbose_name="undone")),
                ("undo_points", models.IntegerField(default=0, verbose_name="points reversed")),
                (
                    "undo_shortfall",
                    models.IntegerField(default=0, verbose_name="not reversed (already spent)"),
                ),
                (
                    "undo_entry_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), blank=True, default=list, size=None
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.member",
                        verbose_name="member",
                    ),
                ),
                (
                    "operation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="campaigns.bulkoperation",
                    ),
                ),
            ],
            options={
                "verbose_name": "member of a bulk operation",
                "verbose_name_plural": "members of bulk operations",
            },
        ),
        migrations.AddConstraint(
            model_name="bulkoperation",
            constraint=models.CheckConstraint(
                condition=models.Q(("points__gt", 0)), name="bulk_points_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="bulkoperation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("segment__isnull", True), ("list_member_ids", []), _connector="OR"
                ),
                name="bulk_one_target",
            ),
        ),
        migrations.AddIndex(
            model_name="bulkitem",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["operation", "member"],
                name="bulk_item_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="bulkitem",
            index=models.Index(
                condition=models.Q(("status", "done"), ("undone", False)),
                fields=["operation", "member"],
                name="bulk_item_to_undo",
            ),
        ),
        migrations.AddConstraint(
            model_name="bulkitem",
            constraint=models.UniqueConstraint(
                fields=("operation", "member"), name="bulk_item_once"
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
