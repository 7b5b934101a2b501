"""`manage.py recompute_segments [--now ISO] [--full]`: the segments' beat job by hand, printing
each segment's size and who joined and left."""

from django.core.management.base import BaseCommand, no_translations

from campaigns.management.commands.give_event_bonuses import moment
from campaigns.segments import recompute


class Command(BaseCommand):
    help = "Recompute the segments (only members whose purchases or time changed, or --full)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="as of this moment (ISO 8601; default: now)")
        parser.add_argument(
            "--full", action="store_true", help="every member (e.g. after changing thresholds)"
        )

    @no_translations  # the whole report in English, its labels too, whatever ran before
    def handle(self, *args, now=None, full=False, **options):
        when = moment(now)
        result = recompute(now=when, full=full)
        if result.skipped:
            self.stdout.write("Another recomputation is running; nothing done.")
            return
        kind = "full" if result.full else "incremental"
        self.stdout.write(
            f"As of {when.isoformat()} ({kind}): {result.looked_at} members looked at."
        )
        for row in result.segments:
            self.stdout.write(
                f"  {row.segment.code} ({row.segment.get_kind_display()}): {row.members} members, "
                f"+{row.joined} joined, -{row.left} left"
            )
