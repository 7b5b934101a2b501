"""Erase the personal data of members closed more than N days ago (also a nightly beat job)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers.services import erase_closed_members


class Command(BaseCommand):
    help = (
        "Erase the personal data of members closed (or who withdrew the personal-data consent) "
        "more than --days days ago (default ERASE_CLOSED_MEMBERS_AFTER_DAYS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--now", help="ISO 8601 moment to act as of (default: now)")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, days=None, now=None, batch=500, **options):
        moment = parse_datetime(now) if now else timezone.now()
        if moment is None or timezone.is_naive(moment):
            self.stderr.write("--now must be an ISO 8601 moment with a time zone")
            raise SystemExit(2)
        after = settings.ERASE_CLOSED_MEMBERS_AFTER_DAYS if days is None else days
        total = 0
        while erased := erase_closed_members(now=moment, after_days=after, batch=batch):
            total += erased
        self.stdout.write(f"{total} members erased")
