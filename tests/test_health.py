from django.db import connection


def test_healthz_answers_200_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_suite_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"
