"""The ledger audit finds every broken invariant; the commands wrap the services."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from loyalty.models import Account, PointLot
from loyalty.services.audit import ledger_problems
from tests.loyalty.helpers import assert_ledger_ok, buy, days, give, set_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(member, partner, now):
    give(member, 100, now)
    buy(member, partner, now + days(1), "1000", redeem=50)
    assert_ledger_ok()
    return member


def _checks(member):
    return {p.check for p in ledger_problems(batch_size=1) if p.account_id == member.pk}


def test_a_cached_balance_that_disagrees_with_the_entries_is_reported(ledger):
    Account.objects.filter(pk=ledger.pk).update(available=999)
    assert _checks(ledger) == {"balance", "lots"}


def test_pending_out_of_step_with_lots_and_entries_is_reported(ledger):
    Account.objects.filter(pk=ledger.pk).update(available=0, pending=69)
    assert _checks(ledger) == {"pending_entries", "pending_lots"}


def test_a_lot_changed_behind_the_ledger_is_reported(ledger):
    PointLot.objects.filter(account_id=ledger.pk, source="adjust").update(remaining=7)
    assert _checks(ledger) == {"lots"}


def test_debt_next_to_points_is_reported(ledger):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE loyalty_account SET debt = 5, available = available + 5 WHERE member_id = %s",
            [ledger.pk],
        )
    assert _checks(ledger) == {"debt_with_points", "lots"}


def test_ledger_audit_command_exits_non_zero_and_prints_what_breaks(ledger, capsys):
    call_command("ledger_audit")
    assert "Ledger OK" in capsys.readouterr().out
    Account.objects.filter(pk=ledger.pk).update(available=999)
    with pytest.raises(CommandError, match="2 ledger problem"):
        call_command("ledger_audit", "--batch-size", "1")
    out = capsys.readouterr().out
    assert f"account {ledger.pk}: balance" in out


def test_burn_and_activate_commands_take_now_and_print_counts(member, partner, now, capsys):
    set_program(activation_delay_days=7)
    buy(member, partner, now, "3000")
    day8 = (now + days(8)).isoformat()
    call_command("activate_points", "--now", day8)
    call_command("activate_points", "--now", day8)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Activated 1 lot(s)") and out[1].startswith("Activated 0 lot(s)")

    call_command("burn_points", "--now", "2026-07-15T23:59:59")  # Moscow, naive
    call_command("burn_points", "--now", "2026-07-16T00:00:00+03:00")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Burnt 0 lot(s)") and out[1].startswith("Burnt 1 lot(s)")
    assert_ledger_ok()


def test_burn_command_refuses_a_bad_date():
    with pytest.raises(CommandError):
        call_command("burn_points", "--now", "yesterday")


def test_a_purchase_bonus_out_of_step_with_its_entries_is_reported(member, partner, now):
    from campaigns.checkout import record_purchase
    from loyalty.models import Purchase, PurchaseBonus
    from tests.factories import make_campaign

    make_campaign()
    purchase = record_purchase(
        member_id=member.pk, partner=partner, external_id="b1", now=now, amount="1000.00"
    ).purchase
    assert_ledger_ok()
    PurchaseBonus.objects.filter(purchase=purchase).update(points=7)
    assert _checks(member) == {"bonuses"}
    PurchaseBonus.objects.filter(purchase=purchase).update(points=purchase.bonus_points)
    Account.objects.filter(pk=member.pk).update(purchases_count=0)
    assert _checks(member) == {"purchases_count"}
    assert Purchase.objects.filter(member=member).count() == 1
