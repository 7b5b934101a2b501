"""Write campaigns as JSON (docs/CAMPAIGNS.md): all of them, or those given by code."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from campaigns.transfer import export_campaigns


class Command(BaseCommand):
    help = "Export campaigns as JSON (stdout by default) to keep in git or import elsewhere."

    def add_arguments(self, parser):
        parser.add_argument(
            "--code",
            dest="codes",
            nargs="+",
            action="extend",
            default=[],
            metavar="CODE",
            help="only these campaigns (default: all)",
        )
        parser.add_argument("--output", default=None, metavar="FILE", help="default: stdout")

    def handle(self, *args, codes: list[str], output: str | None, **options):
        campaigns = Campaign.objects.all()
        if codes:
            campaigns = campaigns.filter(code__in=codes)
            missing = sorted(set(codes) - set(campaigns.values_list("code", flat=True)))
            if missing:
                raise CommandError(f"No campaign with code: {', '.join(missing)}.")
        text = json.dumps(export_campaigns(campaigns), ensure_ascii=False, indent=2) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        count = len(json.loads(text)["campaigns"])
        self.stderr.write(f"{count} campaign(s) written to {output}.")
