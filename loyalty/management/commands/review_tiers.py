"""`manage.py review_tiers [--now ISO-8601]`: run the periodic tier review once and print what
it did. The beat runs the same service daily (loyalty.tasks.review_tiers_task)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from loyalty.services import review_tiers


class Command(BaseCommand):
    help = "Review every member's tier: apply due downgrades and any missed upgrades."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Review as of this moment, ISO-8601 (default: the current time). "
            "Without an offset it is read in the TIME_ZONE setting.",
        )
        parser.add_argument("--batch-size", type=int, default=10_000)

    def handle(self, *args, now=None, batch_size=10_000, **options):
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now is not an ISO-8601 date and time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        else:
            moment = timezone.now()
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        stats = review_tiers(now=moment, batch_size=batch_size)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in stats.items()))
