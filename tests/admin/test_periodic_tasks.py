"""The beat jobs (Celery periodic tasks) are the program's plumbing: administrators see them,
titled in their language; marketers and analysts neither see nor change them."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import PeriodicTask

from campaigns.models import Trigger
from campaigns.schedules import RUN_TRIGGER, schedule_name
from campaigns.schedules_admin import TASK_TITLES

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/django_celery_beat/periodictask/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
PERIODIC_TASK_PERMISSIONS = {"view_periodictask", "change_periodictask"}


@pytest.mark.parametrize("role", ["marketer_client", "analyst_client"])
def test_marketers_and_analysts_neither_see_nor_change_the_periodic_tasks(request, role):
    client = request.getfixturevalue(role)
    job = PeriodicTask.objects.get(task="loyalty.tasks.burn_points")

    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{job.pk}/change/").status_code == 403
    assert client.post(f"{LIST_URL}{job.pk}/change/", {"enabled": ""}).status_code == 403
    assert "django_celery_beat" not in client.get("/admin/").content.decode()
    job.refresh_from_db()
    assert job.enabled


def test_the_migration_takes_the_periodic_tasks_from_marketers_and_gives_them_back_on_reverse():
    migration = importlib.import_module("customers.migrations.0015_hide_periodic_tasks")
    state = MigrationExecutor(connection).loader.project_state(
        ("customers", "0015_hide_periodic_tasks")
    )
    marketer = Group.objects.get(name="marketer")

    def granted() -> set[str]:
        codes = marketer.permissions.filter(content_type__app_label="django_celery_beat")
        return set(codes.values_list("codename", flat=True))

    assert granted() == set()
    migration.show_again(state.apps, None)
    assert granted() == PERIODIC_TASK_PERMISSIONS
    migration.hide(state.apps, None)
    assert granted() == set()
    assert Permission.objects.filter(codename="change_periodictask").exists()


def test_every_scheduled_task_has_a_title():
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True)) - {RUN_TRIGGER}
    assert scheduled <= set(TASK_TITLES), scheduled - set(TASK_TITLES)


def test_an_admin_sees_each_job_by_its_title_and_when_it_runs(admin_client):
    trigger = Trigger.objects.order_by("pk").first()

    page = admin_client.get(LIST_URL, **EN).content.decode()

    assert "Make pending points available" in page
    assert "Activate pending points" not in page  # the job's key, kept in the database
    assert f"Trigger “{trigger.name}”" in page
    assert schedule_name(trigger.code) not in page
    assert "Every 10 minutes" in page


def test_the_schedules_read_in_russian_for_a_russian_admin(admin_client):
    page = admin_client.get(LIST_URL, **RU).content.decode()

    assert "Каждые 10 минут" in page
    assert "*/10 * * * *" not in page  # neither in the schedule nor in the rows' labels


def test_an_admin_can_still_open_a_new_job_form(admin_client):
    assert admin_client.get(f"{LIST_URL}add/", **EN).status_code == 200


def test_an_admin_still_changes_a_jobs_schedule(admin_client):
    job = PeriodicTask.objects.get(task="loyalty.tasks.burn_points")
    page = admin_client.get(f"{LIST_URL}{job.pk}/change/", **EN)

    assert page.status_code == 200
    assert page.context["subtitle"] == "Burn expired points"  # titled, not "name: crontab"
    assert "At 00:05" in page.content.decode()  # when it runs, in words
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data |= {"enabled": "", "regtask": job.task, "task": job.task, "crontab": job.crontab_id}
    data |= {"args": "[]", "kwargs": "{}", "headers": "{}", "name": job.name}
    response = admin_client.post(f"{LIST_URL}{job.pk}/change/", data, **EN)

    assert response.status_code == 302, response.context["adminform"].form.errors
    job.refresh_from_db()
    assert job.enabled is False
    assert job.name == "Burn expired points"


def test_a_russian_admin_sees_the_jobs_titled_in_russian(admin_client):
    """Needs the Russian catalogue with this round's phrases (/tmp/h20/po/E-campaigns.po)."""
    page = admin_client.get(LIST_URL, **RU).content.decode()

    assert "Списать просроченные баллы" in page
    assert "Активировать ожидающие баллы" in page
    assert "Триггер «" in page
    assert "Burn expired points" not in page
