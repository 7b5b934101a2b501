"""The virtual loyalty card: QR code (segno) and EAN-13 barcode (python-barcode) as inline SVG.

Both carry the 13-digit card number, which the desk scans or types. Card numbers are digits
only (customers.cards), so the generated SVG is safe to mark as such.
"""

import io
import re

import barcode
import segno
from barcode.writer import SVGWriter
from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()
PX_PER_MM = 96 / 25.4


@register.simple_tag
def card_qr(card_number: str, title: str = ""):
    qr = segno.make(card_number, error="m", micro=False)
    svg = qr.svg_inline(scale=5, dark="#111", title=title or None, svgclass="card-qr")
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


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
    label = escape(title or card_number)
    return mark_safe(  # noqa: S308
        svg.replace("<svg ", f'<svg role="img" class="card-barcode" aria-label="{label}" ', 1)
    )
