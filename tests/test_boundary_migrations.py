"""Moving data between apps loses nothing: a cashier keeps their store when it moves from the
staff user to loyalty, and the desk's activity log keeps its rows and its permission when it moves
from the cabinet to the desk (a group given its view permission keeps it)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("customers", "0010_marketer_views_data_requests"),
    ("loyalty", "0009_program_redeem_confirmation_shares_members"),
    ("cabinet", "0002_initial"),
    ("desk", None),
]
AFTER = [
    ("customers", "0011_remove_user_store"),
    ("loyalty", "0010_staff_assignment"),
    ("cabinet", "0003_deskactivity_to_desk"),
    ("desk", "0002_deskactivity_own_table"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1]]).apps


@pytest.mark.django_db(transaction=True)
def test_cashiers_keep_their_store_and_the_desk_log_keeps_its_rows_and_permission():
    old = migrate(BEFORE)
    partner = old.get_model("loyalty", "Partner").objects.create(name="Old partner")
    store = old.get_model("loyalty", "Store").objects.create(partner=partner, name="Old store")
    User = old.get_model("customers", "User")
    cashier = User.objects.create(username="old-kassa", store=store)
    User.objects.create(username="no-store")
    row = old.get_model("cabinet", "DeskActivity").objects.create(
        user=cashier,
        store=store,
        action="lookup",
        query="***-67-89",
        created_at="2026-12-01T10:00Z",
    )
    desk_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="cabinet", model="deskactivity"
    )
    view, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=desk_type, codename="view_deskactivity", defaults={"name": "view"}
    )
    auditors = old.get_model("auth", "Group").objects.create(name="desk auditors")
    auditors.permissions.add(view)

    try:
        new = migrate(AFTER)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assignments = new.get_model("loyalty", "StaffAssignment").objects.all()
    assert [(a.user.username, a.store_id) for a in assignments] == [("old-kassa", store.pk)]
    moved = new.get_model("desk", "DeskActivity").objects.get()
    assert (moved.pk, moved.user_id, moved.store_id, moved.query) == (
        row.pk,
        cashier.pk,
        store.pk,
        "***-67-89",
    )
    view = new.get_model("auth", "Permission").objects.get(pk=view.pk)
    assert (view.content_type.app_label, view.content_type.model) == ("desk", "deskactivity")
    assert auditors.permissions.filter(pk=view.pk).exists()
