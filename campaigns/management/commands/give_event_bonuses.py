"""`manage.py give_event_bonuses [--now ISO] [--dry-run]`: the birthday and anniversary beat
jobs by hand, printing every member given or skipped and why."""

import datetime as dt
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns import events
from loyalty.services.program import get_program, program_zone


def moment(text: str | None) -> dt.datetime:
    """ISO 8601; without an offset, in the program's time zone; none: now."""
    if not text:
        return timezone.now()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--now: not an ISO date and time: {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=program_zone(get_program()))
    return value


class Command(BaseCommand):
    help = "Give the birthday and years-of-membership bonuses due now (what the beat jobs do)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="as of this moment (ISO 8601; default: now)")
        parser.add_argument(
            "--dry-run", action="store_true", help="only list who is due; give nothing"
        )

    def handle(self, *args, now=None, dry_run=False, **options):
        when = moment(now)
        self.stdout.write(f"As of {when.isoformat()}{' (dry run)' if dry_run else ''}:")
        for job, run in (
            ("birthday", events.birthday_bonuses),
            ("anniversary", events.anniversary_bonuses),
        ):
            results = run(now=when, dry_run=dry_run)
            for row in results:
                if row.reason == "already":
                    continue
                self.stdout.write(
                    f"  {job}: campaign {row.campaign.code!r}, member {row.member_id}, "
                    f"{row.occasion}: {row.reason}"
                    + (f", {row.points} points" if row.points else "")
                )
            counts = Counter(row.reason for row in results)
            done = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
            self.stdout.write(f"{job}: {done or 'none due'}")
