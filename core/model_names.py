"""Model names declined for the phrases the admin builds around them.

Django's admin puts a model's verbose name, always in the nominative, into phrases such as
"Select %s to change" or "Are you sure you want to delete the %(object_name)s …?". Russian needs
the accusative there ("Выберите участника для изменения", "удалить покупку"). Every model the
admin shows has its entry here, keyed by "app_label.model_name": the accusative singular and
plural, written as the English verbose names under the contexts "accusative" and "accusative
plural", so that English reads as before and the Russian catalogue holds the declined forms.
tests/admin/test_admin_language.py fails for a registered model without an entry.
"""

from typing import NamedTuple

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy


class Declined(NamedTuple):
    accusative: Promise | str
    accusative_plural: Promise | str


# makemessages reads the msgids from the calls below, so each is spelled out in full.
DECLINED_NAMES: dict[str, Declined] = {
    # Django and third-party apps
    "auth.group": Declined(
        pgettext_lazy("accusative", "group"), pgettext_lazy("accusative plural", "groups")
    ),
    "django_celery_beat.periodictask": Declined(
        pgettext_lazy("accusative", "periodic task"),
        pgettext_lazy("accusative plural", "periodic tasks"),
    ),
    "django_celery_beat.clockedschedule": Declined(
        pgettext_lazy("accusative", "clocked"), pgettext_lazy("accusative plural", "clocked")
    ),
    "django_celery_beat.crontabschedule": Declined(
        pgettext_lazy("accusative", "crontab"), pgettext_lazy("accusative plural", "crontabs")
    ),
    "django_celery_beat.solarschedule": Declined(
        pgettext_lazy("accusative", "solar event"),
        pgettext_lazy("accusative plural", "solar events"),
    ),
    "django_celery_beat.intervalschedule": Declined(
        pgettext_lazy("accusative", "interval"), pgettext_lazy("accusative plural", "intervals")
    ),
    # customers
    "customers.member": Declined(
        pgettext_lazy("accusative", "member"), pgettext_lazy("accusative plural", "members")
    ),
    "customers.user": Declined(
        pgettext_lazy("accusative", "staff user"),
        pgettext_lazy("accusative plural", "staff users"),
    ),
    "customers.personaldataaccess": Declined(
        pgettext_lazy("accusative", "personal data access"),
        pgettext_lazy("accusative plural", "personal data access log"),
    ),
    "customers.datarequest": Declined(
        pgettext_lazy("accusative", "personal data request"),
        pgettext_lazy("accusative plural", "personal data requests"),
    ),
    # loyalty
    "loyalty.program": Declined(
        pgettext_lazy("accusative", "program settings"),
        pgettext_lazy("accusative plural", "program settings"),
    ),
    "loyalty.tier": Declined(
        pgettext_lazy("accusative", "tier"), pgettext_lazy("accusative plural", "tiers")
    ),
    "loyalty.tierchange": Declined(
        pgettext_lazy("accusative", "tier change"),
        pgettext_lazy("accusative plural", "tier changes"),
    ),
    "loyalty.partner": Declined(
        pgettext_lazy("accusative", "partner"), pgettext_lazy("accusative plural", "partners")
    ),
    "loyalty.store": Declined(
        pgettext_lazy("accusative", "store"), pgettext_lazy("accusative plural", "stores")
    ),
    "loyalty.partnerapikey": Declined(
        pgettext_lazy("accusative", "partner API key"),
        pgettext_lazy("accusative plural", "partner API keys"),
    ),
    "loyalty.account": Declined(
        pgettext_lazy("accusative", "points account"),
        pgettext_lazy("accusative plural", "points accounts"),
    ),
    "loyalty.pointlot": Declined(
        pgettext_lazy("accusative", "points lot"),
        pgettext_lazy("accusative plural", "points lots"),
    ),
    "loyalty.ledgerentry": Declined(
        pgettext_lazy("accusative", "ledger entry"),
        pgettext_lazy("accusative plural", "ledger entries"),
    ),
    "loyalty.purchase": Declined(
        pgettext_lazy("accusative", "purchase"), pgettext_lazy("accusative plural", "purchases")
    ),
    "loyalty.refund": Declined(
        pgettext_lazy("accusative", "refund"), pgettext_lazy("accusative plural", "refunds")
    ),
    "loyalty.guestcheck": Declined(
        pgettext_lazy("accusative", "check without a card"),
        pgettext_lazy("accusative plural", "checks without a card"),
    ),
    "loyalty.adjustmentrequest": Declined(
        pgettext_lazy("accusative", "manual adjustment"),
        pgettext_lazy("accusative plural", "manual adjustments"),
    ),
    "loyalty.historyimport": Declined(
        pgettext_lazy("accusative", "history import"),
        pgettext_lazy("accusative plural", "history imports"),
    ),
    # campaigns
    "campaigns.campaign": Declined(
        pgettext_lazy("accusative", "campaign"), pgettext_lazy("accusative plural", "campaigns")
    ),
    "campaigns.award": Declined(
        pgettext_lazy("accusative", "campaign award"),
        pgettext_lazy("accusative plural", "campaign awards"),
    ),
    "campaigns.segment": Declined(
        pgettext_lazy("accusative", "segment"), pgettext_lazy("accusative plural", "segments")
    ),
    "campaigns.segmentmember": Declined(
        pgettext_lazy("accusative", "segment member"),
        pgettext_lazy("accusative plural", "segment members"),
    ),
    "campaigns.rfmsettings": Declined(
        pgettext_lazy("accusative", "RFM thresholds"),
        pgettext_lazy("accusative plural", "RFM thresholds"),
    ),
    "campaigns.bulkoperation": Declined(
        pgettext_lazy("accusative", "bulk operation"),
        pgettext_lazy("accusative plural", "bulk operations"),
    ),
    "campaigns.bulkitem": Declined(
        pgettext_lazy("accusative", "member of a bulk operation"),
        pgettext_lazy("accusative plural", "members of bulk operations"),
    ),
    "campaigns.trigger": Declined(
        pgettext_lazy("accusative", "trigger"), pgettext_lazy("accusative plural", "triggers")
    ),
    "campaigns.message": Declined(
        pgettext_lazy("accusative", "message"), pgettext_lazy("accusative plural", "messages")
    ),
    "campaigns.messagingsettings": Declined(
        pgettext_lazy("accusative", "messaging settings"),
        pgettext_lazy("accusative plural", "messaging settings"),
    ),
    "campaigns.webhookendpoint": Declined(
        pgettext_lazy("accusative", "webhook endpoint"),
        pgettext_lazy("accusative plural", "webhook endpoints"),
    ),
    "campaigns.webhookdelivery": Declined(
        pgettext_lazy("accusative", "webhook delivery"),
        pgettext_lazy("accusative plural", "webhook deliveries"),
    ),
    # cabinet, desk
    "cabinet.faqentry": Declined(
        pgettext_lazy("accusative", "FAQ entry"), pgettext_lazy("accusative plural", "FAQ entries")
    ),
    "desk.deskactivity": Declined(
        pgettext_lazy("accusative", "desk activity"),
        pgettext_lazy("accusative plural", "desk activity"),
    ),
}


def declined(opts) -> Declined:
    """The declined names of a model (its `_meta`), as text in the active language. A model
    without an entry, or whose declined form the catalogue lacks yet, keeps its verbose names:
    "Выберите участник…" reads better than "Выберите member…"."""
    entry = DECLINED_NAMES.get(opts.label_lower)
    if entry is None:
        return Declined(str(opts.verbose_name), str(opts.verbose_name_plural))
    return Declined(
        _translated_or(entry.accusative, opts.verbose_name),
        _translated_or(entry.accusative_plural, opts.verbose_name_plural),
    )


def _translated_or(declined_name, name) -> str:
    text = str(declined_name)
    with translation.override("en"):
        untranslated = text == str(declined_name)
    return str(name) if untranslated else text
