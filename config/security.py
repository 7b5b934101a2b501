"""Security headers: no cached copies of personal data (both middleware chains), and the
partner API's Content-Security-Policy (the site's comes from django-csp's middleware)."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import patch_cache_control

NO_STORE = "no-store, private"


def no_store(get_response):
    """Pages and API answers carry members' personal data and balances, so no browser, proxy
    or CDN may keep a copy: every answer says `Cache-Control: no-store, private`.

    Static files (the same for everyone) and the health check keep their own caching. A view's
    own Cache-Control is kept and made no-store as well.
    """
    exempt = ("/" + settings.STATIC_URL.lstrip("/"), "/healthz")

    def middleware(request):
        response = get_response(request)
        if request.path_info.startswith(exempt):
            return response
        if "Cache-Control" in response:
            patch_cache_control(response, no_store=True, private=True)
        else:
            response.headers["Cache-Control"] = NO_STORE
        return response

    return middleware


# The partner API answers JSON, which no browser runs: one fixed policy that allows nothing.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def api_content_security_policy(get_response):
    """The Content-Security-Policy of the partner API's chain.

    JSON answers get the fixed `API_POLICY`: django-csp builds its policy anew for every
    answer (~0.13-0.19 ms here, several per cent of a purchase). HTML answers (the Swagger UI
    at /api/docs/) get the site's policy and nonce from django-csp, as every page does.
    """
    site_policy = CSPMiddleware(get_response)

    def middleware(request):
        site_policy.process_request(request)  # request.csp_nonce, for an HTML page
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            return site_policy.process_response(request, response)
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
        return response

    return middleware
