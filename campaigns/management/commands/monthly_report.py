"""`manage.py monthly_report --month YYYY-MM [--partner ID] [--store ID] [--output FILE]
[--language ru|en] [--send]`: the monthly program report by hand — written to a PDF file, or
(`--send`) e-mailed to the marketers as beat does on the 1st, once per month."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from campaigns import monthly_report
from core.errors import DomainError
from loyalty.models import Partner, Store


class Command(BaseCommand):
    help = "Write the monthly program report as a PDF, or e-mail it to the marketers (--send)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--partner", type=int, help="a partner's id (default: all)")
        parser.add_argument("--store", type=int, help="a store's id (default: all)")
        parser.add_argument("--output", help="the PDF file (default: kopilka-report-YYYY-MM.pdf)")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
        )
        parser.add_argument(
            "--send",
            action="store_true",
            help="e-mail the whole program's report to the marketers (once per month)",
        )

    def handle(self, *args, month, partner, store, output, language, send, **options):
        now = timezone.now()
        try:
            first = monthly_report.parse_month(month)
            monthly_report.month_period(first, today=monthly_report.program_today(now))
        except DomainError as error:
            raise CommandError(str(error.detail)) from error
        if send:
            if partner or store or output:
                raise CommandError("--send e-mails the whole program's report; drop the others.")
            delivery = monthly_report.send_monthly_report(now=now, month=first)
            if delivery is None:
                self.stdout.write(f"{month}: already sent, or no marketer with an e-mail.")
            else:
                self.stdout.write(f"{month}: sent to {', '.join(delivery.recipients)}.")
            return
        scope = {
            "partner": self._get(Partner, partner, "--partner"),
            "store": self._get(Store, store, "--store"),
        }
        with translation.override(language):
            try:
                pdf = monthly_report.build_report_pdf(month=first, now=now, **scope)
            except DomainError as error:
                raise CommandError(str(error.detail)) from error
        path = output or monthly_report.report_filename(first)
        with open(path, "wb") as file:
            file.write(pdf)
        self.stdout.write(f"{path}: {len(pdf)} bytes.")

    @staticmethod
    def _get(model, pk, option):
        if pk is None:
            return None
        found = model.objects.filter(pk=pk).first()
        if found is None:
            raise CommandError(f"{option} {pk}: no such {model._meta.model_name}.")
        return found
