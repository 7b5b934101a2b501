"""Make pending points available as of --now (default: now); safe to run twice."""

from django.core.management.base import BaseCommand

from loyalty.management.commands.burn_points import parse_now
from loyalty.services import activate_due_points


class Command(BaseCommand):
    help = "Activate pending points due as of --now (ISO-8601, default now)."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=parse_now, default=None, help="ISO-8601 date-time")

    def handle(self, *args, now, **options):
        now = now or parse_now(None)
        count = activate_due_points(now=now)
        self.stdout.write(f"Activated {count} lot(s) as of {now.isoformat()}.")
