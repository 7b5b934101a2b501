"""Check every ledger invariant for all accounts; print what breaks; exit 1 if anything does."""

from django.core.management.base import BaseCommand, CommandError

from loyalty.services.audit import DEFAULT_BATCH_SIZE, audit_ledger


class Command(BaseCommand):
    help = "Check every ledger invariant for all accounts; exit non-zero if any breaks."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--limit", type=int, default=100, help="Print at most this many problems."
        )

    def handle(self, *args, batch_size: int, limit: int, **options):
        count = 0
        for problem in audit_ledger(batch_size=batch_size):
            count += 1
            if count <= limit:
                self.stdout.write(str(problem))
        if count:
            raise CommandError(f"{count} ledger problem(s) found.")
        self.stdout.write(self.style.SUCCESS("Ledger OK: every invariant holds."))
