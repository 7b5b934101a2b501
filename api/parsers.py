"""The partner API's JSON parser: a body a client got wrong is the client's 400, never a 500."""

import io

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of the API nests deeper than 3 (a check → its lines → a line); the margin is wide.
MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """JSON nested deeper than MAX_DEPTH is a `400 parse_error` like any body that is not JSON.

    DRF's parser turns only ValueError into a ParseError; Python's decoder raises RecursionError
    on deeply nested arrays, and a body just under its limit would fail later instead (hashing
    the body for the idempotency key walks it again).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF hands the body over as a BytesIO. A body with no more brackets than MAX_DEPTH
        # cannot nest deeper, and counting them costs far less than walking the data.
        raw = stream.getvalue() if isinstance(stream, io.BytesIO) else None
        few_brackets = raw is not None and raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH
        try:
            data = super().parse(stream, media_type, parser_context)
            too_deep = not few_brackets and nesting_exceeds(data, MAX_DEPTH)
        except RecursionError:
            too_deep = True
        if too_deep:
            raise ParseError(
                _("JSON parse error - nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            )
        return data


def nesting_exceeds(data, limit: int) -> bool:
    """Whether arrays and objects in `data` nest more than `limit` levels (walked level by
    level, not recursively)."""
    level = [data] if isinstance(data, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        deeper = []
        for container in level:
            items = container.values() if isinstance(container, dict) else container
            deeper.extend(item for item in items if isinstance(item, dict | list))
        level = deeper
    return False
