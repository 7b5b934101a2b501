"""Segments: which members are in which, recomputed incrementally, and the reads campaigns and
triggers use.

RFM classes: campaigns/rfm.py (`classify`), every member in exactly one.

`recompute(now=…)` looks only at members whose purchases, refunds, tier or profile changed since
the last run, those whose time crossed a threshold (`MemberActivity.next_change_at`) and new
members; `full=True` (or thresholds changed since the last run) looks at every member. It streams
members in chunks of CHUNK (constant memory) and, per chunk, refreshes their `MemberActivity`,
their RFM segment and the rule segments. Rule segments whose rule depends on time or on other
segments (member_days, birthday, date, segment) are judged for every member on every run.
Static segments change only by upload (`upload_static`). Each run adds the day's joined / left
to `SegmentCount` and stores the sizes.
"""

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from campaigns.conditions import Facts, compile_tree, leaves_of, membership_days, validate
from campaigns.models import MemberActivity, RfmSettings, Segment, SegmentCount, SegmentMember
from campaigns.rfm import ACTIVITY_FIELDS, RFM_CLASS, activity_of, purchase_facts, scope
from customers.models import Member
from loyalty.models import Purchase, Refund, Tier, TierChange
from loyalty.services.program import get_program, program_zone

CHUNK = 2000
# Purchases recorded this long before the previous run are looked at again: a transaction that
# began before the run and committed after it is not missed.
OVERLAP = dt.timedelta(minutes=10)
# A run that started this long ago and never ended (its process died) no longer blocks others.
STALE_RUN = dt.timedelta(hours=2)
MEMBER_LEAVES = frozenset({"tier", "segment", "member_days", "birthday", "first_purchase", "date"})
EVERY_RUN_LEAVES = frozenset({"member_days", "birthday", "date", "segment"})


# --- rule segments -------------------------------------------------------------------------------
def rule_problems(tree) -> list[str]:
    """What is wrong with a rule segment's condition tree: the campaigns' validation, plus only
    the conditions a member has without a check (tier, segment, member_days, birthday,
    first_purchase, date); a `segment` must name an RFM or uploaded segment that exists."""
    if not tree:
        return [_("A rule segment needs a rule.")]
    problems = validate(tree)
    if problems:
        return problems
    on_checks = sorted(leaves_of(tree) - MEMBER_LEAVES)
    if on_checks:
        problems.append(
            _(
                "A segment is a set of members, not of purchases: %(leaves)s cannot be used "
                "(only %(allowed)s)."
            )
            % {"leaves": ", ".join(on_checks), "allowed": ", ".join(sorted(MEMBER_LEAVES))}
        )
    codes = set(_segment_codes(tree))
    if codes:
        usable = set(
            Segment.objects.filter(code__in=codes)
            .exclude(kind=Segment.Kind.RULE)
            .values_list("code", flat=True)
        )
        if codes - usable:
            problems.append(
                _("segment: %(codes)s — a rule may name only RFM or uploaded segments that exist.")
                % {"codes": ", ".join(sorted(codes - usable))}
            )
    return problems


def _segment_codes(tree) -> Iterator[str]:
    if not tree:
        return
    ((key, value),) = tree.items()
    if key in ("all", "any"):
        for child in value:
            yield from _segment_codes(child)
    elif key == "not":
        yield from _segment_codes(value)
    elif key == "segment":
        yield from value


def judged_every_run(segment: Segment) -> bool:
    """A rule that changes with the calendar or with other segments is judged for every member
    on every run; the others only for the members whose own facts changed — once a run has
    judged them for everyone (a new rule, or one changed or switched on: `computed_at` None)."""
    return segment.computed_at is None or bool(leaves_of(segment.conditions) & EVERY_RUN_LEAVES)


# --- the recomputation ---------------------------------------------------------------------------
@dataclass
class SegmentResult:
    segment: Segment
    members: int = 0
    joined: int = 0
    left: int = 0


@dataclass
class Recomputed:
    full: bool
    looked_at: int = 0  # members whose RFM facts were refreshed
    skipped: bool = False  # another run was in progress
    segments: list[SegmentResult] = field(default_factory=list)


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# A member as the run reads them: id, joined, birth date, status, tier, checks recorded.
MEMBER_COLUMNS = (
    "pk",
    "created_at",
    "birth_date",
    "status",
    "account__tier_id",
    "account__purchases_count",
)


def _changed_members(settings: RfmSettings, now: dt.datetime) -> Q:
    """Members to look at again: purchases or refunds recorded, tier or profile changed since
    the previous run, time crossed a threshold, or no facts yet."""
    since = settings.recomputed_at - OVERLAP
    return (
        Q(activity__isnull=True)
        | Q(activity__next_change_at__lte=now)
        | Q(updated_at__gte=since)
        | Q(pk__in=Purchase.objects.filter(created_at__gte=since).values("member_id"))
        | Q(pk__in=Refund.objects.filter(created_at__gte=since).values("purchase__member_id"))
        | Q(pk__in=TierChange.objects.filter(created_at__gte=since).values("account_id"))
    )


class _Run:
    """One recomputation: the segments, the rule predicates and the counts so far."""

    def __init__(self, settings: RfmSettings, now: dt.datetime):
        self.settings = settings
        self.now = now
        self.local = now.astimezone(program_zone(get_program()))
        self.tier_codes = dict(Tier.objects.values_list("pk", "code"))
        live = list(Segment.objects.filter(is_active=True))
        self.segments = live
        self.by_class = {s.rfm_class: s for s in live if s.kind == Segment.Kind.RFM}
        self.rules = [
            (s, compile_tree(s.conditions))
            for s in live
            if s.kind == Segment.Kind.RULE and s.conditions and not rule_problems(s.conditions)
        ]
        self.static_ids = {s.pk for s in live if s.kind == Segment.Kind.STATIC}
        self.codes = {s.pk: s.code for s in live}
        self.joined: Counter = Counter()
        self.left: Counter = Counter()
        self.looked_at = 0

    def facts(self, member: tuple, codes: frozenset[str]) -> Facts:
        """A member's facts for a rule, as the cabinet's offers judge them (no check)."""
        _pk, joined, birth_date, _status, tier_id, purchases = member
        return Facts(
            local=self.local,
            tier_code=self.tier_codes.get(tier_id, ""),
            segments=codes,
            member_days=membership_days(joined, self.now),
            birth_date=birth_date,
            first_purchase=not purchases,
        )

    def refresh(self, members: list[tuple], contiguous: bool) -> None:
        """RFM facts, the RFM segment and every rule segment for these members."""
        ids = [m[0] for m in members]
        rows = purchase_facts(scope("member_id", ids, contiguous), self.settings, self.now)
        fresh = {m[0]: activity_of(m[1], rows.get(m[0]), self.settings, self.now) for m in members}
        stored = {
            row[0]: row[1:]
            for row in MemberActivity.objects.filter(scope("member_id", ids, contiguous))
            .values_list("member_id", *ACTIVITY_FIELDS)
            .iterator(chunk_size=CHUNK)
        }
        changed = [
            MemberActivity(
                member_id=member_id, computed_at=self.now, **dict(zip(ACTIVITY_FIELDS, values))
            )
            for member_id, values in fresh.items()
            if stored.get(member_id) != values
        ]
        if changed:
            MemberActivity.objects.bulk_create(
                changed,
                update_conflicts=True,
                unique_fields=["member"],
                update_fields=[*ACTIVITY_FIELDS, "computed_at"],
            )
        self.looked_at += len(ids)
        wanted: set[tuple[int, int]] = set()
        for member in members:
            segment = self.by_class.get(fresh[member[0]][RFM_CLASS])
            if segment is not None and member[3] != Member.Status.CLOSED:
                wanted.add((segment.pk, member[0]))
        considered = [s.pk for s in self.by_class.values()]
        wanted |= self._judge(members, self.rules, rfm=wanted, contiguous=contiguous)
        considered += [s.pk for s, _ in self.rules]
        self._apply(ids, considered, wanted, contiguous)

    def judge_every_run(self, members: list[tuple], contiguous: bool) -> None:
        """Only the rule segments that change with time or with other segments."""
        rules = [(s, p) for s, p in self.rules if judged_every_run(s)]
        ids = [m[0] for m in members]
        rfm = set(
            SegmentMember.objects.filter(
                scope("member_id", ids, contiguous),
                segment_id__in=[s.pk for s in self.by_class.values()],
            ).values_list("segment_id", "member_id")
        )
        wanted = self._judge(members, rules, rfm=rfm, contiguous=contiguous)
        self._apply(ids, [s.pk for s, _ in rules], wanted, contiguous)

    def _judge(self, members, rules, *, rfm: set, contiguous: bool) -> set:
        """(segment, member) for every rule that holds for a member (`rfm`: their RFM rows)."""
        if not rules:
            return set()
        codes: dict[int, set[str]] = defaultdict(set)
        for segment_id, member_id in rfm:
            codes[member_id].add(self.codes[segment_id])
        if self.static_ids and any("segment" in leaves_of(s.conditions) for s, _ in rules):
            ids = [m[0] for m in members]
            for segment_id, member_id in SegmentMember.objects.filter(
                scope("member_id", ids, contiguous), segment_id__in=self.static_ids
            ).values_list("segment_id", "member_id"):
                codes[member_id].add(self.codes[segment_id])
        wanted = set()
        for member in members:
            if member[3] == Member.Status.CLOSED:
                continue
            facts = self.facts(member, frozenset(codes.get(member[0], ())))
            wanted.update((s.pk, member[0]) for s, predicate in rules if predicate(facts))
        return wanted

    def _apply(self, ids: list[int], segment_ids: list[int], wanted: set, contiguous) -> None:
        """Make these members' rows of these segments exactly `wanted`, counting the moves."""
        if not segment_ids:
            return
        existing = set(
            SegmentMember.objects.filter(
                scope("member_id", ids, contiguous), segment_id__in=segment_ids
            ).values_list("segment_id", "member_id")
        )
        gone, new = existing - wanted, wanted - existing
        if gone:
            by_segment: dict[int, list[int]] = defaultdict(list)
            for segment_id, member_id in gone:
                by_segment[segment_id].append(member_id)
                self.left[segment_id] += 1
            query = Q()
            for segment_id, member_ids in by_segment.items():
                query |= Q(segment_id=segment_id, member_id__in=member_ids)
            SegmentMember.objects.filter(query).delete()
        if new:
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment_id=s, member_id=m, since=self.now) for s, m in new],
                ignore_conflicts=True,
            )
            self.joined.update(segment_id for segment_id, _ in new)


