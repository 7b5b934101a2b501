"""`manage.py run_triggers [--now ISO] [--dry-run] [--trigger CODE …] [--queue]`: every due
trigger by hand, as beat runs them, printing per trigger what it sent and what it suppressed and
why (every message with -v 2). Messages due now are sent in this process, through the same
`deliver` the Celery workers use, unless --queue hands them to the Celery queue."""

from collections import Counter

from django.core.management.base import BaseCommand

from campaigns import messaging
from campaigns.management.commands.give_event_bonuses import moment


class Command(BaseCommand):
    help = "Run the due triggers now (what the beat jobs do) and print what each one did."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="as of this moment (ISO 8601; default: now)")
        parser.add_argument(
            "--dry-run", action="store_true", help="decide and print; write and send nothing"
        )
        parser.add_argument(
            "--trigger",
            action="append",
            dest="codes",
            metavar="CODE",
            help="only this trigger, on or off (may be repeated)",
        )
        parser.add_argument(
            "--queue", action="store_true", help="hand due messages to the Celery queue"
        )

    def handle(self, *args, now=None, dry_run=False, codes=None, queue=False, **options):
        when = moment(now)
        verbose = options["verbosity"] >= 2
        reports = messaging.run_due(now=when, dry_run=dry_run, codes=codes, enqueue=queue)
        if not reports:
            self.stdout.write("No trigger is due.")
        for report in reports:
            self.stdout.write(report.line())
            if verbose:
                for row in report.details:
                    self.stdout.write(
                        f"  member {row.member_id}, {row.occasion}: {row.status}"
                        + (f" ({row.reason})" if row.reason else "")
                        + (f" by {row.channel}" if row.channel else "")
                    )
        if dry_run or queue:
            return
        delivered = Counter()
        seen: set[int] = set()
        while ids := [i for i in messaging.due_message_ids(now=when) if i not in seen]:
            seen.update(ids)
            for message_id in ids:
                delivered[messaging.deliver(message_id, now=when)] += 1
        if delivered:
            self.stdout.write(
                "Delivery: " + ", ".join(f"{k} {v}" for k, v in sorted(delivered.items()))
            )
