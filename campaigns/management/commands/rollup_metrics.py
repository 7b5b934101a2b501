"""`manage.py rollup_metrics [--day D | --from D --to D] [--now ISO]`: compute the daily rollups
of the program's figures again for these days (each day in its own transaction, replacing its
rows), or without a day do what the nightly beat job does: yesterday, missed days, late rows."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, no_translations

from campaigns.management.commands.give_event_bonuses import moment
from campaigns.management.commands.program_metrics import parse_day
from campaigns.metrics.rollups import FutureDay, rollup_days, rollup_pending, today


class Command(BaseCommand):
    help = "Roll up the program's figures for a day, a range of days, or what is due."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="one day, YYYY-MM-DD")
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
        parser.add_argument("--now", help="as of this moment (ISO 8601; default: now)")

    @no_translations
    def handle(self, *args, day=None, start=None, end=None, now=None, **options):
        when = moment(now)
        if day and (start or end):
            raise CommandError("Give either --day or --from and --to, not both.")
        if bool(start) != bool(end):
            raise CommandError("--from and --to go together.")
        if day:
            start = end = day
        if not start:
            report = rollup_pending(now=when)
            self.stdout.write(
                f"Rolled up {len(report.days)} days ({len(report.late_days)} with late rows) "
                f"and {len(report.months)} months."
            )
            return
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        if first > last:
            raise CommandError(f"--from {first} is after --to {last}.")
        if last >= today(when):
            raise CommandError(f"{last} has not ended yet: only past days are rolled up.")
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        try:
            report = rollup_days(days=days, now=when)
        except FutureDay as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Rolled up {len(report.days)} days ({first} – {last}) and {len(report.months)} months."
        )
