"""Middleware of the partner API's own chain (settings.API_MIDDLEWARE), and the answer to a
lost database (both chains)."""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from core.outage import RETRY_AFTER_SECONDS, is_database_unavailable

logger = logging.getLogger("config")


def api_locale(get_response):
    """The language of the API's messages, from Accept-Language (or the language cookie).

    What LocaleMiddleware does for paths without a language prefix — the API's have none —
    without looking for one in the path twice per request (LocaleMiddleware was ~3.5 % of a
    lookup's CPU samples in py-spy).
    """

    def middleware(request):
        translation.activate(translation.get_language_from_request(request))
        language = request.LANGUAGE_CODE = translation.get_language()
        response = get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response

    return middleware


def content_length(get_response):
    """Set Content-Length, as CommonMiddleware does for the site: clients that keep the
    connection open then need no chunked decoding."""

    def middleware(request):
        response = get_response(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response

    return middleware


class DatabaseUnavailableMiddleware:
    """While the database cannot be reached, answer `503` with `Retry-After` instead of a 500:
    a small page on the site, `{"code": "service_unavailable", …}` on the partner API (whose
    exception handler lets these errors through to here). Which errors count is decided in
    one place, core.outage.is_database_unavailable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable on %s: %s", request.path, exception)
        if request.path_info.startswith(settings.API_PATH_PREFIX):
            from api.errors import json_error  # the API's own error bodies

            response = json_error(
                "service_unavailable",
                _("The service is temporarily unavailable; retry after a few seconds."),
                status=503,
                retry_after=RETRY_AFTER_SECONDS,
            )
        else:
            response = HttpResponse(render_to_string("503.html", request=request), status=503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
