"""WSGI entry point: the partner API and the site share one URLconf but not one middleware stack.

Partner API requests (`settings.API_PATH_PREFIX`) carry an API key, not a browser session:
sessions, CSRF, authentication, messages and clickjacking headers do nothing for them but cost
CPU on every request of the hottest paths (docs/PERFORMANCE.md). So they go through a second
Django handler built from `settings.API_MIDDLEWARE`; everything else through `MIDDLEWARE`.
"""

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
site = get_wsgi_application()  # also runs django.setup()

from django.conf import settings  # noqa: E402  (after setup)


class APIMiddlewareMixin:
    """For a Django handler: build the middleware chain from `settings.API_MIDDLEWARE`."""

    def load_middleware(self, is_async=False):
        # BaseHandler reads settings.MIDDLEWARE; swap the list in while the chain is built
        # (once, before the handler serves its first request).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class APIHandler(APIMiddlewareMixin, WSGIHandler):
    pass


api = APIHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(settings.API_PATH_PREFIX):
        return api(environ, start_response)
    return site(environ, start_response)
