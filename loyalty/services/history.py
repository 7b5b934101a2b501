"""History import: a shop moving to Kopilka from another system brings its members (with the date
they joined), their past purchases and their points balances. The one write path for such rows.

- Members join through the enrolment service (phone normalised, one member per phone, their
  account opened), keeping the date they joined the previous program: no welcome bonus is given
  (nothing calls the joining event) and the welcome series, counted from the join date, passes
  them by. A member already in Kopilka (the same phone) is skipped as already imported.
- Purchases are history: no points move (the old system's points come as opening balances).
  Each counts for the member's purchase count and qualifying spend (tiers are upgraded at once
  if it reaches a threshold), shows in their history and in analytics. A check number already
  recorded for the partner is skipped as already imported; twice in one chunk of the file is
  a row error.
- An opening balance is an adjustment entry "Opening balance (import #N)" and a lot of its own
  (`source` import) with the given expiry or the program's lifetime, written by the ledger
  (LedgerTransaction) like any points move. A member gets one: a second is skipped.

A job reads its file in chunks (CHUNK rows): each chunk is cleaned, checked against the
database in a few queries, written in bulk and its counters and report lines saved, in one
transaction — so memory is bounded by the chunk, the progress bar moves per chunk, and a job
restarted after a crash resumes after its last committed chunk. A dry run checks every row the
same way and writes nothing but its report.
"""

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from customers.models import Consent, Member
from customers.resources import CONSENT_COLUMNS, is_yes
from loyalty.errors import InvalidInput
from loyalty.history_files import UnreadableFile, count_rows, read_rows
from loyalty.history_resources import (
    BalanceHistoryResource,
    HistoryResource,
    MemberHistoryResource,
    PurchaseHistoryResource,
)
from loyalty.models import (
    Account,
    HistoryImport,
    HistoryImportProblem,
    LedgerEntry,
    Partner,
    PointLot,
    Program,
    Purchase,
    Store,
)
from loyalty.services.enrolment import enroll_member
from loyalty.services.ledger import LedgerTransaction, lock_account
from loyalty.services.program import end_of_day, get_program, get_tier, get_tiers, program_zone
from loyalty.services.tiers import (
    QUALIFYING,
    qualifying_purchases,
    spend_value,
    tier_for_spend,
    upgrade_if_qualified,
)
from loyalty.store import history as store

CHUNK = 2000
MESSAGE_LENGTH = 500

Kind = HistoryImport.Kind
RESOURCES: dict[str, type[HistoryResource]] = {
    Kind.MEMBERS: MemberHistoryResource,
    Kind.PURCHASES: PurchaseHistoryResource,
    Kind.BALANCES: BalanceHistoryResource,
}


class ImportNotReady(DomainError):
    code = "import_not_ready"
    default_detail = gettext_lazy("Only a finished dry run without errors can be run for real.")


class ImportSuperseded(Exception):
    """Another run of the same job is ahead of this one (a redelivered task): this one stops."""


# --- starting jobs ------------------------------------------------------------------------------
def start_history_import(
    *,
    kind: str,
    file,
    dry_run: bool,
    partner: Partner | None = None,
    staff=None,
    language: str = "ru",
    now: dt.datetime,
) -> HistoryImport:
    """Queue an import of one history file (processed by `process_history_import` after the
    caller's transaction commits)."""
    if kind not in RESOURCES:
        raise InvalidInput(fields={"kind": [_("Choose what the file holds.")]})
    name = getattr(file, "name", "") or "history.csv"
    job = HistoryImport(
        kind=kind,
        dry_run=dry_run,
        partner=partner,
        created_by=staff,
        language=language,
        file_name=name.rsplit("/", 1)[-1][:255],
        created_at=now,
    )
    job.file.save(job.file_name, file, save=False)
    job.save()
    return job


def run_for_real(*, job: HistoryImport, staff=None, now: dt.datetime) -> HistoryImport:
    """After a clean dry run, import the same file for real (a new job, the same file)."""
    if not job.is_clean_dry_run:
        raise ImportNotReady()
    return HistoryImport.objects.create(
        kind=job.kind,
        file=job.file.name,
        file_name=job.file_name,
        dry_run=False,
        partner=job.partner,
        checked_by=job,
        created_by=staff,
        language=job.language,
        created_at=now,
    )


