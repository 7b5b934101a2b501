"""Whatever a client sends, a mistake of the client is a 4xx in the API's JSON contract, never a
5xx: every operation of the OpenAPI schema gets the whole set of bad inputs.

The operations, their path and query parameters and their body fields are read from the schema,
so an endpoint added later is covered without touching this file.
"""

import base64
import copy
import json
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from loyalty.services import record_purchase

pytestmark = pytest.mark.django_db

OVERSIZE = 3 * 1024 * 1024  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)

# Bodies that are not the JSON object of a request.
BROKEN_BODIES = {
    "invalid JSON": ("{not json", "parse_error"),
    "truncated JSON": ('{"member_id": 1', "parse_error"),
    "nesting past the decoder's limit": ("[" * 100_000 + "]" * 100_000, "parse_error"),
    "nesting just under the decoder's limit": ("[" * 900 + "]" * 900, "parse_error"),
    "nested objects": ('{"a":' * 500 + "1" + "}" * 500, "parse_error"),
    "an integer of 5 000 digits": ("1" * 5000, "parse_error"),
    "NaN": ('{"member_id": NaN}', "parse_error"),
    "not UTF-8": (b'{"external_id": "\xff\xfe"}', "parse_error"),
}
NOT_AN_OBJECT = [[], "text", 1, None, True]

# Values of the wrong type or out of range for a field of each schema type: each is refused.
HUGE = 10**40
WRONG = {
    "integer": ["abc", "", [], {}, True, 1.5, HUGE, -HUGE, "1e999", 2**63],
    "number": ["abc", [], {}, True],
    "string": [[], {}, True],
    "boolean": ["maybe", [], {}, 2],
    "object": ["text", [], 1],
    "array": ["text", {}, 1],
    "decimal": ["abc", "1e999", "NaN", "Infinity", "-Infinity", "1" * 40, "0.0001", [], {}],
    "date": ["9999-99-99", "10000-01-01", "2026-02-30", "tomorrow", [], 20260101],
    "date-time": [
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "2026-13-01T00:00:00Z",
        "2026-01-01T25:00:00Z",
        "yesterday",
        [],
    ],
}
# Values any text field may get: they may be accepted, but never answered with a 5xx.
ODD = ["", " ", "\x00", "x" * 10_000, "١٢٣", "𝟙𝟚𝟛", "<script>", "' OR 1=1 --", None]

ODD_QUERY = ["", "\x00", "x" * 5000, "١٢٣", "-1", "0", "99999999999999999999999", "1e999"]
ODD_IDS = ["abc", "1.5", "-1", "0x1", "1" * 19, "9" * 40, "%00", "١٢٣", "1%20", ""]
UNKNOWN_ID = "999999999999999999"  # 18 digits: a valid id that names nothing


def crafted_cursors() -> list[str]:
    def encode(query: str) -> str:
        return base64.b64encode(query.encode()).decode()

    return [
        "zzzz",
        "%%%",
        encode("p=9999-99-99&o=1"),
        encode("p=not-a-time"),
        encode("p=2026-01-01"),
        encode("p=\x00"),
        encode("o=-5&r=1&p=2026-01-01T00:00:00"),
        encode("o=99999999999999999999999&p=2026-01-01T00:00:00%2B00:00"),
        encode("p=9999-12-31T23:59:59-23:59"),
        encode("p=0001-01-01T00:00:00"),
        encode("p=" + "9" * 5000),
    ]


