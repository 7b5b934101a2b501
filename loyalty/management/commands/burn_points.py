"""Burn points expired as of --now (default: now); safe to run twice."""

import argparse
import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from loyalty.services import burn_expired_points


def parse_now(value: str | None) -> dt.datetime:
    """An ISO-8601 date-time; without an offset it is read in the project time zone."""
    if value is None:
        return timezone.now()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {value!r}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Burn points expired as of --now (ISO-8601, default now)."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=parse_now, default=None, help="ISO-8601 date-time")

    def handle(self, *args, now, **options):
        now = now or parse_now(None)
        count = burn_expired_points(now=now)
        self.stdout.write(f"Burnt {count} lot(s) as of {now.isoformat()}.")