# --- running a job ------------------------------------------------------------------------------
@dataclass
class ChunkResult:
    imported: int = 0
    problems: list[HistoryImportProblem] = field(default_factory=list)
    failed_rows: set[int] = field(default_factory=set)
    skipped_rows: set[int] = field(default_factory=set)

    def fail(self, row: int, column: str, message: str) -> None:
        self.failed_rows.add(row)
        self.problems.append(
            HistoryImportProblem(row=row, column=column, message=str(message)[:MESSAGE_LENGTH])
        )

    def skip(self, row: int, column: str, message: str) -> None:
        self.skipped_rows.add(row)
        self.problems.append(
            HistoryImportProblem(
                row=row, column=column, message=str(message)[:MESSAGE_LENGTH], skipped=True
            )
        )


def _claim(job_id: int, now: dt.datetime) -> HistoryImport | None:
    with transaction.atomic():
        job = HistoryImport.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        job.status = HistoryImport.Status.RUNNING
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "started_at"])
        return job


def _finish(job: HistoryImport, *, now: dt.datetime, failure: str = "") -> None:
    HistoryImport.objects.filter(pk=job.pk).update(
        status=HistoryImport.Status.FAILED if failure else HistoryImport.Status.DONE,
        failure=failure,
        finished_at=now,
    )


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def process_history_import(
    *, job_id: int, now: dt.datetime, chunk_size: int = CHUNK
) -> HistoryImport | None:
    """Run (or resume) an import job: every row of its file, a chunk per transaction. Safe to
    run twice: a finished job is left alone, a second runner of a running job stops at its
    first chunk. Returns the job as it ended (None when there was nothing to do)."""
    job = _claim(job_id, now)
    if job is None:
        return None
    with translation.override(job.language):
        try:
            _run(job, now=now, chunk_size=chunk_size)
        except UnreadableFile as exc:
            _finish(job, now=now, failure=_("The file cannot be read: %(why)s") % {"why": exc})
        except ImportSuperseded:
            return None
        except Exception:
            # Not a row's fault (the database, a bug): the job says so instead of running on
            # for ever; its committed chunks stay, the worker logs the error.
            _finish(job, now=now, failure=_("The import stopped on an unexpected error."))
            raise
        else:
            _finish(job, now=now)
    job.refresh_from_db()
    return job


def _run(job: HistoryImport, *, now: dt.datetime, chunk_size: int) -> None:
    resource = RESOURCES[job.kind]()
    importer = IMPORTERS[job.kind](job, resource, now)
    if job.rows_total is None:
        with job.file.open("rb") as handle:
            total = count_rows(handle)
        HistoryImport.objects.filter(pk=job.pk).update(rows_total=total)
    with job.file.open("rb") as handle:
        rows = read_rows(handle)
        first = next(rows, None)
        if first is None:
            return
        missing = resource.missing_columns(set(first[1]))
        if missing:
            raise UnreadableFile(_("columns missing: %(names)s") % {"names": ", ".join(missing)})
        done = job.rows_processed  # a resumed job skips the rows its committed chunks covered
        position = 0
        for chunk in _chunks(itertools.chain([first], rows), chunk_size):
            start, position = position, position + len(chunk)
            if position <= done:
                continue
            chunk = chunk[max(0, done - start) :]
            _process_chunk(job, importer, chunk, first_index=max(start, done))


def _process_chunk(job: HistoryImport, importer, chunk: list, *, first_index: int) -> None:
    with transaction.atomic():
        locked = HistoryImport.objects.select_for_update().get(pk=job.pk)
        if locked.rows_processed != first_index:
            raise ImportSuperseded()
        result = importer.process(chunk)
        for problem in result.problems:
            problem.job_id = job.pk
        HistoryImportProblem.objects.bulk_create(result.problems)
        failed = len(result.failed_rows)
        skipped = len(result.skipped_rows - result.failed_rows)
        HistoryImport.objects.filter(pk=job.pk).update(
            rows_processed=F("rows_processed") + len(chunk),
            rows_imported=F("rows_imported") + result.imported,
            rows_skipped=F("rows_skipped") + skipped,
            rows_failed=F("rows_failed") + failed,
        )


