"""The virtual loyalty card: QR code (segno) and EAN-13 barcode (python-barcode) as inline SVG.

The barcode carries the 13-digit card number, which finds the member and earns points. The QR
code carries the card number and a code that changes every 30 seconds
(loyalty.services.presence): scanned live at the till it also proves the member is there, so
points can be spent; a photo of it soon stops working. Both are digits only, so the generated
SVG is safe to mark as such.
"""

import io
import re

import barcode
import segno
from barcode.writer import SVGWriter
from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from loyalty.services.presence import QR_WINDOW, qr_token

register = template.Library()
PX_PER_MM = 96 / 25.4
STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')


def _presentation_attributes(match: re.Match) -> str:
    declarations = (d.split(":", 1) for d in match.group(1).split(";") if ":" in d)
    return " ".join(f'{name.strip()}="{escape(value.strip())}"' for name, value in declarations)


@register.simple_tag
def card_qr(card_number: str, title: str = ""):
    qr = segno.make(card_number, error="m", micro=False)
    # No fixed size: a viewBox, so the stylesheet decides how large the code is drawn.
    svg = qr.svg_inline(
        scale=5, dark="#111", title=title or None, svgclass="card-qr", omitsize=True
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def live_qr_svg(member, title: str = "") -> str:
    """The member's QR code for this moment (see the module docstring)."""
    token = qr_token(member_id=member.pk, card_number=member.card_number, now=timezone.now())
    return card_qr(token, title)


@register.simple_tag
def card_live_qr(member, title: str = ""):
    return live_qr_svg(member, title)


@register.simple_tag
def card_qr_refresh_seconds() -> int:
    return int(QR_WINDOW.total_seconds())


@register.simple_tag
def card_barcode(card_number: str, title: str = ""):
    if not re.fullmatch(r"\d{13}", card_number or ""):
        return ""
    code = barcode.get("ean13", card_number[:12], writer=SVGWriter())
    out = io.BytesIO()
    code.write(
        out,
        options={
            "module_width": 0.4,
            "module_height": 18,
            "font_size": 8,
            "text_distance": 4,
            "quiet_zone": 3,
        },
    )
    svg = out.getvalue().decode()
    svg = svg[svg.index("<svg") :]
    # A viewBox lets CSS scale the code down on narrow screens instead of clipping it.
    size = re.search(r'width="([\d.]+)mm" height="([\d.]+)mm"', svg)
    if size:
        width, height = (float(v) * PX_PER_MM for v in size.groups())
        svg = svg.replace(size.group(0), f'{size.group(0)} viewBox="0 0 {width:.1f} {height:.1f}"')
    # The page's Content-Security-Policy refuses inline style attributes; SVG presentation
    # attributes (fill="black") say the same and are not styles.
    svg = STYLE_ATTRIBUTE.sub(_presentation_attributes, svg)
    label = escape(title or card_number)
    return mark_safe(  # noqa: S308
        svg.replace("<svg ", f'<svg role="img" class="card-barcode" aria-label="{label}" ', 1)
    )
