"""The OpenAPI schema validates, and the API keeps to it under generated requests."""

import itertools

import pytest
import schemathesis
from django.core.management import call_command
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 20


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), skip_checks=True
    )
    text = out.read_text()
    for path in (
        "/api/v1/members:",
        "/api/v1/members/lookup:",
        "/api/v1/members/{id}:",
        "/api/v1/members/{id}/ledger:",
        "/api/v1/purchases:",
        "/api/v1/purchases/quote:",
        "/api/v1/purchases/{id}:",
        "/api/v1/purchases/{id}/refunds:",
    ):
        assert path in text


@pytest.mark.slow
@override_settings(SMS_BACKEND="customers.sms.ConsoleSMSBackend")  # codes sent, not as files
def test_generated_requests_get_no_5xx_and_answers_that_match_the_schema(
    api_key, rich_member, partner, wsgi_app
):
    from loyalty.services import record_purchase

    purchase = record_purchase(
        member_id=rich_member.pk,
        partner=partner,
        external_id="SEED",
        amount="500.00",
        now=rich_member.created_at,
    ).purchase
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    auth = {"Authorization": f"Api-Key {api_key}"}
    known_ids = {"members": rich_member.pk, "purchases": purchase.pk}
    seen: dict[str, set[int]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11  # with GET /campaigns and POST /guest-checks

    phones = itertools.count(5550000)
    keys = itertools.count(1)

    def realistic(case):
        """Make a generated case valid where random data hardly ever is, so rules run to success."""
        body = case.body if isinstance(case.body, dict) else None
        if body is not None and "member_id" in body:
            body.update(member_id=rich_member.pk, amount="100.00", redeem_points=0)
            for name in ("lines", "store_id", "occurred_at"):
                body.pop(name, None)
        if body is not None and "phone" in body:
            body.update(phone=f"+7913{next(phones):07d}", consents={"personal_data": True})
            for name in ("email", "referral_code", "birth_date"):
                body.pop(name, None)
        if case.query and "card" in case.query:
            case.query = {"card": rich_member.card_number}
        if case.headers and "Idempotency-Key" in case.headers:
            # Keys are per partner: one generated for another operation would be refused here.
            case.headers["Idempotency-Key"] = f"realistic-{next(keys)}"
        return case

    for operation in operations:
        strategy = operation.as_strategy(headers=auth)
        if "{id}" in operation.path:
            resource = operation.path.split("/")[3]
            strategy = st.one_of(
                strategy,
                operation.as_strategy(headers=auth, path_parameters={"id": known_ids[resource]}),
            )
        strategy = st.one_of(strategy, strategy.map(realistic))

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call_and_validate(checks=CHECKS)
            seen.setdefault(case.operation.label, set()).add(response.status_code)

        check()
    # Every operation was also driven to success, not only to its error answers.
    assert len(seen) == len(operations)
    assert all(any(200 <= code < 300 for code in codes) for codes in seen.values()), seen