# --- the three kinds ----------------------------------------------------------------------------
class Importer:
    def __init__(self, job: HistoryImport, resource: HistoryResource, now: dt.datetime):
        self.job = job
        self.resource = resource
        self.now = now
        self.program: Program = get_program()
        self.zone = program_zone(self.program)

    def aware(self, moment: dt.datetime) -> dt.datetime:
        """A time from the file: without an offset, it is the program zone's clock."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def clean(self, chunk: list, result: ChunkResult) -> list[tuple[int, dict]]:
        rows = []
        for number, raw in chunk:
            values, problems = self.resource.clean_row(raw)
            for column, message in problems:
                result.fail(number, column, message)
            if not problems:
                rows.append((number, values))
        return rows

    def members_by_contact(self, rows: list[tuple[int, dict]]) -> dict[tuple[str, str], int]:
        """Member ids by ("phone", e164) and ("card", number), for the rows' contacts."""
        phones = {v["phone"] for _n, v in rows if v.get("phone")}
        cards = {v["card_number"] for _n, v in rows if v.get("card_number")}
        found = Member.objects.filter(Q(phone__in=phones) | Q(card_number__in=cards)).values_list(
            "pk", "phone", "card_number"
        )
        ids = {}
        for pk, phone, card in found:
            ids["phone", phone] = pk
            ids["card", card] = pk
        return ids

    def member_of(self, number, values, ids, result: ChunkResult) -> int | None:
        by_phone = ids.get(("phone", values.get("phone"))) if values.get("phone") else None
        by_card = (
            ids.get(("card", values.get("card_number"))) if values.get("card_number") else None
        )
        if values.get("phone") and values.get("card_number") and by_phone != by_card:
            column = "card_number" if by_phone else "phone"
            result.fail(number, column, _("The phone and the card belong to different members."))
            return None
        member_id = by_phone or by_card
        if member_id is None:
            column = "phone" if values.get("phone") else "card_number"
            result.fail(number, column, _("No member with this phone or card."))
        return member_id

    def process(self, chunk: list) -> ChunkResult:
        raise NotImplementedError


def opening_balance_reason(job: HistoryImport) -> str:
    return _("Opening balance (import #%(id)s)") % {"id": job.pk}


def credit_opening_balances(
    *,
    balances: list[tuple[int, int, dt.datetime | None]],
    reason: str,
    staff,
    program: Program,
    now: dt.datetime,
) -> None:
    """Credit each (member id, points, expiry or None) as an adjustment entry and a lot of its
    own (source "import"), available at once, living until the expiry or the program's
    lifetime. Runs inside the caller's transaction; accounts are locked in member order."""
    for member_id, points, expires_at in sorted(balances, key=lambda b: b[0]):
        account = lock_account(member_id)
        ledger = LedgerTransaction(
            account, program=program, now=now, require_active=False, staff=staff, reason=reason
        )
        ledger.add(
            points,
            LedgerEntry.Kind.ADJUST,
            source=PointLot.Source.IMPORT,
            available_at=now,
            expires_at=expires_at,
        )
        ledger.flush()


