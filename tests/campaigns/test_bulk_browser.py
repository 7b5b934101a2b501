"""A running bulk operation's page in headless Chromium: the progress bar follows the counters
(static/backoffice/progress.js polls progress/) and the page breaks no rule of the CSP."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import BulkOperation
from tests.campaigns.test_admin_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_progress_bar_follows_a_running_operation(live_server, page):
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security" in msg.text else None,
    )
    now = timezone.now()
    operation = BulkOperation.objects.create(
        kind="award",
        points=10,
        reason="Подарок",
        list_member_ids=[1],
        status=BulkOperation.Status.RUNNING,
        created_at=now,
        total=200,
        processed=50,
    )
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/campaigns/bulkoperation/{operation.pk}/change/")
    expect(page.locator("#bulk-percent")).to_have_text("25")
    BulkOperation.objects.filter(pk=operation.pk).update(processed=150)
    expect(page.locator("#bulk-percent")).to_have_text("75", timeout=15_000)
    expect(page.locator("#bulk-processed")).to_have_text("150")
    BulkOperation.objects.filter(pk=operation.pk).update(
        processed=200, applied=200, points_moved=2000, status=BulkOperation.Status.DONE
    )
    # Finished: the page reloads and shows the result with the undo button.
    expect(page.locator("input[name=_undo]")).to_be_visible(timeout=15_000)
    expect(page.locator("#bulk-points")).to_have_text("2000")
    assert violations == []
