"""The audit history of the program settings and tiers (loyalty/models/history.py).

Generated with `makemigrations --dry-run -v 3` (only the audit's operations), then a baseline:
every row that exists when tracking starts gets one "baseline" snapshot, so its first change
shows what it was before.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

TRACKED = {"program": "ProgramEvent", "tier": "TierEvent"}


def snapshot_existing_rows(apps, schema_editor):
    from django.utils import timezone

    now = timezone.now()
    for model_name, event_name in TRACKED.items():
        model = apps.get_model("loyalty", model_name)
        event_model = apps.get_model("loyalty", event_name)
        names = {f.attname for f in event_model._meta.concrete_fields}
        copied = [f.attname for f in model._meta.concrete_fields if f.attname in names]
        event_model.objects.bulk_create(
            event_model(
                pgh_created_at=now,
                pgh_label="baseline",
                pgh_obj_id=row.pk,
                **{name: getattr(row, name) for name in copied},
            )
            for row in model.objects.order_by("pk").iterator()
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0015_metrics_indexes"), ("pghistory", "0007_auto_20250421_0444")]

    operations = [
        migrations.CreateModel(
            name="ProgramEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "name",
                    models.CharField(
                        default="Копилка", max_length=100, verbose_name="program name"
                    ),
                ),
                (
                    "point_value",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("1.00"),
                        max_digits=8,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                        verbose_name="value of one point, ₽",
                    ),
                ),
                (
                    "max_redeem_percent",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("30"),
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0")),
                            django.core.validators.MaxValueValidator(Decimal("100")),
                        ],
                        verbose_name="max share of a check payable with points, %",
                    ),
                ),
                (
                    "points_lifetime_months",
                    models.PositiveSmallIntegerField(
                        default=6,
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="points lifetime, months",
                    ),
                ),
                (
                    "activation_delay_days",
                    models.PositiveSmallIntegerField(
                        default=0, verbose_name="activation delay, days"
                    ),
                ),
                (
                    "earn_on_redeemed",
                    models.BooleanField(
                        default=False, verbose_name="earn on the part paid with points"
                    ),
                ),
                (
                    "refund_policy",
                    models.CharField(
                        choices=[
                            ("debt", "debt: the balance owes points, repaid from future earnings"),
                            ("withhold", "withhold: the shortfall is kept from the cash refund"),
                        ],
                        default="withhold",
                        max_length=10,
                        verbose_name="refund policy when earned points are already spent",
                    ),
                ),
                (
                    "min_check_for_earning",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        verbose_name="minimum check for earning, ₽",
                    ),
                ),
                (
                    "currency",
                    models.CharField(default="RUB", max_length=3, verbose_name="currency"),
                ),
                (
                    "time_zone",
                    models.CharField(
                        default="Europe/Moscow", max_length=64, verbose_name="time zone"
                    ),
                ),
                (
                    "tier_window_months",
                    models.PositiveSmallIntegerField(
                        default=12, verbose_name="tier qualification window, months (0 = lifetime)"
                    ),
                ),
                (
                    "tier_downgrade_policy",
                    models.CharField(
                        choices=[
                            ("none", "never downgrade"),
                            ("one_down", "one tier down per review"),
                            ("to_qualified", "down to the tier the spend qualifies for"),
                        ],
                        default="one_down",
                        max_length=15,
                        verbose_name="tier downgrade policy",
                    ),
                ),
                (
                    "tier_grace_days",
                    models.PositiveSmallIntegerField(
                        default=30, verbose_name="tier grace period, days"
                    ),
                ),
                (
                    "rules_text",
                    models.TextField(
                        blank=True, default="", verbose_name="program rules (Russian)"
                    ),
                ),
                (
                    "rules_text_en",
                    models.TextField(
                        blank=True, default="", verbose_name="program rules (English)"
                    ),
                ),
                (
                    "join_consent_text",
                    models.TextField(
                        blank=True, default="", verbose_name="personal data consent text"
                    ),
                ),
                (
                    "desk_lookups_per_minute",
                    models.PositiveSmallIntegerField(
                        default=30, verbose_name="cashier desk lookups per cashier per minute"
                    ),
                ),
                (
                    "redeem_confirmation",
                    models.CharField(
                        choices=[
                            ("off", "off: a phone number or card number is enough to spend points"),
                            (
                                "required",
                                "required: a code sent to the member or the cabinet's live QR",
                            ),
                        ],
                        default="required",
                        max_length=10,
                        verbose_name="proof of presence to spend points",
                    ),
                ),
                (
                    "shares_members",
                    models.BooleanField(
                        default=False,
                        help_text="Off: a partner reads (by id or phone) only members who joined through it or bought at its stores; a lookup by card or live QR is always allowed.",
                        verbose_name="partners share members (coalition)",
                    ),
                ),
                (
                    "max_bonus_per_check",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="All campaign bonuses of one check together; empty: no cap.",
                        null=True,
                        verbose_name="campaign bonus cap per check, points",
                    ),
                ),
                (
                    "approval_threshold",
                    models.PositiveIntegerField(
                        default=5000,
                        help_text="A manual adjustment (or a bulk operation in total) of more points than this, either way, waits for another staff member's approval; 0: no approvals.",
                        verbose_name="manual adjustments above this need a second person's approval, points",
                    ),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.CreateModel(
            name="TierEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.SlugField(db_index=False, max_length=20, verbose_name="code")),
                ("name", models.CharField(max_length=50, verbose_name="name (Russian)")),
                (
                    "name_en",
                    models.CharField(
                        blank=True, default="", max_length=50, verbose_name="name (English)"
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                (
                    "min_spend",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        verbose_name="qualifying spend from, ₽",
                    ),
                ),
                (
                    "rubles_per_point",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=8,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                        verbose_name="₽ per point",
                    ),
                ),
                (
                    "privileges",
                    models.TextField(
                        blank=True, default="", verbose_name="privileges (Russian), one per line"
                    ),
                ),
                (
                    "privileges_en",
                    models.TextField(
                        blank=True, default="", verbose_name="privileges (English), one per line"
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
            ],
            options={"abstract": False},
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="program",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "loyalty_programevent" ("activation_delay_days", "approval_threshold", "currency", "desk_lookups_per_minute", "earn_on_redeemed", "id", "join_consent_text", "max_bonus_per_check", "max_redeem_percent", "min_check_for_earning", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "point_value", "points_lifetime_months", "redeem_confirmation", "refund_policy", "rules_text", "rules_text_en", "shares_members", "tier_downgrade_policy", "tier_grace_days", "tier_window_months", "time_zone") VALUES (NEW."activation_delay_days", NEW."approval_threshold", NEW."currency", NEW."desk_lookups_per_minute", NEW."earn_on_redeemed", NEW."id", NEW."join_consent_text", NEW."max_bonus_per_check", NEW."max_redeem_percent", NEW."min_check_for_earning", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."point_value", NEW."points_lifetime_months", NEW."redeem_confirmation", NEW."refund_policy", NEW."rules_text", NEW."rules_text_en", NEW."shares_members", NEW."tier_downgrade_policy", NEW."tier_grace_days", NEW."tier_window_months", NEW."time_zone"); RETURN NULL;',
                    hash="e45709f9d0d061129dc0ff026d46c51c4c70655e",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_b4f9c",
                    table="loyalty_program",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="program",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."activation_delay_days" IS DISTINCT FROM (NEW."activation_delay_days") OR OLD."approval_threshold" IS DISTINCT FROM (NEW."approval_threshold") OR OLD."currency" IS DISTINCT FROM (NEW."currency") OR OLD."desk_lookups_per_minute" IS DISTINCT FROM (NEW."desk_lookups_per_minute") OR OLD."earn_on_redeemed" IS DISTINCT FROM (NEW."earn_on_redeemed") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."join_consent_text" IS DISTINCT FROM (NEW."join_consent_text") OR OLD."max_bonus_per_check" IS DISTINCT FROM (NEW."max_bonus_per_check") OR OLD."max_redeem_percent" IS DISTINCT FROM (NEW."max_redeem_percent") OR OLD."min_check_for_earning" IS DISTINCT FROM (NEW."min_check_for_earning") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."point_value" IS DISTINCT FROM (NEW."point_value") OR OLD."points_lifetime_months" IS DISTINCT FROM (NEW."points_lifetime_months") OR OLD."redeem_confirmation" IS DISTINCT FROM (NEW."redeem_confirmation") OR OLD."refund_policy" IS DISTINCT FROM (NEW."refund_policy") OR OLD."rules_text" IS DISTINCT FROM (NEW."rules_text") OR OLD."rules_text_en" IS DISTINCT FROM (NEW."rules_text_en") OR OLD."shares_members" IS DISTINCT FROM (NEW."shares_members") OR OLD."tier_downgrade_policy" IS DISTINCT FROM (NEW."tier_downgrade_policy") OR OLD."tier_grace_days" IS DISTINCT FROM (NEW."tier_grace_days") OR OLD."tier_window_months" IS DISTINCT FROM (NEW."tier_window_months") OR OLD."time_zone" IS DISTINCT FROM (NEW."time_zone"))',
                    func='INSERT INTO "loyalty_programevent" ("activation_delay_days", "approval_threshold", "currency", "desk_lookups_per_minute", "earn_on_redeemed", "id", "join_consent_text", "max_bonus_per_check", "max_redeem_percent", "min_check_for_earning", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "point_value", "points_lifetime_months", "redeem_confirmation", "refund_policy", "rules_text", "rules_text_en", "shares_members", "tier_downgrade_policy", "tier_grace_days", "tier_window_months", "time_zone") VALUES (NEW."activation_delay_days", NEW."approval_threshold", NEW."currency", NEW."desk_lookups_per_minute", NEW."earn_on_redeemed", NEW."id", NEW."join_consent_text", NEW."max_bonus_per_check", NEW."max_redeem_percent", NEW."min_check_for_earning", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."point_value", NEW."points_lifetime_months", NEW."redeem_confirmation", NEW."refund_policy", NEW."rules_text", NEW."rules_text_en", NEW."shares_members", NEW."tier_downgrade_policy", NEW."tier_grace_days", NEW."tier_window_months", NEW."time_zone"); RETURN NULL;',
                    hash="e46c463da2c7770559a14f93e19e0851209f9ed6",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_5739b",
                    table="loyalty_program",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="program",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "loyalty_programevent" ("activation_delay_days", "approval_threshold", "currency", "desk_lookups_per_minute", "earn_on_redeemed", "id", "join_consent_text", "max_bonus_per_check", "max_redeem_percent", "min_check_for_earning", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "point_value", "points_lifetime_months", "redeem_confirmation", "refund_policy", "rules_text", "rules_text_en", "shares_members", "tier_downgrade_policy", "tier_grace_days", "tier_window_months", "time_zone") VALUES (OLD."activation_delay_days", OLD."approval_threshold", OLD."currency", OLD."desk_lookups_per_minute", OLD."earn_on_redeemed", OLD."id", OLD."join_consent_text", OLD."max_bonus_per_check", OLD."max_redeem_percent", OLD."min_check_for_earning", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."point_value", OLD."points_lifetime_months", OLD."redeem_confirmation", OLD."refund_policy", OLD."rules_text", OLD."rules_text_en", OLD."shares_members", OLD."tier_downgrade_policy", OLD."tier_grace_days", OLD."tier_window_months", OLD."time_zone"); RETURN NULL;',
                    hash="7a3285d2b9816fc40b178ae62fa565d707a92fb3",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_c2f58",
                    table="loyalty_program",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="tier",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "loyalty_tierevent" ("code", "id", "is_active", "min_spend", "name", "name_en", "order", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "privileges", "privileges_en", "rubles_per_point") VALUES (NEW."code", NEW."id", NEW."is_active", NEW."min_spend", NEW."name", NEW."name_en", NEW."order", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."privileges", NEW."privileges_en", NEW."rubles_per_point"); RETURN NULL;',
                    hash="a27d9f61eda7e646e4dce671145fbcbe39b1b8d2",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_6d764",
                    table="loyalty_tier",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="tier",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "loyalty_tierevent" ("code", "id", "is_active", "min_spend", "name", "name_en", "order", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "privileges", "privileges_en", "rubles_per_point") VALUES (NEW."code", NEW."id", NEW."is_active", NEW."min_spend", NEW."name", NEW."name_en", NEW."order", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."privileges", NEW."privileges_en", NEW."rubles_per_point"); RETURN NULL;',
                    hash="6dc5a9e97a7c4db0fad0a7aa38c6ffee168c453a",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_17455",
                    table="loyalty_tier",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="tier",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "loyalty_tierevent" ("code", "id", "is_active", "min_spend", "name", "name_en", "order", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "privileges", "privileges_en", "rubles_per_point") VALUES (OLD."code", OLD."id", OLD."is_active", OLD."min_spend", OLD."name", OLD."name_en", OLD."order", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."privileges", OLD."privileges_en", OLD."rubles_per_point"); RETURN NULL;',
                    hash="62a809daa9683c7440a702bd65ae4bdfa077197b",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_00f57",
                    table="loyalty_tier",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddField(
            model_name="programevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="programevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="loyalty.program",
            ),
        ),
        migrations.AddField(
            model_name="tierevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="tierevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="loyalty.tier",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="programevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="938feec5b21de39aa44ca11c1e00adb2a248dbdd",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_7a306",
                    table="loyalty_programevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="tierevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="aafa9b686f5066a8cafc44c08836f7fecf3cad1b",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_7463b",
                    table="loyalty_tierevent",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.RunPython(snapshot_existing_rows, migrations.RunPython.noop),
    ]