class BalanceImporter(Importer):
    """Opening balances: one per member, through the ledger."""

    def expiry(self, number, day: dt.date | None, column: str, result) -> dt.datetime | None:
        if day is None:
            return None
        moment = end_of_day(self.program, day)
        if moment <= self.now:
            result.fail(number, column, _("This date has passed: the points would be expired."))
            return False
        return moment

    def check_balances(self, candidates, result: ChunkResult) -> list[tuple[int, int, dt.datetime]]:
        """(row, member id, points, expiry) → the balances to credit; a member who already has
        an opening balance is skipped, one given twice in a chunk is a row error."""
        have = set(
            PointLot.objects.filter(
                account_id__in=[c[1] for c in candidates], source=PointLot.Source.IMPORT
            ).values_list("account_id", flat=True)
        )
        counts = Counter(c[1] for c in candidates)
        balances = []
        for number, member_id, points, expires_at in candidates:
            if member_id in have:
                result.skip(number, "", _("Already imported: the member has an opening balance."))
            elif counts[member_id] > 1:
                result.fail(number, "", _("A second opening balance for this member in the file."))
            else:
                balances.append((member_id, points, expires_at))
        return balances

    def credit(self, balances, result: ChunkResult) -> None:
        if not self.job.dry_run and balances:
            credit_opening_balances(
                balances=balances,
                reason=opening_balance_reason(self.job),
                staff=self.job.created_by,
                program=self.program,
                now=self.now,
            )

    def process(self, chunk: list) -> ChunkResult:
        result = ChunkResult()
        rows = self.clean(chunk, result)
        ids = self.members_by_contact(rows)
        candidates = []
        for number, values in rows:
            member_id = self.member_of(number, values, ids, result)
            expires_at = self.expiry(number, values.get("expires_at"), "expires_at", result)
            if member_id is not None and expires_at is not False:
                candidates.append((number, member_id, values["points"], expires_at))
        balances = self.check_balances(candidates, result)
        self.credit(balances, result)
        result.imported = len(balances)
        return result


class MemberImporter(BalanceImporter):
    """Members with the date they joined, and optionally their opening balance."""

    def process(self, chunk: list) -> ChunkResult:
        result = ChunkResult()
        rows = self.clean(chunk, result)
        rows = self.check_rows(rows, result)
        balances = []
        for number, values, joined_at, expires_at in rows:
            if self.job.dry_run:
                result.imported += 1
                continue
            member = self.enroll(number, values, joined_at, result)
            if member is None:
                continue
            result.imported += 1
            if values.get("opening_balance"):
                balances.append((member.pk, values["opening_balance"], expires_at))
        self.credit(balances, result)
        return result

    def check_rows(self, rows, result: ChunkResult) -> list:
        """The rows that can join: a phone already a member is skipped; an e-mail or a card
        taken, a join date in the future, a row without the personal-data consent are errors."""
        phones = Counter(v["phone"] for _n, v in rows)
        emails = Counter(v["email"].lower() for _n, v in rows if v.get("email"))
        cards = Counter(v["card_number"] for _n, v in rows if v.get("card_number"))
        members = Member.objects.filter(
            Q(phone__in=phones) | Q(card_number__in=cards) | Q(email__in=list(emails))
        ).values_list("phone", "card_number", "email")
        taken_phones, taken_cards, taken_emails = set(), set(), set()
        for phone, card, email in members:
            taken_phones.add(phone)
            taken_cards.add(card)
            taken_emails.add((email or "").lower())
        ok = []
        for number, values in rows:
            email, card = (values.get("email") or "").lower(), values.get("card_number")
            if values["phone"] in taken_phones:
                result.skip(number, "phone", _("Already imported: a member with this phone."))
                continue
            bad = len(result.failed_rows)
            if phones[values["phone"]] > 1:
                result.fail(number, "phone", _("The same phone is on another row of the file."))
            if email and (email in taken_emails or emails[email] > 1):
                result.fail(number, "email", _("This e-mail belongs to another member."))
            if card and (card in taken_cards or cards[card] > 1):
                result.fail(number, "card_number", _("This card belongs to another member."))
            joined_at = self.aware(values["joined_at"])
            if joined_at > self.now:
                result.fail(number, "joined_at", _("The join date is in the future."))
            consent = values.get("consent_personal_data")
            if consent not in (None, "") and not is_yes(consent):
                result.fail(
                    number,
                    "consent_personal_data",
                    _("A member joins only with the consent to personal data processing."),
                )
            expires_at = self.expiry(
                number, values.get("balance_expires_at"), "balance_expires_at", result
            )
            if len(result.failed_rows) == bad:
                ok.append((number, values, joined_at, expires_at))
        return ok

    def enroll(self, number, values, joined_at, result: ChunkResult) -> Member | None:
        consents = {kind: is_yes(values.get(column)) for column, kind in CONSENT_COLUMNS.items()}
        consents[Consent.Kind.PERSONAL_DATA] = True  # checked above: absent means given
        try:
            with transaction.atomic():
                member = enroll_member(
                    phone=values["phone"],
                    consents=consents,
                    now=joined_at,
                    channel=Member.Channel.IMPORT,
                    source=Member.Channel.IMPORT,
                    email=values.get("email") or None,
                    first_name=values.get("first_name") or "",
                    last_name=values.get("last_name") or "",
                    birth_date=values.get("birth_date"),
                )
                kept = {"created_at": joined_at}
                if values.get("card_number"):
                    kept["card_number"] = values["card_number"]
                Member.objects.filter(pk=member.pk).update(**kept)
        except DomainError as exc:
            for column, messages in (exc.fields or {"": [exc.detail]}).items():
                result.fail(number, column, "; ".join(str(m) for m in messages))
            return None
        except IntegrityError:  # the card (or phone) taken since the chunk was checked
            result.fail(number, "card_number", _("This card belongs to another member."))
            return None
        return member


