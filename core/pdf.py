"""HTML to PDF with WeasyPrint, the one setup every PDF of the platform shares (the member's
statement, the monthly program report): their templates set the fonts ("DejaVu Sans", which
carries Cyrillic, "№" and "₽"), this sets the base URL relative links resolve against."""

from django.conf import settings


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of this HTML; relative links resolve against `base_url` (the request's site
    root for a download; the configured SITE_URL when there is no request, as in beat)."""
    from weasyprint import HTML  # imported on use: it is heavy and only PDFs need it

    return HTML(string=html, base_url=base_url or f"{settings.SITE_URL}/").write_pdf()
