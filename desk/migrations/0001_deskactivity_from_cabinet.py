# The desk's activity log moves from the cabinet app: the model joins desk's state on the
# existing table (no rows are copied); cabinet drops it from its state in its 0003.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cabinet", "0002_initial"),
        # After the staff groups were set up (customers 0003…), so the move carries their grants.
        ("customers", "0010_marketer_views_data_requests"),
        ("loyalty", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DeskActivity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("lookup", "lookup"),
                                    ("enroll", "enrolment"),
                                    ("purchase", "purchase"),
                                    ("refund", "refund"),
                                    ("denied", "refused (rate limit)"),
                                ],
                                max_length=10,
                                verbose_name="action",
                            ),
                        ),
                        (
                            "query",
                            models.CharField(
                                blank=True,
                                default="",
                                max_length=100,
                                verbose_name="query (masked)",
                            ),
                        ),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(db_index=True, verbose_name="when")),
                        (
                            "member",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="customers.member",
                                verbose_name="member",
                            ),
                        ),
                        (
                            "purchase",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="loyalty.purchase",
                            ),
                        ),
                        (
                            "store",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="loyalty.store",
                                verbose_name="store",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="desk_activity",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="cashier",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "desk activity",
                        "verbose_name_plural": "desk activity",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "cabinet_deskactivity",
                        "indexes": [
                            models.Index(
                                fields=["user", "action", "created_at"],
                                name="cabinet_des_user_id_a44a14_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
