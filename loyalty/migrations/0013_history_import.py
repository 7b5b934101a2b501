"""History imports (members, purchases, opening balances moved from another system): the job
and its report; purchases and lots may come from an import. Marketers import, analysts see the
jobs read-only."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import loyalty.models.imports
from core import roles

MARKETER = "marketer"
ANALYST = "analyst"
MARKETER_PERMISSIONS = (
    "add_historyimport",
    "change_historyimport",
    "view_historyimport",
    "view_historyimportproblem",
)
ANALYST_PERMISSIONS = ("view_historyimport", "view_historyimportproblem")
CHANNELS = [
    ("till", "till"),
    ("eshop", "e-shop"),
    ("api", "API"),
    ("import", "history import"),
]


def grant(apps, schema_editor):
    roles.grant(apps, "loyalty", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})


def revoke(apps, schema_editor):
    roles.revoke(apps, "loyalty", {MARKETER: MARKETER_PERMISSIONS, ANALYST: ANALYST_PERMISSIONS})


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0012_guest_checks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="guestcheck",
            name="channel",
            field=models.CharField(
                choices=CHANNELS, default="api", max_length=10, verbose_name="channel"
            ),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="channel",
            field=models.CharField(
                choices=CHANNELS, default="api", max_length=10, verbose_name="channel"
            ),
        ),
        migrations.AlterField(
            model_name="pointlot",
            name="source",
            field=models.CharField(
                choices=[
                    ("earn", "purchase"),
                    ("bonus", "bonus"),
                    ("adjust", "manual adjustment"),
                    ("import", "opening balance (history import)"),
                ],
                max_length=10,
                verbose_name="source",
            ),
        ),
        migrations.CreateModel(
            name="HistoryImport",
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
                        choices=[
                            ("members", "members"),
                            ("purchases", "purchases"),
                            ("balances", "opening balances"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                (
                    "file",
                    models.FileField(
                        storage=loyalty.models.imports.import_storage,
                        upload_to="history/%Y/%m/",
                        verbose_name="file",
                    ),
                ),
                (
                    "file_name",
                    models.CharField(
                        blank=True, default="", max_length=255, verbose_name="file name"
                    ),
                ),
                ("dry_run", models.BooleanField(default=True, verbose_name="dry run")),
                ("language", models.CharField(default="ru", max_length=10)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "queued"),
                            ("running", "running"),
                            ("done", "done"),
                            ("failed", "failed"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "rows_total",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="rows"),
                ),
                (
                    "rows_processed",
                    models.PositiveIntegerField(default=0, verbose_name="rows processed"),
                ),
                ("rows_imported", models.PositiveIntegerField(default=0, verbose_name="imported")),
                (
                    "rows_skipped",
                    models.PositiveIntegerField(default=0, verbose_name="already imported"),
                ),
                (
                    "rows_failed",
                    models.PositiveIntegerField(default=0, verbose_name="rows with errors"),
                ),
                (
                    "failure",
                    models.TextField(blank=True, default="", verbose_name="why the job stopped"),
                ),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                (
                    "started_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="started at"),
                ),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
                ),
                (
                    "checked_by",
                    models.ForeignKey(
                        blank=True,
                        help_text="The dry run of the same file this import followed.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="runs",
                        to="loyalty.historyimport",
                        verbose_name="dry run",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "partner",
                    models.ForeignKey(
                        blank=True,
                        help_text="For purchase rows that name no partner.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="loyalty.partner",
                        verbose_name="partner",
                    ),
                ),
            ],
            options={
                "verbose_name": "history import",
                "verbose_name_plural": "history imports",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="HistoryImportProblem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("row", models.PositiveIntegerField(verbose_name="row")),
                (
                    "column",
                    models.CharField(blank=True, default="", max_length=100, verbose_name="column"),
                ),
                ("message", models.CharField(max_length=500, verbose_name="message")),
                ("skipped", models.BooleanField(default=False, verbose_name="already imported")),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="problems",
                        to="loyalty.historyimport",
                    ),
                ),
            ],
            options={
                "verbose_name": "import problem",
                "verbose_name_plural": "import problems",
                "ordering": ["job", "row", "id"],
                "indexes": [
                    models.Index(fields=["job", "skipped", "row"], name="history_problem_by_job")
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
