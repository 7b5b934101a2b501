"""Celery beat jobs: thin wrappers over the services, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from loyalty.services import activate_due_points, burn_expired_points, review_tiers


@shared_task(name="loyalty.tasks.activate_points")
def activate_points() -> int:
    return activate_due_points(now=timezone.now())


@shared_task(name="loyalty.tasks.burn_points")
def burn_points() -> int:
    return burn_expired_points(now=timezone.now())


@shared_task(name="loyalty.tasks.review_tiers")
def review_tiers_task() -> dict:
    return review_tiers(now=timezone.now())


@shared_task(name="loyalty.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    from loyalty.api.idempotency import delete_old_records

    return delete_old_records(now=timezone.now())


@shared_task(name="loyalty.tasks.purge_login_codes")
def purge_login_codes() -> int:
    from customers.otp import delete_old_codes

    return delete_old_codes(now=timezone.now())