def thresholds_key(settings: RfmSettings) -> str:
    """The thresholds as one text: a run with other thresholds than the last one is full."""
    return "|".join(str(getattr(settings, name)) for name in RfmSettings.THRESHOLDS)


def _members():
    return Member.objects.order_by("pk").values_list(*MEMBER_COLUMNS)


def recompute(*, now: dt.datetime, full: bool = False) -> Recomputed:
    """Bring every active segment up to date at `now` (see the module's rules): incremental
    unless `full`, the first run, thresholds changed since the last run or an RFM segment
    switched on again. Safe to run twice;
    a run while another is in progress does nothing (`skipped`)."""
    settings = RfmSettings.current()
    claimed = (
        RfmSettings.objects.filter(pk=settings.pk)
        .filter(Q(recompute_started_at__isnull=True) | Q(recompute_started_at__lt=now - STALE_RUN))
        .update(recompute_started_at=now)
    )
    if not claimed:
        return Recomputed(full=full, skipped=True)
    finished = False
    try:
        run = _Run(settings, now)
        full = (
            full
            or settings.recomputed_at is None
            or settings.recomputed_with != thresholds_key(settings)
            # An RFM segment switched on again (admin) was not kept up to date while off.
            or any(segment.computed_at is None for segment in run.by_class.values())
        )
        members = _members() if full else _members().filter(_changed_members(settings, now))
        # Each chunk commits whole: a member's facts never say a class their rows do not.
        for chunk in _chunks(members.iterator(chunk_size=CHUNK), CHUNK):
            with transaction.atomic():
                run.refresh(chunk, contiguous=full)
        if not full and any(judged_every_run(segment) for segment, _ in run.rules):
            for chunk in _chunks(_members().iterator(chunk_size=CHUNK), CHUNK):
                with transaction.atomic():
                    run.judge_every_run(chunk, contiguous=True)
        results = _store_counts(run)
        finished = True
    finally:
        done = {"recomputed_at": now, "recomputed_with": thresholds_key(settings)}
        RfmSettings.objects.filter(pk=settings.pk).update(
            recompute_started_at=None, **(done if finished else {})
        )
    return Recomputed(full=full, looked_at=run.looked_at, segments=results)