def assert_client_error(response, *, status=None, code=None):
    """A 4xx answer in the API's contract: JSON {"code", "detail", "fields"}."""
    what = f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}"
    assert 400 <= response.status_code < 500, (what, response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, (what, response.content[:300])
    assert response["Content-Type"] == "application/json", what
    body = response.json()
    assert isinstance(body["code"], str) and body["code"], what
    assert isinstance(body["detail"], str) and body["detail"], what
    assert isinstance(body["fields"], dict), what
    if code is not None:
        assert body["code"] == code, (what, body)
    return body


def assert_no_server_error(response):
    if response.status_code >= 400:
        assert_client_error(response)


# --- the schema ----------------------------------------------------------------------------------
def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def kind_of(node: dict) -> str:
    """The WRONG key for a property's schema."""
    if node.get("format") in ("decimal", "date", "date-time"):
        return node["format"]
    return node.get("type", "object")


def sample(schema: dict, node: dict):
    """A valid-looking value of a schema node, for bodies without an example."""
    node = resolve(schema, node)
    kind = kind_of(node)
    if kind == "object":
        return {
            name: sample(schema, prop)
            for name, prop in node.get("properties", {}).items()
            if name in node.get("required", [])
        }
    return {
        "integer": 1,
        "number": 1,
        "string": "x",
        "boolean": True,
        "array": [],
        "decimal": "1.00",
        "date": "2000-01-01",
        "date-time": "2026-01-01T12:00:00+03:00",
    }[kind]


def field_paths(schema: dict, node: dict, prefix=()):
    """(path, property schema) of every field, nested objects and array items included."""
    node = resolve(schema, node)
    for name, prop in node.get("properties", {}).items():
        prop = resolve(schema, prop)
        yield (*prefix, name), prop
        if kind_of(prop) == "object":
            yield from field_paths(schema, prop, (*prefix, name))
        elif kind_of(prop) == "array" and "items" in prop:
            yield from field_paths(schema, prop["items"], (*prefix, name, 0))


def with_value(body: dict, path: tuple, value) -> dict:
    """A copy of `body` with the field at `path` set (parents created as needed)."""
    body = copy.deepcopy(body)
    target = body
    for i, step in enumerate(path[:-1]):
        following = path[i + 1]
        if isinstance(target, list):
            while len(target) <= step:
                target.append({})
            target = target[step]
            continue
        if not isinstance(target.get(step), dict | list):
            target[step] = [] if isinstance(following, int) else {}
        target = target[step]
    if isinstance(target, list):
        while len(target) <= path[-1]:
            target.append({})
    target[path[-1]] = value
    return body


class Operation:
    def __init__(self, schema, path, method, spec):
        self.schema, self.path, self.method, self.spec = schema, path, method.upper(), spec
        parameters = spec.get("parameters", [])
        self.query = [p["name"] for p in parameters if p["in"] == "query"]
        self.has_id = any(p["in"] == "path" and p["name"] == "id" for p in parameters)
        content = spec.get("requestBody", {}).get("content", {}).get("application/json")
        self.body_schema = content["schema"] if content else None
        examples = (content or {}).get("examples", {})
        self.example = next(iter(examples.values()))["value"] if examples else None

    def __repr__(self):
        return f"{self.method} {self.path}"

    @property
    def resource(self) -> str:
        return self.path.split("/")[3]  # /api/v1/<resource>/...


@pytest.fixture
def operations(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = [
        Operation(schema, path, method, spec)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    ]
    assert len(found) >= 8
    return found


@pytest.fixture
def world(rich_member, partner, now):
    purchase = record_purchase(
        member_id=rich_member.pk,
        partner=partner,
        external_id="SEED",
        lines=[  # the lines of the schema's examples
            {"sku": "MILK-1L", "price": "89.90", "quantity": 2},
            {"sku": "CIG-01", "price": "250.00", "quantity": 1, "redeemable": False},
        ],
        now=now,
    ).purchase
    return {"members": rich_member.pk, "purchases": purchase.pk, "member": rich_member}


class Caller:
    """Sends requests to an operation as its partner would, each with a fresh idempotency key."""

    def __init__(self, api, world):
        self.api, self.world = api, world

    def url(self, op: Operation, id_value=None) -> str:
        if not op.has_id:
            return op.path
        value = self.world[op.resource] if id_value is None else id_value
        return op.path.replace("{id}", str(value))

    def headers(self) -> dict:
        return {
            "HTTP_AUTHORIZATION": f"Api-Key {self.api.key}",
            "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()),
        }

    def base_query(self, op: Operation) -> dict:
        return {"card": self.world["member"].card_number} if "card" in op.query else {}

    def raw(self, op: Operation, body, *, url=None, query=None):
        url = url or self.url(op)
        client = self.api.client
        if op.method == "GET":
            return client.get(url, query or {}, **self.headers())
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return client.generic(op.method, url, data, "application/json", **self.headers())

    def base_body(self, op: Operation) -> dict:
        """A valid body: the schema's example made to fit this database, else a sample."""
        if op.body_schema is None:
            return {}
        body = copy.deepcopy(op.example) if op.example is not None else {}
        body = {**sample(op.schema, op.body_schema), **body}
        if "member_id" in body:
            body["member_id"] = self.world["members"]
        if "redeem_points" in body:
            body["redeem_points"] = 0
        for name in ("external_id",):
            if name in body:
                body[name] = f"X-{uuid.uuid4().hex[:12]}"
        if "phone" in body:
            body["phone"] = "+7 916 555-44-33"
        return body


@pytest.fixture
def caller(api, world):
    api.client.raise_request_exception = False  # a 500 is asserted on, not raised
    return Caller(api, world)


# --- the tests -----------------------------------------------------------------------------------
def test_every_operation_answers_a_well_formed_request(operations, caller):
    # The baseline the bad inputs below start from: without it they would prove nothing.
    for op in operations:
        response = caller.raw(op, caller.base_body(op), query=caller.base_query(op))
        assert response.status_code < 300, (op, response.content[:300])


def test_a_body_over_the_upload_limit_is_413_request_too_large(operations, caller, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < OVERSIZE
    big = json.dumps({"external_id": "x" * OVERSIZE, "phone": "x" * OVERSIZE})
    posted = [op for op in operations if op.body_schema is not None]
    assert posted
    for op in posted:
        body = assert_client_error(caller.raw(op, big), status=413, code="request_too_large")
        assert body["max_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.parametrize("case", list(BROKEN_BODIES))
def test_a_body_that_is_not_acceptable_json_is_400_parse_error(operations, caller, case):
    text, code = BROKEN_BODIES[case]
    for op in operations:
        if op.body_schema is not None:
            assert_client_error(caller.raw(op, text), status=400, code=code)


def test_a_body_that_is_not_an_object_is_400(operations, caller):
    for op in operations:
        if op.body_schema is not None:
            for body in NOT_AN_OBJECT:
                assert_client_error(caller.raw(op, body), status=400)


def test_a_field_of_the_wrong_type_or_out_of_range_is_a_4xx(operations, caller):
    checked = 0
    for op in operations:
        if op.body_schema is None:
            continue
        base = caller.base_body(op)
        for path, prop in field_paths(op.schema, op.body_schema):
            for value in WRONG[kind_of(prop)]:
                response = caller.raw(op, with_value(base, path, value))
                assert_client_error(response)
                checked += 1
    assert checked > 100


def test_odd_text_in_any_field_is_never_a_server_error(operations, caller):
    for op in operations:
        if op.body_schema is None:
            continue
        base = caller.base_body(op)
        for path, _prop in field_paths(op.schema, op.body_schema):
            for value in ODD:
                assert_no_server_error(caller.raw(op, with_value(base, path, value)))


def test_odd_query_parameters_are_never_a_server_error(operations, caller):
    for op in operations:
        for name in op.query:
            for value in ODD_QUERY:
                assert_no_server_error(caller.raw(op, caller.base_body(op), query={name: value}))


def test_a_crafted_ledger_cursor_is_404_not_found(operations, caller):
    with_cursor = [op for op in operations if "cursor" in op.query]
    assert with_cursor
    for op in with_cursor:
        for cursor in crafted_cursors():
            response = caller.raw(op, None, query={"cursor": cursor})
            if response.status_code != 200:  # a well-formed position past the end is a page
                assert_client_error(response, status=404, code="not_found")


def test_a_ledger_cursor_with_an_impossible_time_is_404(api, world):
    cursor = base64.b64encode(b"p=9999-99-99&o=1").decode()
    response = api.get(f"/api/v1/members/{world['members']}/ledger", {"cursor": cursor})
    assert_client_error(response, status=404, code="not_found")


def test_an_unknown_or_non_numeric_id_is_404(operations, caller):
    with_id = [op for op in operations if op.has_id]
    assert with_id
    for op in with_id:
        body = caller.base_body(op)
        response = caller.raw(op, body, url=caller.url(op, UNKNOWN_ID))
        assert_client_error(response, status=404)
        for bad in ODD_IDS:
            response = caller.raw(op, body, url=caller.url(op, bad))
            assert_client_error(response, status=404)


def test_unknown_ids_inside_a_body_are_a_4xx(operations, caller):
    for op in operations:
        if op.body_schema is None:
            continue
        base = caller.base_body(op)
        for path, prop in field_paths(op.schema, op.body_schema):
            if path[-1] in ("member_id", "store_id") and kind_of(prop) == "integer":
                for value in (int(UNKNOWN_ID), 2**63 - 1):
                    assert_client_error(caller.raw(op, with_value(base, path, value)))


def test_a_check_with_many_lines_is_not_mistaken_for_deep_nesting(api, world):
    lines = [{"sku": f"SKU-{i}", "price": "10.00", "quantity": "1"} for i in range(60)]
    response = api.post("/api/v1/purchases/quote", {"member_id": world["members"], "lines": lines})
    assert response.status_code == 200, response.content


def test_a_request_naming_a_host_we_do_not_serve_is_400(api, world):
    # The ledger's page links are built from the Host header, which Django then refuses.
    response = api.get(f"/api/v1/members/{world['members']}/ledger", HTTP_HOST="evil.example")
    assert_client_error(response, status=400, code="bad_request")
