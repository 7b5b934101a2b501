"""Middleware of the partner API's own chain (settings.API_MIDDLEWARE)."""


def content_length(get_response):
    """Set Content-Length, as CommonMiddleware does for the site: clients that keep the
    connection open then need no chunked decoding."""

    def middleware(request):
        response = get_response(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response

    return middleware
