"""The audit history of campaigns, triggers and their templates, messaging settings, RFM
thresholds and segments (campaigns/models/history.py).

Generated with `makemigrations --dry-run -v 3` (only the audit's operations), then a baseline:
every row that exists when tracking starts gets one "baseline" snapshot, so its first change
shows what it was before.
"""

import datetime
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

TRACKED = {
    "campaign": "CampaignEvent",
    "trigger": "TriggerEvent",
    "messagetemplate": "MessageTemplateEvent",
    "messagingsettings": "MessagingSettingsEvent",
    "rfmsettings": "RfmSettingsEvent",
    "segment": "SegmentEvent",
}


def snapshot_existing_rows(apps, schema_editor):
    from django.utils import timezone

    now = timezone.now()
    for model_name, event_name in TRACKED.items():
        model = apps.get_model("campaigns", model_name)
        event_model = apps.get_model("campaigns", event_name)
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
    dependencies = [("campaigns", "0014_bulk_operations"), ("pghistory", "0007_auto_20250421_0444")]

    operations = [
        migrations.CreateModel(
            name="CampaignEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "code",
                    models.SlugField(
                        db_index=False,
                        help_text="Stable name for export and import (staging → production).",
                        verbose_name="code",
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "description",
                    models.TextField(
                        blank=True,
                        default="",
                        help_text="Shown in Offers.",
                        verbose_name="description for members",
                    ),
                ),
                (
                    "description_en",
                    models.TextField(
                        blank=True, default="", verbose_name="description for members (English)"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("promo", "promo rate on purchases"),
                            ("steps", "more points for bigger checks"),
                            ("first_purchase", "first purchase"),
                            ("welcome", "welcome on joining"),
                            ("profile", "profile completed"),
                            ("birthday", "birthday"),
                            ("anniversary", "years of membership"),
                            ("referral", "referral"),
                            ("challenge", "achievement / challenge"),
                            ("win_back", "bonus sent with a trigger's message"),
                        ],
                        default="promo",
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[("draft", "draft"), ("active", "active"), ("paused", "paused")],
                        default="draft",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                (
                    "starts_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="starts at"),
                ),
                ("ends_at", models.DateTimeField(blank=True, null=True, verbose_name="ends at")),
                (
                    "conditions",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text='An AND/OR tree: {"all": [...]} / {"any": [...]} of conditions; empty: always.',
                        verbose_name="conditions",
                    ),
                ),
                (
                    "lines",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text='Which lines the effect counts: {"skus": [...], "categories": [...], "exclude_skus": [...], "exclude_categories": [...]}; empty: the whole check.',
                        verbose_name="applies to lines",
                    ),
                ),
                (
                    "effect",
                    models.CharField(
                        choices=[
                            ("multiplier", "multiply the points earned (×N)"),
                            ("percent", "percent of the points earned (+N %)"),
                            ("fixed", "fixed number of points"),
                            ("per_amount", "N points per amount spent"),
                        ],
                        default="multiplier",
                        max_length=12,
                        verbose_name="effect",
                    ),
                ),
                (
                    "value",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("2"),
                        help_text="×N, +N %, N points, or N points per the amount below.",
                        max_digits=10,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="value",
                    ),
                ),
                (
                    "per_amount",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text='For "N points per amount spent": e.g. 10 points per 100 ₽.',
                        max_digits=10,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                        verbose_name="per amount, ₽",
                    ),
                ),
                (
                    "steps",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='For bigger checks: [{"from": "3000", "points": 50}, {"from": "5000", …}].',
                        verbose_name="steps by check amount",
                    ),
                ),
                (
                    "params",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="For event bonuses and challenges: see docs/CAMPAIGNS.md.",
                        verbose_name="event parameters",
                    ),
                ),
                (
                    "bonus_lifetime_days",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="A burning bonus: expires this many days after it is given; empty: as points.",
                        null=True,
                        verbose_name="bonus lives, days",
                    ),
                ),
                (
                    "activation_delay_days",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="Empty: the program's delay.",
                        null=True,
                        verbose_name="bonus activation delay, days",
                    ),
                ),
                (
                    "stacking_group",
                    models.CharField(
                        default="default",
                        help_text="Inside a group the best bonus wins; bonuses of different groups add up.",
                        max_length=50,
                        verbose_name="stacking group",
                    ),
                ),
                (
                    "exclusive",
                    models.BooleanField(
                        default=False,
                        help_text="When it applies, no other campaign does.",
                        verbose_name="exclusive",
                    ),
                ),
                (
                    "priority",
                    models.SmallIntegerField(
                        default=0,
                        help_text="Breaks ties: the higher wins.",
                        verbose_name="priority",
                    ),
                ),
                (
                    "max_points_per_check",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="cap per check, points"
                    ),
                ),
                (
                    "budget_points",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="budget, points"
                    ),
                ),
                (
                    "max_uses",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="uses at most"),
                ),
                (
                    "member_limit_day",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="per member per day"
                    ),
                ),
                (
                    "member_limit_month",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="per member per 30 days"
                    ),
                ),
                (
                    "member_limit_total",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="per member in total"
                    ),
                ),
                (
                    "holdout_percent",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="A stable share of eligible members gets nothing, to measure the campaign's effect.",
                        validators=[django.core.validators.MaxValueValidator(50)],
                        verbose_name="holdout, %",
                    ),
                ),
                (
                    "early_access_days",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="These tiers may use the campaign this many days before it starts.",
                        verbose_name="early access, days",
                    ),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.CreateModel(
            name="MessageTemplateEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "channel",
                    models.CharField(
                        choices=[("email", "e-mail"), ("sms", "SMS"), ("push", "push")],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[("ru", "Русский"), ("en", "English")],
                        max_length=8,
                        verbose_name="language",
                    ),
                ),
                (
                    "subject",
                    models.CharField(
                        blank=True, default="", max_length=200, verbose_name="subject / title"
                    ),
                ),
                ("text", models.TextField(verbose_name="text")),
                ("html", models.TextField(blank=True, default="", verbose_name="HTML (e-mail)")),
            ],
            options={"abstract": False},
        ),
        migrations.CreateModel(
            name="MessagingSettingsEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "cap_messages",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="Marketing messages one member may get in the period, across all triggers.",
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="at most messages",
                    ),
                ),
                (
                    "cap_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(365),
                        ],
                        verbose_name="per days",
                    ),
                ),
                (
                    "quiet_start",
                    models.TimeField(
                        default=datetime.time(21, 0),
                        help_text="In the member's time zone; a message due then waits for the morning.",
                        verbose_name="quiet hours from",
                    ),
                ),
                (
                    "quiet_end",
                    models.TimeField(default=datetime.time(9, 0), verbose_name="quiet hours until"),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.CreateModel(
            name="RfmSettingsEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "new_days",
                    models.PositiveSmallIntegerField(
                        default=30,
                        help_text="A member who joined within this many days and bought at most once is new.",
                        verbose_name="new: joined within, days",
                    ),
                ),
                (
                    "active_days",
                    models.PositiveSmallIntegerField(
                        default=60,
                        help_text="A member whose last purchase is this recent is active (or VIP).",
                        verbose_name="active: bought within, days",
                    ),
                ),
                (
                    "sleeping_days",
                    models.PositiveSmallIntegerField(
                        default=180,
                        help_text="No purchase for longer than this: sleeping. Between the active and sleeping thresholds: at risk.",
                        verbose_name="sleeping: no purchase for, days",
                    ),
                ),
                (
                    "window_days",
                    models.PositiveSmallIntegerField(
                        default=365,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(3660),
                        ],
                        verbose_name="frequency and spend counted over, days",
                    ),
                ),
                (
                    "vip_spend",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("30000"),
                        max_digits=14,
                        verbose_name="VIP: spent in the window at least, ₽",
                    ),
                ),
                (
                    "vip_purchases",
                    models.PositiveIntegerField(
                        default=12,
                        help_text="An active member is VIP when either VIP threshold is reached.",
                        verbose_name="VIP: purchases in the window at least",
                    ),
                ),
            ],
            options={"abstract": False},
        ),
        migrations.CreateModel(
            name="SegmentEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "code",
                    models.SlugField(
                        db_index=False,
                        help_text="The name campaigns' and triggers' conditions use (the `segment` leaf).",
                        verbose_name="code",
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name (Russian)")),
                (
                    "name_en",
                    models.CharField(
                        blank=True, default="", max_length=100, verbose_name="name (English)"
                    ),
                ),
                (
                    "description",
                    models.TextField(blank=True, default="", verbose_name="description"),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("rfm", "RFM class"),
                            ("rule", "rule"),
                            ("static", "uploaded list"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                (
                    "rfm_class",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("new", "new"),
                            ("active", "active"),
                            ("vip", "VIP"),
                            ("at_risk", "at risk"),
                            ("sleeping", "sleeping"),
                        ],
                        default="",
                        max_length=10,
                        verbose_name="RFM class",
                    ),
                ),
                (
                    "conditions",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="For a rule segment: a condition tree over the member's facts.",
                        verbose_name="rule",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
            ],
            options={"abstract": False},
        ),
        migrations.CreateModel(
            name="TriggerEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("code", models.SlugField(db_index=False, verbose_name="code")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("expiry", "points expiring in N days"),
                            ("earned", "points earned after a purchase"),
                            ("reward", "enough points for a reward"),
                            ("tier_up", "tier up"),
                            ("tier_down", "tier down"),
                            ("tier_at_risk", "tier at risk"),
                            ("welcome", "welcome series"),
                            ("first_purchase", "thanks for the first purchase"),
                            ("inactivity", "no purchase for N days"),
                            ("birthday", "birthday in N days"),
                            ("important_date", "an important date"),
                            ("avg_check_drop", "falling average check"),
                            ("broadcast", "one-off broadcast to a segment"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "topic",
                    models.CharField(
                        choices=[
                            ("expiry", "points about to expire"),
                            ("points", "points earned and rewards"),
                            ("tier", "tier changes"),
                            ("offers", "offers and campaigns"),
                            ("birthday", "birthdays and important dates"),
                        ],
                        help_text="Members switch messages off per topic and channel.",
                        max_length=10,
                        verbose_name="topic",
                    ),
                ),
                ("enabled", models.BooleanField(default=False, verbose_name="on")),
                (
                    "params",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text='The kind\'s own numbers, e.g. {"days": 3}; see docs/MESSAGING.md.',
                        verbose_name="parameters",
                    ),
                ),
                (
                    "channels",
                    models.JSONField(
                        default=list,
                        help_text='The first channel the member allows and can be reached by is used, e.g. ["push", "email", "sms"].',
                        verbose_name="channels, in order",
                    ),
                ),
                (
                    "holdout_percent",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="This share of members is not sent the message, to measure its effect.",
                        validators=[django.core.validators.MaxValueValidator(50)],
                        verbose_name="holdout, %",
                    ),
                ),
                (
                    "conversion_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="conversion window, days",
                    ),
                ),
                (
                    "send_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="For a broadcast: when it goes out.",
                        null=True,
                        verbose_name="send at",
                    ),
                ),
            ],
            options={"abstract": False},
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="campaign",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_campaignevent" ("activation_delay_days", "bonus_lifetime_days", "budget_points", "code", "conditions", "description", "description_en", "early_access_days", "effect", "ends_at", "exclusive", "holdout_percent", "id", "kind", "lines", "max_points_per_check", "max_uses", "member_limit_day", "member_limit_month", "member_limit_total", "name", "params", "per_amount", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "priority", "stacking_group", "starts_at", "state", "steps", "value") VALUES (NEW."activation_delay_days", NEW."bonus_lifetime_days", NEW."budget_points", NEW."code", NEW."conditions", NEW."description", NEW."description_en", NEW."early_access_days", NEW."effect", NEW."ends_at", NEW."exclusive", NEW."holdout_percent", NEW."id", NEW."kind", NEW."lines", NEW."max_points_per_check", NEW."max_uses", NEW."member_limit_day", NEW."member_limit_month", NEW."member_limit_total", NEW."name", NEW."params", NEW."per_amount", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."priority", NEW."stacking_group", NEW."starts_at", NEW."state", NEW."steps", NEW."value"); RETURN NULL;',
                    hash="01344450351fed1262fdf41ad75c206d2e79591a",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_fde46",
                    table="campaigns_campaign",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="campaign",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."activation_delay_days" IS DISTINCT FROM (NEW."activation_delay_days") OR OLD."bonus_lifetime_days" IS DISTINCT FROM (NEW."bonus_lifetime_days") OR OLD."budget_points" IS DISTINCT FROM (NEW."budget_points") OR OLD."code" IS DISTINCT FROM (NEW."code") OR OLD."conditions" IS DISTINCT FROM (NEW."conditions") OR OLD."description" IS DISTINCT FROM (NEW."description") OR OLD."description_en" IS DISTINCT FROM (NEW."description_en") OR OLD."early_access_days" IS DISTINCT FROM (NEW."early_access_days") OR OLD."effect" IS DISTINCT FROM (NEW."effect") OR OLD."ends_at" IS DISTINCT FROM (NEW."ends_at") OR OLD."exclusive" IS DISTINCT FROM (NEW."exclusive") OR OLD."holdout_percent" IS DISTINCT FROM (NEW."holdout_percent") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."lines" IS DISTINCT FROM (NEW."lines") OR OLD."max_points_per_check" IS DISTINCT FROM (NEW."max_points_per_check") OR OLD."max_uses" IS DISTINCT FROM (NEW."max_uses") OR OLD."member_limit_day" IS DISTINCT FROM (NEW."member_limit_day") OR OLD."member_limit_month" IS DISTINCT FROM (NEW."member_limit_month") OR OLD."member_limit_total" IS DISTINCT FROM (NEW."member_limit_total") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."params" IS DISTINCT FROM (NEW."params") OR OLD."per_amount" IS DISTINCT FROM (NEW."per_amount") OR OLD."priority" IS DISTINCT FROM (NEW."priority") OR OLD."stacking_group" IS DISTINCT FROM (NEW."stacking_group") OR OLD."starts_at" IS DISTINCT FROM (NEW."starts_at") OR OLD."state" IS DISTINCT FROM (NEW."state") OR OLD."steps" IS DISTINCT FROM (NEW."steps") OR OLD."value" IS DISTINCT FROM (NEW."value"))',
                    func='INSERT INTO "campaigns_campaignevent" ("activation_delay_days", "bonus_lifetime_days", "budget_points", "code", "conditions", "description", "description_en", "early_access_days", "effect", "ends_at", "exclusive", "holdout_percent", "id", "kind", "lines", "max_points_per_check", "max_uses", "member_limit_day", "member_limit_month", "member_limit_total", "name", "params", "per_amount", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "priority", "stacking_group", "starts_at", "state", "steps", "value") VALUES (NEW."activation_delay_days", NEW."bonus_lifetime_days", NEW."budget_points", NEW."code", NEW."conditions", NEW."description", NEW."description_en", NEW."early_access_days", NEW."effect", NEW."ends_at", NEW."exclusive", NEW."holdout_percent", NEW."id", NEW."kind", NEW."lines", NEW."max_points_per_check", NEW."max_uses", NEW."member_limit_day", NEW."member_limit_month", NEW."member_limit_total", NEW."name", NEW."params", NEW."per_amount", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."priority", NEW."stacking_group", NEW."starts_at", NEW."state", NEW."steps", NEW."value"); RETURN NULL;',
                    hash="d5303add4061964d00092b9c2a0c636f639282e9",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_2f1af",
                    table="campaigns_campaign",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="campaign",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_campaignevent" ("activation_delay_days", "bonus_lifetime_days", "budget_points", "code", "conditions", "description", "description_en", "early_access_days", "effect", "ends_at", "exclusive", "holdout_percent", "id", "kind", "lines", "max_points_per_check", "max_uses", "member_limit_day", "member_limit_month", "member_limit_total", "name", "params", "per_amount", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "priority", "stacking_group", "starts_at", "state", "steps", "value") VALUES (OLD."activation_delay_days", OLD."bonus_lifetime_days", OLD."budget_points", OLD."code", OLD."conditions", OLD."description", OLD."description_en", OLD."early_access_days", OLD."effect", OLD."ends_at", OLD."exclusive", OLD."holdout_percent", OLD."id", OLD."kind", OLD."lines", OLD."max_points_per_check", OLD."max_uses", OLD."member_limit_day", OLD."member_limit_month", OLD."member_limit_total", OLD."name", OLD."params", OLD."per_amount", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."priority", OLD."stacking_group", OLD."starts_at", OLD."state", OLD."steps", OLD."value"); RETURN NULL;',
                    hash="a18e2e10a26793f18b93c4317576010c4c27eeba",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_5b118",
                    table="campaigns_campaign",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagetemplate",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_messagetemplateevent" ("channel", "html", "id", "language", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "subject", "text", "trigger_id") VALUES (NEW."channel", NEW."html", NEW."id", NEW."language", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."subject", NEW."text", NEW."trigger_id"); RETURN NULL;',
                    hash="2430baf75158f57f0ae6daf3aa5af2940b062429",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_02c45",
                    table="campaigns_messagetemplate",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagetemplate",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "campaigns_messagetemplateevent" ("channel", "html", "id", "language", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "subject", "text", "trigger_id") VALUES (NEW."channel", NEW."html", NEW."id", NEW."language", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."subject", NEW."text", NEW."trigger_id"); RETURN NULL;',
                    hash="aa5e50d3b9d4abdd32eaf9dd75b70f74c40f3887",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_db149",
                    table="campaigns_messagetemplate",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagetemplate",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_messagetemplateevent" ("channel", "html", "id", "language", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "subject", "text", "trigger_id") VALUES (OLD."channel", OLD."html", OLD."id", OLD."language", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."subject", OLD."text", OLD."trigger_id"); RETURN NULL;',
                    hash="6e2849dc3b770bcae1fb379848ff5489cee74b19",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_e3be6",
                    table="campaigns_messagetemplate",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagingsettings",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_messagingsettingsevent" ("cap_days", "cap_messages", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "quiet_end", "quiet_start") VALUES (NEW."cap_days", NEW."cap_messages", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."quiet_end", NEW."quiet_start"); RETURN NULL;',
                    hash="75bde89d42f3d4e05c237de2268c01a60e22760a",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_73452",
                    table="campaigns_messagingsettings",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagingsettings",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."cap_days" IS DISTINCT FROM (NEW."cap_days") OR OLD."cap_messages" IS DISTINCT FROM (NEW."cap_messages") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."quiet_end" IS DISTINCT FROM (NEW."quiet_end") OR OLD."quiet_start" IS DISTINCT FROM (NEW."quiet_start"))',
                    func='INSERT INTO "campaigns_messagingsettingsevent" ("cap_days", "cap_messages", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "quiet_end", "quiet_start") VALUES (NEW."cap_days", NEW."cap_messages", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."quiet_end", NEW."quiet_start"); RETURN NULL;',
                    hash="cbf48591f794f989500ddaab77905f94ff7741bb",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_9091b",
                    table="campaigns_messagingsettings",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagingsettings",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_messagingsettingsevent" ("cap_days", "cap_messages", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "quiet_end", "quiet_start") VALUES (OLD."cap_days", OLD."cap_messages", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."quiet_end", OLD."quiet_start"); RETURN NULL;',
                    hash="512030fee75f3c3586941954922db80d90ec0efa",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_94bb7",
                    table="campaigns_messagingsettings",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="rfmsettings",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_rfmsettingsevent" ("active_days", "id", "new_days", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "sleeping_days", "vip_purchases", "vip_spend", "window_days") VALUES (NEW."active_days", NEW."id", NEW."new_days", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."sleeping_days", NEW."vip_purchases", NEW."vip_spend", NEW."window_days"); RETURN NULL;',
                    hash="30d96de5eb9fbee47420b2a6250306520e4c49d5",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_5b50d",
                    table="campaigns_rfmsettings",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="rfmsettings",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."active_days" IS DISTINCT FROM (NEW."active_days") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."new_days" IS DISTINCT FROM (NEW."new_days") OR OLD."sleeping_days" IS DISTINCT FROM (NEW."sleeping_days") OR OLD."vip_purchases" IS DISTINCT FROM (NEW."vip_purchases") OR OLD."vip_spend" IS DISTINCT FROM (NEW."vip_spend") OR OLD."window_days" IS DISTINCT FROM (NEW."window_days"))',
                    func='INSERT INTO "campaigns_rfmsettingsevent" ("active_days", "id", "new_days", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "sleeping_days", "vip_purchases", "vip_spend", "window_days") VALUES (NEW."active_days", NEW."id", NEW."new_days", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."sleeping_days", NEW."vip_purchases", NEW."vip_spend", NEW."window_days"); RETURN NULL;',
                    hash="e697645662788db7fa125cd075656e38ac022dd4",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_2e649",
                    table="campaigns_rfmsettings",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="rfmsettings",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_rfmsettingsevent" ("active_days", "id", "new_days", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "sleeping_days", "vip_purchases", "vip_spend", "window_days") VALUES (OLD."active_days", OLD."id", OLD."new_days", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."sleeping_days", OLD."vip_purchases", OLD."vip_spend", OLD."window_days"); RETURN NULL;',
                    hash="93fbdaa7b5fc3e51a158ed09abd1aa453d6aeabb",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_aa1c4",
                    table="campaigns_rfmsettings",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="segment",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_segmentevent" ("code", "conditions", "description", "id", "is_active", "kind", "name", "name_en", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rfm_class") VALUES (NEW."code", NEW."conditions", NEW."description", NEW."id", NEW."is_active", NEW."kind", NEW."name", NEW."name_en", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."rfm_class"); RETURN NULL;',
                    hash="f4fce7a67ca7399b91fa8d77ca06e471c448c163",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_2e8d7",
                    table="campaigns_segment",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="segment",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."code" IS DISTINCT FROM (NEW."code") OR OLD."conditions" IS DISTINCT FROM (NEW."conditions") OR OLD."description" IS DISTINCT FROM (NEW."description") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."is_active" IS DISTINCT FROM (NEW."is_active") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."name_en" IS DISTINCT FROM (NEW."name_en") OR OLD."rfm_class" IS DISTINCT FROM (NEW."rfm_class"))',
                    func='INSERT INTO "campaigns_segmentevent" ("code", "conditions", "description", "id", "is_active", "kind", "name", "name_en", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rfm_class") VALUES (NEW."code", NEW."conditions", NEW."description", NEW."id", NEW."is_active", NEW."kind", NEW."name", NEW."name_en", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."rfm_class"); RETURN NULL;',
                    hash="a91ca66d5b55bd10588e2ce71f5b8be15b2f9ee2",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_868f9",
                    table="campaigns_segment",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="segment",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_segmentevent" ("code", "conditions", "description", "id", "is_active", "kind", "name", "name_en", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rfm_class") VALUES (OLD."code", OLD."conditions", OLD."description", OLD."id", OLD."is_active", OLD."kind", OLD."name", OLD."name_en", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."rfm_class"); RETURN NULL;',
                    hash="8f967a052234c2b3bc2bdb5925743d4ae7b9d4c0",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_4b290",
                    table="campaigns_segment",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="trigger",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_triggerevent" ("campaign_id", "channels", "code", "conversion_days", "enabled", "holdout_percent", "id", "kind", "name", "params", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "segment_id", "send_at", "topic") VALUES (NEW."campaign_id", NEW."channels", NEW."code", NEW."conversion_days", NEW."enabled", NEW."holdout_percent", NEW."id", NEW."kind", NEW."name", NEW."params", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."segment_id", NEW."send_at", NEW."topic"); RETURN NULL;',
                    hash="36b685ef9942fa828b2267477c33b8501153411f",
                    operation="INSERT",
                    pgid="pgtrigger_audit_insert_efa44",
                    table="campaigns_trigger",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="trigger",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."campaign_id" IS DISTINCT FROM (NEW."campaign_id") OR OLD."channels" IS DISTINCT FROM (NEW."channels") OR OLD."code" IS DISTINCT FROM (NEW."code") OR OLD."conversion_days" IS DISTINCT FROM (NEW."conversion_days") OR OLD."enabled" IS DISTINCT FROM (NEW."enabled") OR OLD."holdout_percent" IS DISTINCT FROM (NEW."holdout_percent") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."params" IS DISTINCT FROM (NEW."params") OR OLD."segment_id" IS DISTINCT FROM (NEW."segment_id") OR OLD."send_at" IS DISTINCT FROM (NEW."send_at") OR OLD."topic" IS DISTINCT FROM (NEW."topic"))',
                    func='INSERT INTO "campaigns_triggerevent" ("campaign_id", "channels", "code", "conversion_days", "enabled", "holdout_percent", "id", "kind", "name", "params", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "segment_id", "send_at", "topic") VALUES (NEW."campaign_id", NEW."channels", NEW."code", NEW."conversion_days", NEW."enabled", NEW."holdout_percent", NEW."id", NEW."kind", NEW."name", NEW."params", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."segment_id", NEW."send_at", NEW."topic"); RETURN NULL;',
                    hash="4a7050ef305b2da117005588d254f556a932641c",
                    operation="UPDATE",
                    pgid="pgtrigger_audit_update_df412",
                    table="campaigns_trigger",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="trigger",
            trigger=pgtrigger.compiler.Trigger(
                name="audit_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "campaigns_triggerevent" ("campaign_id", "channels", "code", "conversion_days", "enabled", "holdout_percent", "id", "kind", "name", "params", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "segment_id", "send_at", "topic") VALUES (OLD."campaign_id", OLD."channels", OLD."code", OLD."conversion_days", OLD."enabled", OLD."holdout_percent", OLD."id", OLD."kind", OLD."name", OLD."params", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."segment_id", OLD."send_at", OLD."topic"); RETURN NULL;',
                    hash="18d5a1aaad8e393d99127884d9e0352ee50d1a11",
                    operation="DELETE",
                    pgid="pgtrigger_audit_delete_54334",
                    table="campaigns_trigger",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddField(
            model_name="campaignevent",
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
            model_name="campaignevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="campaigns.campaign",
            ),
        ),
        migrations.AddField(
            model_name="messagetemplateevent",
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
            model_name="messagetemplateevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="campaigns.messagetemplate",
            ),
        ),
        migrations.AddField(
            model_name="messagetemplateevent",
            name="trigger",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="campaigns.trigger",
                verbose_name="trigger",
            ),
        ),
        migrations.AddField(
            model_name="messagingsettingsevent",
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
            model_name="messagingsettingsevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="campaigns.messagingsettings",
            ),
        ),
        migrations.AddField(
            model_name="rfmsettingsevent",
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
            model_name="rfmsettingsevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="campaigns.rfmsettings",
            ),
        ),
        migrations.AddField(
            model_name="segmentevent",
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
            model_name="segmentevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="campaigns.segment",
            ),
        ),
        migrations.AddField(
            model_name="triggerevent",
            name="campaign",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="Optional: the event campaign whose bonus the message announces and gives.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="campaigns.campaign",
                verbose_name="bonus through campaign",
            ),
        ),
        migrations.AddField(
            model_name="triggerevent",
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
            model_name="triggerevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="campaigns.trigger",
            ),
        ),
        migrations.AddField(
            model_name="triggerevent",
            name="segment",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="campaigns.segment",
                verbose_name="only for segment",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="campaignevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="cd78d02846c8c3f1cd9afeabc1d0e11b4eea1c90",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_6a65a",
                    table="campaigns_campaignevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagetemplateevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="bcfea70aa22c2dd599d2f5aa61d87b615d532c8b",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_9d6bf",
                    table="campaigns_messagetemplateevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagingsettingsevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="6ba2cd5c3d03275fcb8642a71337611e880f45a0",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_d7e90",
                    table="campaigns_messagingsettingsevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="rfmsettingsevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="7e069a38ab19566201fe34ab0f61cb9ff5712833",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_15818",
                    table="campaigns_rfmsettingsevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="segmentevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="fc809fdf8f641d51586eb123c8a7a1135c41d07f",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_169e7",
                    table="campaigns_segmentevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="triggerevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="0ae7ff00410c2b90ffde0fe32835e8f11883b5bc",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_0032e",
                    table="campaigns_triggerevent",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.RunPython(snapshot_existing_rows, migrations.RunPython.noop),
    ]
