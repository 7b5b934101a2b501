"""What the site and the partner API answer when the database cannot be reached.

A restart, a failover or a lost connection makes every query fail for a moment. That is not a
bug of the request: the answer is `503 Service Unavailable` with `Retry-After`, so that clients
and load balancers wait and try again. An error of a statement itself (a constraint, a syntax
error, a deadlock) stays a 500: that is a bug to fix, not an outage to wait out.
"""

import psycopg
from django.db import InterfaceError, OperationalError

# Seconds a client should wait: a PostgreSQL restart takes about a second (docs/RELIABILITY.md).
RETRY_AFTER_SECONDS = 5

# SQLSTATEs of a server that is going away, starting up or out of resources: class 08
# (connection exception), class 53 (insufficient resources: too many connections, out of
# memory or disk), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now.
_UNAVAILABLE_CLASSES = {"08", "53"}
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03"}


def is_database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached right now (refused, lost, restarting,
    out of connections); False for every error of a statement itself."""
    if isinstance(exc, InterfaceError):  # the connection is closed or unusable
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if not isinstance(cause, psycopg.Error):
        return False
    state = cause.sqlstate
    # No SQLSTATE: the client library failed to connect or lost the connection.
    return state is None or state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES
