"""What the desk shows about a member: masked personal data and the points summary."""

from dataclasses import dataclass

from customers.models import Member
from customers.phones import mask_phone
from loyalty.selectors import ExpiringPoints, expiring_points, member_balance
from loyalty.services.program import get_tier

EXPIRING_WITHIN_DAYS = 30


def mask_name(member: Member) -> str:
    """First name and the initial of the last name: "Анна К."."""
    first = member.first_name.strip()
    initial = f"{member.last_name.strip()[:1]}." if member.last_name.strip() else ""
    return " ".join(p for p in (first, initial) if p)


@dataclass
class MemberCard:
    member: Member
    name: str
    phone: str
    card_tail: str
    tier: str
    available: int
    pending: int
    expiring: list[ExpiringPoints]

    @property
    def expiring_total(self) -> int:
        return sum(e.points for e in self.expiring)


def member_card(member: Member, *, now) -> MemberCard:
    """The result card; `member` must come with its account (select_related)."""
    balance = member_balance(member.pk, now=now)
    return MemberCard(
        member=member,
        name=mask_name(member),
        phone=mask_phone(member.phone),
        card_tail=member.card_number[-4:],
        tier=get_tier(member.account.tier_id).display_name,
        available=balance.available,
        pending=balance.pending,
        expiring=expiring_points(member.pk, now=now, within_days=EXPIRING_WITHIN_DAYS),
    )


def short_entry(member: Member, ref: str) -> dict:
    """One row of a list of several matches: nothing more than needed to pick the right one."""
    return {
        "ref": ref,
        "name": mask_name(member),
        "phone": mask_phone(member.phone),
        "card_tail": member.card_number[-4:],
        "is_active": member.is_active,
    }
