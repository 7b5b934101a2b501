"""Beat jobs about members (schedules: customers/migrations)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from customers.services import erase_closed_members as erase_closed_members_service


@shared_task(name="customers.tasks.erase_closed_members")
def erase_closed_members() -> str:
    erased = erase_closed_members_service(
        now=timezone.now(), after_days=settings.ERASE_CLOSED_MEMBERS_AFTER_DAYS
    )
    return f"erase_closed_members: {erased} members erased"
