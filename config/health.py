import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse

from core.outage import RETRY_AFTER_SECONDS

logger = logging.getLogger("config")


def healthz(request):
    """Liveness and database check for load balancers: 200 when the database answers, else 503.

    The check is public, so a failure says only that the database is unavailable: its host,
    port and error text go to the server's log, not to whoever asks.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: database unavailable: %s", exc)
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})