def _add_count(segment_id: int, day: dt.date, members: int, joined: int, left: int) -> None:
    """The segment's size on `day`, with the members who joined and left that day."""
    with transaction.atomic():
        count, created = SegmentCount.objects.select_for_update().get_or_create(
            segment_id=segment_id,
            day=day,
            defaults={"members": members, "joined": joined, "left": left},
        )
        if not created:
            SegmentCount.objects.filter(pk=count.pk).update(
                members=members, joined=F("joined") + joined, left=F("left") + left
            )


def _sizes(segment_ids: list[int]) -> dict[int, int]:
    return dict(
        SegmentMember.objects.filter(segment_id__in=segment_ids)
        .values_list("segment_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _store_counts(run: _Run) -> list[SegmentResult]:
    sizes = _sizes([s.pk for s in run.segments])
    day = run.local.date()
    results = []
    for segment in run.segments:
        size = sizes.get(segment.pk, 0)
        changes = {"member_count": size}
        if segment.kind != Segment.Kind.STATIC:  # an uploaded list is computed when uploaded
            changes["computed_at"] = run.now
        Segment.objects.filter(pk=segment.pk).update(**changes)
        joined, left = run.joined[segment.pk], run.left[segment.pk]
        _add_count(segment.pk, day, size, joined, left)
        results.append(SegmentResult(segment, size, joined, left))
    return results


# --- reads for campaigns and triggers ------------------------------------------------------------
def member_segment_codes(member_id: int) -> frozenset[str]:
    """The codes of the active segments the member is in (the `segment` condition's fact)."""
    return frozenset(
        SegmentMember.objects.filter(member_id=member_id, segment__is_active=True).values_list(
            "segment__code", flat=True
        )
    )


def uses_segments(campaign) -> bool:
    """Whether a campaign's conditions name a segment (kept on the instance, as engine.plan
    keeps its predicate: a purchase asks this of every live campaign)."""
    cached = getattr(campaign, "_uses_segments", None)
    if cached is None:
        cached = campaign._uses_segments = "segment" in leaves_of(campaign.conditions)
    return cached


def segment_codes_for(member_id: int, campaigns: Iterable) -> frozenset[str]:
    """The member's segment codes when one of these campaigns has a `segment` condition;
    otherwise none, without a query (a purchase's statements stay as they are)."""
    if any(uses_segments(campaign) for campaign in campaigns):
        return member_segment_codes(member_id)
    return frozenset()


def members_in(segment: Segment, member_ids: Iterable[int]) -> set[int]:
    """Which of these members are in the segment (none when the segment is switched off)."""
    if not segment.is_active:
        return set()
    return set(
        SegmentMember.objects.filter(segment=segment, member_id__in=list(member_ids)).values_list(
            "member_id", flat=True
        )
    )


def member_ids(segment: Segment) -> Iterator[int]:
    """Every member of the segment, in id order, streamed (none when it is switched off)."""
    if not segment.is_active:
        return iter(())
    return (
        SegmentMember.objects.filter(segment=segment)
        .order_by("member_id")
        .values_list("member_id", flat=True)
        .iterator(chunk_size=CHUNK)
    )