class PurchaseImporter(Importer):
    """Past checks: no points move; counts and spend (and tiers) follow."""

    def __init__(self, *args):
        super().__init__(*args)
        self.partners = {p.name.strip().lower(): p.pk for p in Partner.objects.all()}
        self.partner_ids = set(self.partners.values())
        self.stores = {(s.partner_id, s.name.strip().lower()): s.pk for s in Store.objects.all()}

    def partner_of(self, number, values, result: ChunkResult) -> int | None:
        name = (values.get("partner") or "").strip()
        if not name:
            if self.job.partner_id is None:
                result.fail(number, "partner", _("Name the partner (or choose one for the file)."))
            return self.job.partner_id
        partner_id = self.partners.get(name.lower())
        if partner_id is None and name.isdigit() and int(name) in self.partner_ids:
            partner_id = int(name)
        if partner_id is None:
            result.fail(number, "partner", _("No partner with this name."))
        return partner_id

    def store_of(self, number, values, partner_id, result: ChunkResult):
        name = (values.get("store") or "").strip()
        if not name:
            return None
        store_id = self.stores.get((partner_id, name.lower()))
        if store_id is None:
            result.fail(number, "store", _("The partner has no store with this name."))
            return False
        return store_id

    def process(self, chunk: list) -> ChunkResult:
        result = ChunkResult()
        rows = self.clean(chunk, result)
        ids = self.members_by_contact(rows)
        checks = []
        for number, values in rows:
            member_id = self.member_of(number, values, ids, result)
            partner_id = self.partner_of(number, values, result)
            store_id = self.store_of(number, values, partner_id, result)
            check = self.check(number, values, result)
            if None in (member_id, partner_id) or store_id is False or check is None:
                continue
            checks.append((number, member_id, partner_id, store_id, check))
        checks = self.drop_repeats(checks, result)
        result.imported = len(checks)
        if not self.job.dry_run and checks:
            self.write(checks)
        return result

    def check(self, number, values, result: ChunkResult) -> dict | None:
        bad = len(result.failed_rows)
        external_id = values["check_number"]
        if len(external_id) > 100:
            result.fail(number, "check_number", _("At most 100 characters."))
        total, paid_with_points = values["total"], values.get("paid_with_points") or Decimal(0)
        if total <= 0:
            result.fail(number, "total", _("The check total must be above zero."))
        elif paid_with_points > total:
            result.fail(number, "paid_with_points", _("More than the check total."))
        occurred_at = self.aware(values["bought_at"])
        if occurred_at > self.now:
            result.fail(number, "bought_at", _("The purchase date is in the future."))
        if len(result.failed_rows) != bad:
            return None
        return {
            "external_id": external_id,
            "occurred_at": occurred_at,
            "total": total,
            "discount": paid_with_points,
        }

    def drop_repeats(self, checks: list, result: ChunkResult) -> list:
        """A check number recorded before for the partner is skipped; twice in the chunk, an
        error (the first stays)."""
        by_partner = defaultdict(set)
        for _n, _m, partner_id, _s, check in checks:
            by_partner[partner_id].add(check["external_id"])
        known = Q(pk__in=[])
        for partner_id, numbers in by_partner.items():
            known |= Q(partner_id=partner_id, external_id__in=numbers)
        recorded = set(Purchase.objects.filter(known).values_list("partner_id", "external_id"))
        seen, kept = {}, []
        for number, member_id, partner_id, store_id, check in checks:
            key = (partner_id, check["external_id"])
            if key in recorded:
                result.skip(number, "check_number", _("Already imported: this check is recorded."))
            elif key in seen:
                result.fail(
                    number,
                    "check_number",
                    _("The same check number is on row %(row)s.") % {"row": seen[key]},
                )
            else:
                seen[key] = number
                kept.append((number, member_id, partner_id, store_id, check))
        return kept

    def write(self, checks: list) -> None:
        """The purchases in one insert; then each account counts them and adds their money
        paid to its spend, and moves up a tier if that spend reaches one (locked, in member
        order)."""
        Purchase.objects.bulk_create(
            [
                Purchase(
                    member_id=member_id,
                    partner_id=partner_id,
                    store_id=store_id,
                    channel=Purchase.Channel.IMPORT,
                    created_at=self.now,
                    **check,
                )
                for _n, member_id, partner_id, store_id, check in checks
            ],
            batch_size=CHUNK,
        )
        added = defaultdict(lambda: [0, Decimal(0)])
        for _n, member_id, _p, _s, check in checks:
            added[member_id][0] += 1
            added[member_id][1] += check["total"] - check["discount"]
        list(  # the accounts locked in member order, as every batch of the ledger does
            Account.objects.select_for_update(no_key=True)
            .filter(member_id__in=list(added))
            .order_by("member_id")
            .values_list("member_id", flat=True)
        )
        counted = store.count_imported_purchases(
            {member_id: tuple(pair) for member_id, pair in added.items()}, now=self.now
        )
        for member_id in self.may_move_up(counted):
            account = Account.objects.select_for_update(no_key=True).get(member_id=member_id)
            upgrade_if_qualified(account, program=self.program, now=self.now)
            account.save(update_fields=["tier", "tier_since", "below_tier_since"])

    def may_move_up(self, accounts) -> list[int]:
        """The members whose spend in the window reaches a higher tier (or their own again,
        ending a grace period), from (member id, tier id, below-tier-since, lifetime spend):
        the tiers' rule (`upgrade_if_qualified`) decides for each. The window's spend of every
        account that might qualify is summed in one query per chunk, not one per account."""
        tiers = get_tiers()
        candidates = {}
        for member_id, tier_id, below_since, lifetime_spend in accounts:
            current = get_tier(tier_id)
            higher = [t.min_spend for t in tiers if t.min_spend > current.min_spend]
            if below_since is not None or (higher and lifetime_spend >= min(higher)):
                candidates[member_id] = (below_since, current)
        if not candidates:
            return []
        spends = dict(
            qualifying_purchases(self.program, self.now)
            .filter(member_id__in=list(candidates))
            .order_by()
            .values("member_id")
            .annotate(spend=QUALIFYING)
            .values_list("member_id", "spend")
        )
        moving = []
        for member_id, (below_since, current) in candidates.items():
            spend = spend_value(spends.get(member_id))
            if tier_for_spend(spend, tiers).min_spend > current.min_spend or (
                below_since is not None and spend >= current.min_spend
            ):
                moving.append(member_id)
        return moving


IMPORTERS = {
    Kind.MEMBERS: MemberImporter,
    Kind.PURCHASES: PurchaseImporter,
    Kind.BALANCES: BalanceImporter,
}


def template_rows(kind: str) -> list[list[str]]:
    """The header and an example row of a file of this kind (the admin's "download a
    template")."""
    return RESOURCES[kind]().template_rows()


__all__ = [
    "CHUNK",
    "ImportNotReady",
    "credit_opening_balances",
    "process_history_import",
    "run_for_real",
    "start_history_import",
    "template_rows",
]
