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
