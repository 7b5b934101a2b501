"""Load the demo data: program, tiers, partners and stores, running campaigns, members with
months of purchases, staff users, FAQ entries and a partner API key. Idempotent: a second run
changes nothing (a demo campaign edited since is left as it is).

Members join through `enroll_member` (and get the event bonuses of joining), every purchase goes
through the campaigns' checkout (so the campaigns' bonuses apply) and every point moves through
the loyalty services (`refund_purchase`, `adjust_points`, then the burn/activate runs, today's
birthday bonuses and the tier review), with past `now` values, so balances, lots, expiries,
bonuses and tiers look lived-in.
"""

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cabinet.models import FaqEntry
from campaigns.checkout import quote_purchase, record_purchase
from campaigns.events import birthday_bonuses, member_joined
from campaigns.models import Campaign
from campaigns.transfer import FORMAT, VERSION, import_campaigns
from config.management.commands._demo_bulk import seed_bulk
from config.management.commands._demo_data import (
    CAMPAIGNS,
    CATALOG,
    COFFEE,
    EMAIL_DOMAINS,
    FAQ,
    FEMALE_FIRST,
    LAST_MALE,
    MALE_FIRST,
    MARKET,
    OPERATOR_CODES,
    PARTNERS,
    STARTED_DAYS_AGO,
    translit,
)
from config.management.commands._demo_guest_checks import seed_guest_checks
from config.management.commands._demo_messaging import seed_messages
from config.management.commands._demo_metrics import seed_metrics
from customers.models import Consent, ImportantDate, Member, User
from customers.phones import normalize_phone
from loyalty.defaults import ensure_defaults
from loyalty.models import Partner, PartnerAPIKey, Program, StaffAssignment, Store, Tier
from loyalty.services import (
    activate_due_points,
    adjust_points,
    burn_expired_points,
    enroll_member,
    refund_purchase,
    review_tiers,
)
from loyalty.services.presence import Confirmation, qr_token

# The first generated member (index 0); the demo banner (scripts/demo.sh) shows this phone.
DEMO_MEMBER_PHONE = "+79031000003"


