"""config.wsgi: the partner API runs through its own short middleware chain, the site through
the full one — both from one URLconf."""

import io
import json

from django.conf import settings


def call(app, path, *, method="GET", headers=None, body=b""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        **(headers or {}),
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = {}
        for name, value in response_headers:
            answer["headers"].setdefault(name.lower(), []).append(value)

    answer["body"] = b"".join(app(environ, start_response))
    return answer


def test_api_requests_skip_the_browser_middleware(wsgi_app, db):
    answer = call(wsgi_app, "/api/v1/members/lookup", headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert answer["status"] == 401
    body = json.loads(answer["body"])
    assert body["code"] == "not_authenticated"
    assert body["detail"] == "Authentication credentials were not provided."
    headers = answer["headers"]
    assert headers["content-type"] == ["application/json"]
    assert headers["content-length"] == [str(len(answer["body"]))]
    assert headers["content-language"] == ["en"]  # LocaleMiddleware still runs
    assert headers["x-content-type-options"] == ["nosniff"]  # and SecurityMiddleware
    assert "x-frame-options" not in headers  # the clickjacking middleware does not
    assert "set-cookie" not in headers
    assert "Cookie" not in ",".join(headers.get("vary", []))


def test_api_errors_follow_the_language_and_ignore_accept(wsgi_app, db):
    answer = call(
        wsgi_app,
        "/api/v1/members/1",
        headers={"HTTP_ACCEPT_LANGUAGE": "ru", "HTTP_ACCEPT": "text/html"},
    )
    assert answer["status"] == 401
    assert answer["headers"]["content-type"] == ["application/json"]
    assert json.loads(answer["body"])["detail"] == "Учетные данные не были предоставлены."


def test_site_requests_keep_the_full_middleware(wsgi_app, db):
    answer = call(wsgi_app, "/desk/login/")
    assert answer["status"] == 200
    assert answer["headers"]["x-frame-options"] == ["DENY"]
    assert any("csrftoken=" in cookie for cookie in answer["headers"]["set-cookie"])


def test_the_api_chain_is_the_site_chain_without_the_browser_parts():
    assert settings.API_PATH_PREFIX == "/api/"
    # What CommonMiddleware would have set; LocaleMiddleware for paths without a language prefix.
    own = {"config.middleware.content_length", "config.middleware.api_locale"}
    # The API's own Content-Security-Policy: fixed for JSON, django-csp's for the docs page.
    own.add("config.security.api_content_security_policy")
    assert set(settings.API_MIDDLEWARE) - own <= set(settings.MIDDLEWARE)
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE
