"""Quoting and recording purchases: redeem points on a check, then earn on the money paid."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from customers.errors import MemberBlocked, MemberNotFound
from loyalty.errors import InsufficientPoints, InvalidCheck, PurchaseExists, RedeemLimitExceeded
from loyalty.models import (
    Account,
    LedgerEntry,
    Partner,
    PointLot,
    Program,
    Purchase,
    PurchaseBonus,
)
from loyalty.money import floor_points, from_kopecks, split_proportionally, to_kopecks
from loyalty.services.bonuses import (
    BonusPolicy,
    Credited,
    PurchaseFacts,
    bonus_available_at,
    bonus_expiry,
)
from loyalty.services.checks import CheckLine, build_check
from loyalty.services.ledger import LedgerTransaction, lock_account_and_lots
from loyalty.services.presence import Confirmation, WrongCode, check_presence, count_wrong_code
from loyalty.services.program import get_program, get_tier
from loyalty.services.tiers import upgrade_if_qualified
from loyalty.store.instances import built
from loyalty.store.reads import account_with_spendable

MAX_CLOCK_SKEW = dt.timedelta(days=1)


@dataclass
class LineDiscount:
    sku: str
    amount: Decimal
    discount: Decimal


@dataclass
class Quote:
    available_points: int
    max_redeem_points: int
    redeem_points: int
    earn_points: int
    discount: Decimal
    lines: list[LineDiscount]
    bonus_points: int = 0
    campaigns: list = field(default_factory=list)


@dataclass
class PurchaseResult:
    purchase: Purchase
    lines: list[LineDiscount]
    account: Account
    bonuses: list[Credited] = field(default_factory=list)


def redeem_cap(program: Program, lines: list[CheckLine], available: int) -> int:
    """Points that may pay for this check: the share of redeemable goods, and no more than held."""
    eligible = sum((line.amount for line in lines if line.redeemable), Decimal(0))
    by_share = floor_points(eligible * program.max_redeem_percent / 100, program.point_value)
    return max(0, min(available, by_share))


def allocate_discount(lines: list[CheckLine], discount: Decimal) -> list[Decimal]:
    """Spread a discount over the redeemable lines in proportion to their amounts, to the kopeck."""
    weights = [line.kopecks if line.redeemable else 0 for line in lines]
    return [from_kopecks(k) for k in split_proportionally(to_kopecks(discount), weights)]


def earns(program: Program, total: Decimal) -> bool:
    """Whether a check of `total` earns points at all (the program's minimum check)."""
    return total >= program.min_check_for_earning


def earn_for(program: Program, rubles_per_point: Decimal, total: Decimal, discount: Decimal):
    """Points earned on a check, rounded down, and the amount they were earned on."""
    base = total if program.earn_on_redeemed else total - discount
    if not earns(program, total):
        return 0, base
    return floor_points(base, rubles_per_point), base


def _facts(
    *,
    account,
    tier,
    program,
    partner,
    store,
    channel,
    check,
    discount,
    shares,
    earn,
    occurred_at,
    now,
) -> PurchaseFacts:
    """What a bonus policy is told about a check (its quote or its purchase, before the
    purchase is counted on the account)."""
    total = sum((line.amount for line in check), Decimal(0))
    return PurchaseFacts(
        account=account,
        tier=tier,
        program=program,
        partner=partner,
        store=store,
        channel=channel,
        lines=check,
        discounts=shares,
        total=total,
        discount=discount,
        earn_points=earn,
        earns=earns(program, total),
        occurred_at=occurred_at,
        now=now,
        first_purchase=account.purchases_count == 0,
    )


def _check_store(store, partner) -> None:
    if store is not None and partner is not None and store.partner_id != partner.pk:
        raise InvalidCheck(
            _("The store belongs to another partner."),
            fields={"store_id": [_("The store belongs to another partner.")]},
        )


def _check_redeem(redeem_points: int, available: int, cap: int) -> None:
    if not isinstance(redeem_points, int) or isinstance(redeem_points, bool) or redeem_points < 0:
        raise InvalidCheck(
            _("Points to redeem must be a whole number, zero or more."),
            fields={"redeem_points": [_("Points to redeem must be a whole number, zero or more.")]},
        )
    if redeem_points > available:
        raise InsufficientPoints(available=available)
    if redeem_points > cap:
        raise RedeemLimitExceeded(max_redeem_points=cap)


def _quote_account(member_id, now: dt.datetime) -> tuple[Account, int]:
    """The account with its member, and the points it can spend at `now`, in one read."""
    try:
        member_id = int(member_id)  # as the ORM's lookup would
    except (ValueError, TypeError) as exc:
        raise MemberNotFound() from exc
    found = account_with_spendable(member_id, now)
    if found is None:
        raise MemberNotFound()
    return found


def quote_purchase(
    *,
    member_id: int,
    now: dt.datetime,
    lines: list[dict] | None = None,
    amount=None,
    redeem_points: int | None = None,
    partner: Partner | None = None,
    store=None,
    channel: str = Purchase.Channel.API,
    bonuses: BonusPolicy | None = None,
) -> Quote:
    """What a check would do, without writing: the most points it may take, what it would earn.

    With `redeem_points` the quote is for redeeming exactly that many (refused like the purchase
    would be); without it, for redeeming none. A `bonuses` policy previews the bonuses the check
    would get (and what it shows about them goes to `campaigns`).
    """
    check = build_check(lines, amount)
    _check_store(store, partner)
    program = get_program()
    account, available = _quote_account(member_id, now)
    if not account.member.is_active:
        raise MemberBlocked()
    cap = redeem_cap(program, check, available)
    redeem = redeem_points or 0
    _check_redeem(redeem, available, cap)
    discount = redeem * program.point_value
    total = sum((line.amount for line in check), Decimal(0))
    tier = get_tier(account.tier_id)
    earn, _base = earn_for(program, tier.rubles_per_point, total, discount)
    shares = allocate_discount(check, discount)
    bonus_points, campaigns = 0, []
    if bonuses is not None:
        facts = _facts(
            account=account,
            tier=tier,
            program=program,
            partner=partner,
            store=store,
            channel=channel,
            check=check,
            discount=discount,
            shares=shares,
            earn=earn,
            occurred_at=now,
            now=now,
        )
        bonus_points, campaigns = bonuses.preview(facts)
    return Quote(
        available_points=available,
        max_redeem_points=cap,
        redeem_points=redeem,
        earn_points=earn,
        discount=discount,
        lines=[LineDiscount(line.sku, line.amount, d) for line, d in zip(check, shares)],
        bonus_points=bonus_points,
        campaigns=campaigns,
    )


def record_purchase(
    *,
    member_id: int,
    partner: Partner,
    external_id: str,
    now: dt.datetime,
    lines: list[dict] | None = None,
    amount=None,
    redeem_points: int = 0,
    store=None,
    occurred_at: dt.datetime | None = None,
    cashier=None,
    idempotency_key: str = "",
    idempotency=None,
    confirmation: Confirmation | None = None,
    channel: str = Purchase.Channel.API,
    bonuses: BonusPolicy | None = None,
) -> PurchaseResult:
    """Record a check: redeem points (at most the program's share and the balance), then earn
    on the money paid at the member's tier rate, rounded down — one transaction.

    With `idempotency` (a KeyGuard of loyalty.services.idempotency) the Idempotency-Key is
    taken first inside that transaction, with the account lock, so the key's record commits
    with the purchase or not at all.
    The purchase keeps the balance it left (`available_after`, `pending_after`), so its answer
    can be given again exactly.

    A purchase that lifts the qualifying spend over a tier threshold upgrades the member after
    its own points are earned at the old rate.

    Spending points needs the `confirmation` that the member is present when the program asks
    for it (services/presence.py); earning alone never does.

    A `bonuses` policy (services/bonuses.py) is asked, under the account lock, for the bonuses
    of the check; each is credited as a lot of its own and recorded for refunds.
    """
    check = build_check(lines, amount)
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 100:
        raise InvalidCheck(
            _("A check number is required (up to 100 characters)."),
            fields={"external_id": [_("A check number is required (up to 100 characters).")]},
        )
    occurred_at = occurred_at or now
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise InvalidCheck(
            _("The purchase time is in the future."),
            fields={"occurred_at": [_("The purchase time is in the future.")]},
        )
    _check_store(store, partner)
    program = get_program()
    try:
        with transaction.atomic(durable=True):
            # Without redemption no lot gives points: only the due ones are read (to settle).
            due_only = redeem_points == 0
            account, lots = lock_account_and_lots(
                member_id, due_at=now if due_only else None, idempotency=idempotency
            )
            ledger = LedgerTransaction(
                account,
                program=program,
                now=now,
                partner=partner,
                staff=cashier,
                due_only=due_only,
                lots=lots,
            )
            if redeem_points == 0:
                _check_redeem(redeem_points, 0, 0)
            else:
                available = ledger.spendable_points()
                _check_redeem(redeem_points, available, redeem_cap(program, check, available))
                check_presence(
                    program=program,
                    member_id=account.member_id,
                    redeem_points=redeem_points,
                    confirmation=confirmation,
                    now=now,
                )
            discount = redeem_points * program.point_value
            total = sum((line.amount for line in check), Decimal(0))
            tier = get_tier(account.tier_id)
            earn, base = earn_for(program, tier.rubles_per_point, total, discount)
            purchase = built(
                Purchase,
                partner=partner,
                store=store,
                external_id=external_id,
                member_id=account.member_id,
                occurred_at=occurred_at,
                total=total,
                discount=discount,
                redeemed_points=redeem_points,
                earned_points=earn,
                earn_base=base,
                channel=channel,
                tier=tier,
                idempotency_key=idempotency_key,
                cashier=cashier,
                created_at=now,
            )
            # The purchase and its lines are written at flush(), with the points (on PostgreSQL
            # in one statement). The lines go as field values: nothing reads them as models.
            shares = allocate_discount(check, discount)
            purchase_lines = [
                {
                    "position": i,
                    "sku": line.sku,
                    "name": line.name,
                    "category": line.category,
                    "quantity": line.quantity,
                    "price": line.price,
                    "amount": line.amount,
                    "redeemable": line.redeemable,
                    "discount": share,
                }
                for i, (line, share) in enumerate(zip(check, shares), start=1)
            ]
            ledger.links["purchase"] = purchase
            if redeem_points:
                ledger.spend(redeem_points, LedgerEntry.Kind.REDEEM)
            if earn:
                ledger.add(
                    earn, LedgerEntry.Kind.EARN, source=PointLot.Source.EARN, purchase=purchase
                )
            facts = handed = None
            if bonuses is not None:
                facts = _facts(
                    account=account,
                    tier=tier,
                    program=program,
                    partner=partner,
                    store=store,
                    channel=channel,
                    check=check,
                    discount=discount,
                    shares=shares,
                    earn=earn,
                    occurred_at=occurred_at,
                    now=now,
                )
                handed = _credit_bonuses(ledger, bonuses.bonuses(facts), purchase, program, now)
            account.lifetime_spend += total - discount
            account.purchases_count += 1
            upgrade_if_qualified(account, program=program, now=now, unsaved_purchase=purchase)
            purchase.available_after, purchase.pending_after = account.available, account.pending
            companions = _bonus_rows(purchase, handed) if handed else []
            if bonuses is not None:
                companions += bonuses.companions(facts, purchase, handed or [])
            ledger.flush(purchase=purchase, lines=purchase_lines, companions=companions)
            credited = [
                Credited(bonus=bonus, entry_id=entry.pk, lot_id=lot.pk if lot else None)
                for bonus, entry, lot in handed or ()
            ]
            if bonuses is not None:
                bonuses.recorded(facts, purchase, credited)
            result = PurchaseResult(
                purchase=purchase,
                lines=[LineDiscount(line.sku, line.amount, d) for line, d in zip(check, shares)],
                account=account,
                bonuses=credited,
            )
    except WrongCode as exc:
        raise count_wrong_code(exc, now=now) from exc
    except IntegrityError as exc:
        existing = Purchase.objects.filter(partner=partner, external_id=external_id).first()
        if existing is None:
            raise
        raise PurchaseExists(id=existing.pk, idempotency_key=existing.idempotency_key) from exc
    return result


def _credit_bonuses(ledger, bonuses, purchase, program, now) -> list:
    """Credit each bonus as a lot of its own (entry kind "bonus", named after its campaign)."""
    handed = []
    for bonus in bonuses:
        if bonus.points <= 0:
            continue
        lot = ledger.add(
            bonus.points,
            LedgerEntry.Kind.BONUS,
            source=PointLot.Source.BONUS,
            purchase=purchase,
            available_at=bonus_available_at(now, bonus.activation_delay_days),
            expires_at=bonus_expiry(program, now, bonus.lifetime_days),
            reason=bonus.label[:500],
        )
        handed.append((bonus, ledger.entries[-1], lot))
        purchase.bonus_points += bonus.points
    return handed


def _bonus_rows(purchase, handed) -> list[PurchaseBonus]:
    """The purchase's bonus rows (what a refund takes back from), written with it."""
    return [
        built(
            PurchaseBonus,
            purchase=purchase,
            campaign_id=bonus.campaign_id,
            label=bonus.label[:200],
            points=bonus.points,
            keep_from=bonus.keep_from,
            lot=lot,
        )
        for bonus, _entry, lot in handed
    ]