class Command(BaseCommand):
    help = "Load the demo data (idempotent: members and purchases that exist are left alone)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=300, help="how many members (300)")
        parser.add_argument("--months", type=int, default=8, help="months of history (8)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
        parser.add_argument("--admin-password", default=None, help="default: admin")
        parser.add_argument("--marketer-password", default=None, help="default: marketer")
        parser.add_argument("--cashier-password", default=None, help="default: cashier")
        parser.add_argument("--analyst-password", default=None, help="default: analyst")
        parser.add_argument(
            "--api-key-file",
            default=None,
            help="where the demo partner API key is kept (default: var/demo-api-key.txt)",
        )

    def handle(self, *args, **options):
        started = timezone.now()
        self.seed = options["seed"]
        self.now = started.replace(microsecond=0)
        self.months = options["months"]

        ensure_defaults(Program, Tier)
        stores = self.partners_and_stores()
        self.campaigns()
        staff = self.staff_users(options, first_store=stores[MARKET][0])
        self.faq()
        key = self.api_key(options["api_key_file"])
        created, purchases = self.members(options["members"], stores, staff)
        if created:
            # Settle everything due as of today, then review tiers on today's spend.
            birthday_bonuses(now=self.now)  # the daily job's run of today
            activate_due_points(now=self.now)
            burn_expired_points(now=self.now)
            review_tiers(now=self.now)
            messages = seed_messages(now=self.now)  # a week of triggered messages
            if messages:
                self.stdout.write(f"Demo messages by status: {messages}")
            without_card = seed_guest_checks(
                stores=stores,
                market=MARKET,
                cashier=staff["users"]["cashier"],
                start=self.now - dt.timedelta(days=round(self.months * 30.4)),
                now=self.now,
                seed=self.seed,
            )
            self.stdout.write(f"Demo checks without a card: {without_card}")
            self.stdout.write(seed_bulk(marketer=staff["users"]["marketer"], now=self.now))
        self.stdout.write(seed_metrics(now=self.now))  # the nightly rollups, caught up

        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"Demo data: {Member.objects.count()} members ({created} new, {purchases} new "
            f"purchases) in {seconds:.1f} s."
        )
        self.stdout.write("Staff logins (username / password):")
        for username, password in staff["logins"]:
            self.stdout.write(f"  {username} / {password}")
        self.stdout.write(f"Partner API key for “{MARKET}”: {key}")
        sample = Member.objects.filter(phone=DEMO_MEMBER_PHONE).first()
        if sample is not None:
            self.stdout.write(f"A demo member for the cabinet: {sample.phone} ({sample.full_name})")

    # --- reference data ------------------------------------------------------------------------
    def partners_and_stores(self) -> dict[str, list[Store]]:
        result = {}
        for name, store_rows in PARTNERS.items():
            partner, _ = Partner.objects.get_or_create(name=name)
            result[name] = [
                Store.objects.get_or_create(
                    partner=partner, name=store_name, defaults={"address": address}
                )[0]
                for store_name, address in store_rows
            ]
        return result

    def campaigns(self) -> None:
        """The demo campaigns not here yet (by code), through the campaigns import; one that a
        marketer has edited since is left as it is."""
        existing = set(Campaign.objects.values_list("code", flat=True))
        missing = [
            entry | {"starts_at": (self.now - dt.timedelta(days=days)).isoformat()}
            if (days := STARTED_DAYS_AGO.get(entry["code"]))
            else entry
            for entry in CAMPAIGNS
            if entry["code"] not in existing
        ]
        if not missing:
            return
        result = import_campaigns({"format": FORMAT, "version": VERSION, "campaigns": missing})
        if result.errors:
            raise CommandError(f"The demo campaigns do not import: {result.errors}")

    def staff_users(self, options, *, first_store: Store) -> dict:
        """The admin, a marketer and an analyst (back-office staff) and a cashier, who works
        only at the desk: no staff status, so no back-office."""
        specs = [
            ("admin", options["admin_password"], {"is_superuser": True}, None),
            ("marketer", options["marketer_password"], {}, "marketer"),
            ("analyst", options["analyst_password"], {}, "analyst"),
            ("cashier", options["cashier_password"], {}, "cashier"),
        ]
        users, logins = {}, []
        for username, password, extra, group_name in specs:
            is_staff = group_name != "cashier"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, is_staff=is_staff, email=f"{username}@kopilka.local")
                for field, value in extra.items():
                    setattr(user, field, value)
                user.set_password(password or username)
                user.save()
                if group_name == "cashier":
                    StaffAssignment.objects.create(user=user, store=first_store)
                logins.append((username, password or username))
            elif password:
                user.set_password(password)
                user.save(update_fields=["password"])
                logins.append((username, password))
            else:
                logins.append((username, f"{username} (unless changed since)"))
            if group_name:
                group, _ = Group.objects.get_or_create(name=group_name)
                user.groups.add(group)
            users[username] = user
        return {"users": users, "logins": logins}

    def faq(self) -> None:
        for order, (question, answer, question_en, answer_en) in enumerate(FAQ, start=1):
            FaqEntry.objects.get_or_create(
                question=question,
                defaults={
                    "answer": answer,
                    "question_en": question_en,
                    "answer_en": answer_en,
                    "order": order,
                },
            )

    def api_key(self, path_option: str | None) -> str:
        """The demo key: made once, kept in a file; a new one only if the stored one is unknown."""
        path = Path(path_option) if path_option else Path(settings.VAR_DIR) / "demo-api-key.txt"
        if path.exists():
            key = path.read_text().strip()
            if key and PartnerAPIKey.objects.is_valid(key):
                return key
        partner = Partner.objects.get(name=MARKET)
        _obj, key = PartnerAPIKey.objects.create_key(name="Демо-касса", partner=partner)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key

    # --- members and their history -------------------------------------------------------------
    def profile(self, index: int) -> dict:
        """A deterministic member: the same index gives the same phone on every run."""
        rng = random.Random(f"{self.seed}-{index}")
        female = rng.random() < 0.55
        first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        last = rng.choice(LAST_MALE) + ("а" if female else "")
        code = OPERATOR_CODES[index % len(OPERATOR_CODES)]
        phone_digits = f"{code}{(index * 7919 + 1000003) % 10_000_000:07d}"
        # Phones come in the notations people type.
        notation = index % 3
        if notation == 0:
            phone = (
                f"8 ({phone_digits[:3]}) {phone_digits[3:6]}-{phone_digits[6:8]}-{phone_digits[8:]}"
            )
        elif notation == 1:
            phone = (
                f"+7 {phone_digits[:3]} {phone_digits[3:6]} {phone_digits[6:8]} {phone_digits[8:]}"
            )
        else:
            phone = f"8{phone_digits}"
        email = ""
        if rng.random() < 0.6:
            email = f"{translit(first)}.{translit(last)}{index}@{rng.choice(EMAIL_DOMAINS)}"
        birth_date = None
        if rng.random() < 0.65:
            birth_date = dt.date(rng.randint(1960, 2006), rng.randint(1, 12), rng.randint(1, 28))
        consents = {
            Consent.Kind.PERSONAL_DATA: True,
            Consent.Kind.MARKETING_EMAIL: bool(email) and rng.random() < 0.7,
            Consent.Kind.MARKETING_SMS: rng.random() < 0.5,
            Consent.Kind.PUSH: rng.random() < 0.2,
        }
        channel = rng.choice(
            [Member.Channel.DESK] * 5
            + [Member.Channel.CABINET] * 3
            + [Member.Channel.API, Member.Channel.IMPORT]
        )
        # How the member shops: visits over the history, and a typical check size.
        kind = rng.choices(["sleeping", "occasional", "regular", "vip"], [15, 45, 32, 8])[0]
        visits = {
            "sleeping": rng.randint(1, 2),
            "occasional": rng.randint(2, 5),
            "regular": rng.randint(5, 10),
            "vip": rng.randint(12, 20),
        }[kind]
        return {
            "rng": rng,
            "phone": phone,
            "email": email,
            "first_name": first,
            "last_name": last,
            "birth_date": birth_date,
            "consents": consents,
            "channel": channel,
            "visits": visits,
            "big_spender": kind == "vip",
        }

    def members(self, count: int, stores, staff) -> tuple[int, int]:
        start = self.now - dt.timedelta(days=round(self.months * 30.4))
        history_days = (self.now - start).days
        created = purchases = 0
        enrolled: list[Member] = []
        for index in range(count):
            data = self.profile(index)
            rng = data.pop("rng")
            visits, big = data.pop("visits"), data.pop("big_spender")
            joined = start + dt.timedelta(
                days=rng.randint(0, max(history_days - 30, 1)), hours=rng.randint(9, 20)
            )
            # A friend who brings a member joined before them (and is rewarded after).
            earlier = [m for m in enrolled if m.created_at < joined]
            referrer = (
                earlier[rng.randrange(len(earlier))] if earlier and rng.random() < 0.05 else None
            )
            if Member.objects.filter(phone=normalize_phone(data["phone"])).exists():
                continue  # loaded by an earlier run, with its history
            member = enroll_member(
                **data,
                now=joined,
                source=data["channel"],
                referral_code=referrer.referral_code if referrer else None,
            )
            # Joined on the day their history starts, not at the moment of seeding (the account,
            # the consents and the entry tier already carry `joined`), as a history import does.
            Member.objects.filter(pk=member.pk).update(created_at=joined)
            member.created_at = joined
            member_joined(member, now=joined)  # welcome, and a referee's bonus
            created += 1
            enrolled.append(member)
            if rng.random() < 0.05:
                ImportantDate.objects.create(
                    member=member,
                    label=rng.choice(["Годовщина свадьбы", "День рождения ребёнка"]),
                    date=dt.date(rng.randint(2005, 2020), rng.randint(1, 12), rng.randint(1, 28)),
                )
            purchases += self.history(member, rng, joined, visits, big, stores, staff)
        return created, purchases

    def history(self, member, rng, joined, visits, big, stores, staff) -> int:
        """A member's purchases from joining until today, oldest first."""
        span = (self.now - joined).total_seconds()
        moments = sorted(
            joined + dt.timedelta(seconds=rng.uniform(600, span - 3600)) for _ in range(visits)
        )
        count = 0
        for number, moment in enumerate(moments, start=1):
            following = moments[number] if number < len(moments) else self.now
            partner_name = MARKET if rng.random() < 0.7 else COFFEE
            store = rng.choice(stores[partner_name])
            lines = self.check_lines(rng, partner_name, big)
            external_id = f"{'KM' if partner_name == MARKET else 'KZ'}-{member.pk:06d}-{number:03d}"
            redeem = 0
            if rng.random() < 0.25:
                quote = quote_purchase(member_id=member.pk, lines=lines, now=moment)
                redeem = (
                    quote.max_redeem_points if rng.random() < 0.6 else quote.max_redeem_points // 2
                )
            cashier = staff["users"]["cashier"] if store == stores[MARKET][0] else None
            result = record_purchase(
                member_id=member.pk,
                partner=store.partner,
                store=store,
                external_id=external_id,
                lines=lines,
                redeem_points=redeem,
                cashier=cashier,
                now=moment,
                # The member showed the cabinet card's live QR at the till (proof of presence).
                confirmation=Confirmation(
                    qr=qr_token(member_id=member.pk, card_number=member.card_number, now=moment)
                ),
            )
            count += 1
            refund_at = moment + dt.timedelta(hours=2)
            if rng.random() < 0.03 and refund_at < following:
                refund_purchase(
                    purchase_id=result.purchase.pk,
                    external_id=f"R-{external_id}",
                    partner=store.partner,
                    now=refund_at,
                )
        if count and rng.random() < 0.04:
            adjust_points(
                member_id=member.pk,
                points=rng.choice([100, 200, 300]),
                reason="Компенсация: задержка доставки заказа",
                staff=staff["users"]["marketer"],
                now=moments[-1] + dt.timedelta(hours=1),
            )
        return count

    def check_lines(self, rng, partner_name: str, big: bool) -> list[dict]:
        catalog = CATALOG[partner_name]
        size = (
            rng.randint(1, 3)
            if partner_name == COFFEE
            else rng.randint(*((3, 8) if big else (1, 5)))
        )
        lines = []
        for sku, name, category, price, redeemable in rng.sample(catalog, min(size, len(catalog))):
            quantity = rng.choice([1, 1, 1, 1, 2]) * (2 if big and rng.random() < 0.3 else 1)
            lines.append(
                {
                    "sku": sku,
                    "name": name,
                    "category": category,
                    "price": price,
                    "quantity": quantity,
                    "amount": str((Decimal(price) * quantity).quantize(Decimal("0.01"))),
                    "redeemable": redeemable,
                }
            )
        return lines
