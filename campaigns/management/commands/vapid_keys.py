"""Print a new VAPID key pair for web push, as lines to put into .env or the environment."""

from django.core.management.base import BaseCommand

from campaigns.push import new_vapid_keys


class Command(BaseCommand):
    help = (
        "Make a VAPID key pair for web push and print VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY. "
        "Changing the keys later makes every browser subscribe again."
    )

    def handle(self, *args, **options):
        public, private = new_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
