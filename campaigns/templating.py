"""The words of a message: a trigger's template for the member's channel and language, filled
with the member's own figures.

Templates use Django's template syntax in an engine of their own: no files can be included, the
`messaging` filters (plural_ru) are built in, HTML is escaped in e-mail bodies only. Variables
every template has: first_name, balance, pending, tier, card_last4, cabinet_url,
unsubscribe_url, program_name — plus the occasion's own (docs/MESSAGING.md lists them per kind).
"""

import contextlib
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.urls import reverse
from django.utils import translation

from campaigns.models import MessageTemplate, Trigger
from customers.models import Member
from loyalty.services.program import get_program

DEFAULT_LANGUAGE = "ru"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Recipient:
    """What a message may say about its member (read for a whole chunk at once)."""

    member_id: int
    first_name: str
    language: str
    card_number: str
    balance: int
    pending: int
    tier: str
    tier_en: str
    time_zone: str = ""  # empty: the program's


def recipients(member_ids, *, active_only: bool = True) -> dict[int, Recipient]:
    """What messages may say about these members (the active ones only, unless told), read in
    one query."""
    members = Member.objects.filter(pk__in=list(member_ids))
    if active_only:
        members = members.filter(status=Member.Status.ACTIVE)
    rows = members.values_list(
        "pk",
        "first_name",
        "language",
        "card_number",
        "account__available",
        "account__pending",
        "account__tier__name",
        "account__tier__name_en",
        "time_zone",
    )
    return {
        row[0]: Recipient(
            member_id=row[0],
            first_name=row[1],
            language=row[2],
            card_number=row[3],
            balance=row[4] or 0,
            pending=row[5] or 0,
            tier=row[6] or "",
            tier_en=row[7] or "",
            time_zone=row[8],
        )
        for row in rows
    }


def _engine(autoescape: bool) -> Engine:
    return Engine(
        dirs=[],
        app_dirs=False,
        autoescape=autoescape,
        builtins=["campaigns.templatetags.messaging"],
        libraries={},
    )


_TEXT = _engine(autoescape=False)
_HTML = _engine(autoescape=True)


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Template:
    return (_HTML if html else _TEXT).from_string(source)


def _filled(source: str, context: dict, *, html: bool) -> str:
    return _compiled(source, html).render(Context(context)) if source else ""


def check_syntax(source: str) -> str | None:
    """The syntax error of a template text, or None (the admin form shows it)."""
    try:
        _TEXT.from_string(source)
    except TemplateSyntaxError as error:
        return str(error)
    return None


def language_of(language: str) -> str:
    code = (language or DEFAULT_LANGUAGE).split("-")[0].lower()
    return code if code in {"ru", "en"} else DEFAULT_LANGUAGE


def template_for(
    templates: dict[tuple[str, str], MessageTemplate], channel: str, language: str
) -> MessageTemplate | None:
    """The template for a channel in the member's language, else in Russian."""
    return templates.get((channel, language_of(language))) or templates.get(
        (channel, DEFAULT_LANGUAGE)
    )


def templates_of(trigger: Trigger) -> dict[tuple[str, str], MessageTemplate]:
    return {(t.channel, t.language): t for t in trigger.templates.all()}


def variables_for(
    recipient: Recipient, occasion: dict, *, channel: str, topic: str
) -> dict[str, object]:
    """Every variable of one message: the member's, the program's and the occasion's own."""
    from campaigns.unsubscribe import unsubscribe_url

    english = language_of(recipient.language) == "en"
    return {
        "first_name": recipient.first_name,
        "balance": recipient.balance,
        "pending": recipient.pending,
        "tier": (recipient.tier_en or recipient.tier) if english else recipient.tier,
        "card_last4": recipient.card_number[-4:],
        "program_name": get_program().name,
        "cabinet_url": _cabinet_url(settings.SITE_URL),
        "unsubscribe_url": unsubscribe_url(recipient.member_id, channel, topic),
        **occasion,
    }


@lru_cache(maxsize=8)
def _cabinet_url(site_url: str) -> str:
    return site_url + reverse("cabinet:home")


def _dates(variables: dict) -> dict:
    """ISO dates in the variables become dates, so `{{ expires_on|date:"j E" }}` works."""
    result = dict(variables)
    for key, value in variables.items():
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            with contextlib.suppress(ValueError):
                result[key] = dt.date.fromisoformat(value)
    return result


def render(template: MessageTemplate, variables: dict) -> Rendered:
    """Fill a template in its language (dates and numbers formatted for it); raises
    TemplateSyntaxError on a broken one."""
    context = _dates(variables)
    with translation.override(template.language):
        subject = _filled(template.subject, context, html=False).strip()
        text = _filled(template.text, context, html=False).strip()
        html = _filled(template.html, context, html=True)
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)
