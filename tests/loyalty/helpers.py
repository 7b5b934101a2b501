"""Ledger test helpers: buy, give points, change the program, assert the audit is clean."""

import datetime as dt
import itertools

from loyalty.models import Account, Program
from loyalty.services import adjust_points, record_purchase
from loyalty.services.audit import ledger_problems
from loyalty.services.program import clear_cache

_checks = itertools.count(1)


def set_program(**fields) -> Program:
    if fields:
        Program.objects.filter(pk=1).update(**fields)
    clear_cache()
    return Program.objects.get(pk=1)


def buy(member, partner, now, amount=None, *, redeem=0, lines=None, external_id=None, **kw):
    return record_purchase(
        member_id=member.pk,
        partner=partner,
        external_id=external_id or f"CHK-{next(_checks)}",
        amount=amount,
        lines=lines,
        redeem_points=redeem,
        now=now,
        **kw,
    )


def bought(member, partner, amount, now, *, redeem=0, **kw):
    """Record a purchase of `amount` ₽ and return the Purchase (for tier and selector tests)."""
    return buy(member, partner, now, str(amount), redeem=redeem, **kw).purchase


def give(member, points, now, reason="test gift"):
    return adjust_points(member_id=member.pk, points=points, reason=reason, staff=None, now=now)


def account(member) -> Account:
    return Account.objects.get(pk=member.pk)


def assert_ledger_ok(**kwargs):
    problems = ledger_problems(**kwargs)
    assert problems == [], "\n".join(map(str, problems))


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
