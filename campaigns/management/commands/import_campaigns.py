"""Create or update campaigns from a JSON file (docs/CAMPAIGNS.md), all or nothing."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.transfer import import_campaigns


class Command(BaseCommand):
    help = (
        "Import campaigns from a JSON file by code, all or nothing; exits non-zero on errors "
        "(then nothing is written)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", metavar="FILE", help='a file made by export_campaigns ("-": stdin)'
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args, file: str, dry_run: bool, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not JSON: {exc}") from exc
        result = import_campaigns(data, dry_run=dry_run)
        if result.errors:
            for key, messages in result.errors.items():
                for message in messages:
                    self.stderr.write(f"{key}: {message}")
            count = sum(len(messages) for messages in result.errors.values())
            raise CommandError(f"{count} error(s): nothing was imported.")
        for label, codes in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
        ):
            self.stdout.write(
                f"{label}: {len(codes)}" + (f" ({', '.join(codes)})" if codes else "")
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
