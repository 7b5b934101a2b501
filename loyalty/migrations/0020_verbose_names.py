from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0019_adjustment_member_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="historyimport",
            name="language",
            field=models.CharField(default="ru", max_length=10, verbose_name="language"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="loyalty.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="lot",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="loyalty.pointlot",
                verbose_name="points lot",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.partner",
                verbose_name="partner",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="purchase",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="loyalty.purchase",
                verbose_name="purchase",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="refund",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="loyalty.refund",
                verbose_name="refund",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="staff user",
            ),
        ),
        migrations.AlterField(
            model_name="partnerapikey",
            name="created",
            field=models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="partnerapikey",
            name="expiry_date",
            field=models.DateTimeField(
                blank=True,
                help_text="After this moment the key no longer works.",
                null=True,
                verbose_name="valid until",
            ),
        ),
        migrations.AlterField(
            model_name="partnerapikey",
            name="hashed_key",
            field=models.CharField(editable=False, max_length=150, verbose_name="key hash"),
        ),
        migrations.AlterField(
            model_name="partnerapikey",
            name="name",
            field=models.CharField(
                default=None,
                help_text="Any name to tell the key apart, up to 50 characters.",
                max_length=50,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="partnerapikey",
            name="prefix",
            field=models.CharField(
                editable=False, max_length=8, unique=True, verbose_name="prefix"
            ),
        ),
        migrations.AlterField(
            model_name="partnerapikey",
            name="revoked",
            field=models.BooleanField(
                blank=True,
                default=False,
                help_text="A revoked key no longer works; this cannot be undone.",
                verbose_name="revoked",
            ),
        ),
        migrations.AlterField(
            model_name="pointlot",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lots",
                to="loyalty.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="pointlot",
            name="purchase",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lots",
                to="loyalty.purchase",
                verbose_name="purchase",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated at"),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="idempotency_key",
            field=models.CharField(
                blank=True, default="", max_length=255, verbose_name="idempotency key"
            ),
        ),
        migrations.AlterField(
            model_name="purchase",
            name="refunded_discount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=14,
                verbose_name="refunded points payment, ₽",
            ),
        ),
        migrations.AlterField(
            model_name="purchasebonus",
            name="lot",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.pointlot",
                verbose_name="points lot",
            ),
        ),
        migrations.AlterField(
            model_name="purchasebonus",
            name="purchase",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="bonuses",
                to="loyalty.purchase",
                verbose_name="purchase",
            ),
        ),
        migrations.AlterField(
            model_name="purchaseline",
            name="purchase",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="loyalty.purchase",
                verbose_name="purchase",
            ),
        ),
        migrations.AlterField(
            model_name="purchaseline",
            name="refunded_amount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=14,
                verbose_name="refunded amount, ₽",
            ),
        ),
        migrations.AlterField(
            model_name="purchaseline",
            name="refunded_discount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=14,
                verbose_name="refunded points payment, ₽",
            ),
        ),
        migrations.AlterField(
            model_name="purchaseline",
            name="refunded_quantity",
            field=models.DecimalField(
                decimal_places=3,
                default=Decimal("0"),
                max_digits=12,
                verbose_name="refunded quantity",
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="cashier",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="cashier",
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="idempotency_key",
            field=models.CharField(
                blank=True, default="", max_length=255, verbose_name="idempotency key"
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="purchase",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunds",
                to="loyalty.purchase",
                verbose_name="purchase",
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="request_hash",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="request hash"
            ),
        ),
        migrations.AlterField(
            model_name="refundline",
            name="amount",
            field=models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
        ),
        migrations.AlterField(
            model_name="refundline",
            name="discount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=14,
                verbose_name="paid with points, ₽",
            ),
        ),
        migrations.AlterField(
            model_name="refundline",
            name="line",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refund_lines",
                to="loyalty.purchaseline",
                verbose_name="purchase line",
            ),
        ),
        migrations.AlterField(
            model_name="refundline",
            name="quantity",
            field=models.DecimalField(decimal_places=3, max_digits=12, verbose_name="quantity"),
        ),
        migrations.AlterField(
            model_name="refundline",
            name="refund",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="loyalty.refund",
                verbose_name="refund",
            ),
        ),
        migrations.AlterField(
            model_name="tierchange",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tier_changes",
                to="loyalty.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="tierchange",
            name="from_tier",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.tier",
                verbose_name="from tier",
            ),
        ),
        migrations.AlterField(
            model_name="tierchange",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="staff user",
            ),
        ),
        migrations.AlterField(
            model_name="tierchange",
            name="to_tier",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="loyalty.tier",
                verbose_name="to tier",
            ),
        ),
    ]
