"""Create an API key for a partner (creating the partner if needed) and print it once."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from loyalty.models import Partner, PartnerAPIKey


class Command(BaseCommand):
    help = (
        "Create a partner API key. Creates the partner if it does not exist. "
        "The key is printed alone on the last line and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("partner", help="The partner's name.")
        parser.add_argument("--name", default="", help="A label for the key (default: 'cli').")
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Expire after N days (default never)."
        )

    def handle(self, *args, **options):
        name = options["partner"].strip()
        if not name:
            raise CommandError("The partner name is empty.")
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days must be positive.")
        with transaction.atomic():
            partner, created = Partner.objects.get_or_create(name=name[:200])
            _api_key, key = PartnerAPIKey.objects.create_key(
                partner=partner,
                name=(options["name"] or "cli")[:50],
                expiry_date=timezone.now() + dt.timedelta(days=days) if days else None,
            )
        if created:
            self.stderr.write(f"Created partner “{partner.name}” (id {partner.pk}).")
        self.stderr.write(f"API key for “{partner.name}” (store it now, it is not kept):")
        self.stdout.write(key)
