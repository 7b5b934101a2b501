"""`manage.py program_metrics --from YYYY-MM-DD --to YYYY-MM-DD [--partner ID] [--store ID]
[--now ISO] [--live]`: the program's figures as JSON (docs/METRICS.md), for BI tools and
scripts."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, no_translations

from campaigns.management.commands.give_event_bonuses import moment
from campaigns.metrics import program_metrics
from core.errors import DomainError


def parse_day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option}: not a date in the form YYYY-MM-DD: {text!r}") from exc


def _errors(error: DomainError) -> str:
    details = [str(message) for messages in error.fields.values() for message in messages]
    return " ".join(details) or str(error.detail)


class Command(BaseCommand):
    help = "Print the program's figures for a period (and a partner or a store) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--partner", type=int, help="a partner's id: its purchases only")
        parser.add_argument("--store", type=int, help="a store's id: its purchases only")
        parser.add_argument("--now", help="as of this moment (ISO 8601; default: now)")
        parser.add_argument(
            "--live", action="store_true", help="ignore the daily rollups (slow; a check)"
        )

    @no_translations
    def handle(self, *args, start, end, partner=None, store=None, now=None, live=False, **opts):
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        if first > last:
            raise CommandError(f"--from {first} is after --to {last}.")
        try:
            result = program_metrics(
                start=first,
                end=last,
                partner_id=partner,
                store_id=store,
                now=moment(now),
                live_only=live,
            )
        except DomainError as exc:
            raise CommandError(_errors(exc)) from exc
        self.stdout.write(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
