"""Home (balance, expiry, tier, card) and the read-only pages: offers, rules, FAQ."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cabinet.member_auth import get_member, member_required
from cabinet.models import FaqEntry
from cabinet.templatetags.cabinet_card import live_qr_svg
from cabinet.views.common import render_page
from campaigns.offers import member_offers
from loyalty.selectors import expiring_points, member_balance, tier_changes, tier_progress
from loyalty.services.program import get_program, get_tiers

EXPIRY_DATES_SHOWN = 24  # the nearest three at once, the rest behind "more"


def home(request):
    """The member's home; before logging in, the page that explains the program."""
    if get_member(request) is None:
        return landing(request)
    return _member_home(request)


def landing(request):
    return render_page(request, "cabinet/landing.html", {"tiers": tier_terms()})


@member_required
def _member_home(request):
    member = request.member
    now = timezone.now()
    program = get_program()
    balance = member_balance(member.pk, now=now)
    return render_page(
        request,
        "cabinet/home.html",
        {
            "balance": balance,
            "available_rub": balance.available * program.point_value,
            "expiring": expiring_points(member.pk, now=now, limit=EXPIRY_DATES_SHOWN),
            "progress": tier_progress(member.pk, now=now),
            "tier_changes": tier_changes(member.pk, limit=3),
        },
    )


@never_cache
@member_required
def card_qr(request):
    """The card's QR code for this moment, as SVG: the home page swaps it in as it changes."""
    svg = live_qr_svg(request.member, _("QR code of your card"))
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@member_required
def offers(request):
    offers = member_offers(member=request.member, now=timezone.now(), language=get_language())
    join_url = request.build_absolute_uri(
        f"{reverse('cabinet:join')}?{urlencode({'ref': request.member.referral_code})}"
    )
    return render_page(request, "cabinet/offers.html", {"offers": offers, "join_url": join_url})


@member_required
def card(request):
    """The card alone, large and bright, to be scanned at the till."""
    return render_page(request, "cabinet/card.html")


def tier_terms() -> list[tuple]:
    """Each active tier with the spend where the next one starts (None for the top tier)."""
    tiers = get_tiers()
    return [(tier, nxt.min_spend if nxt else None) for tier, nxt in zip(tiers, [*tiers[1:], None])]


def rules(request):
    return render_page(request, "cabinet/rules.html", {"tiers": tier_terms()})


def faq(request):
    entries = FaqEntry.objects.filter(is_published=True)
    return render_page(request, "cabinet/faq.html", {"entries": entries})
