"""The demo's embedded servers (scripts/embedded.py): PostgreSQL and Valkey from wheels.

A task whose worker is killed mid-run must come back, in the demo as in production: the demo's
broker is the embedded Valkey, and settings give Redis brokers a visibility timeout of minutes.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from celery import Celery

from tests.valkey import load_embedded

ROOT = Path(__file__).resolve().parent.parent


embedded = load_embedded()


def wait_for(path: Path, *, timeout: float) -> float:
    """Wait until `path` exists; return the seconds waited (fail after `timeout`)."""
    start = time.monotonic()
    while not path.exists():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{path.name} did not appear within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture(scope="session")
def valkey_broker(tmp_path_factory):
    """A Valkey started from the wheel for this test session; its broker URL."""
    folder = tmp_path_factory.mktemp("valkey")
    broker_url, _cache_url = embedded.start_valkey(folder, persistent=False)
    yield broker_url
    embedded.stop_valkey(folder)


@pytest.fixture
def pg_folder():
    """A folder for a cluster. Not under pytest's tmp_path: started as root, PostgreSQL runs as
    the user `pgserver`, who must be able to enter the folder's parents, and every pytest
    session on the machine resets the root of tmp_path to owner-only."""
    folder = Path(tempfile.mkdtemp(prefix="kopilka-embedded-pg-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_the_embedded_postgresql_answers_and_keeps_its_data_across_restarts(pg_folder):
    pgdata = pg_folder / "pg"
    url = embedded.start_postgres(pgdata)
    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as c:
            assert c.execute("SELECT 1").fetchone() == (1,)
            c.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        assert embedded.stop_postgres(pgdata)
        assert not embedded.stop_postgres(pgdata), "stopped: nothing left to stop"
        assert embedded.start_postgres(pgdata) == url
        with psycopg.connect(url.replace("postgres://", "postgresql://")) as c:
            assert c.execute("SELECT n FROM kept").fetchone() == (42,)
    finally:
        embedded.stop_postgres(pgdata)


def test_a_redis_broker_returns_a_killed_task_within_minutes_but_after_the_longest_job():
    """Settings with a Redis URL: an unacknowledged task comes back after 10 minutes (kombu's
    own default is an hour), well above the longest beat job (~1 min for a million lots)."""
    script = (
        "from django.conf import settings as s;"
        "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'],"
        " s.CELERY_TASK_ACKS_LATE, s.CELERY_TASK_REJECT_ON_WORKER_LOST)"
    )
    env = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out == ["600", "True", "True"]


def _start_worker(broker_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CELERY_BROKER_URL": broker_url, "CELERY_VISIBILITY_TIMEOUT": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.redelivery_app", "worker", "--pool=solo",
         "-l", "info", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.slow
def test_a_task_whose_worker_is_killed_mid_run_is_redelivered_and_completes(
    valkey_broker, tmp_path
):
    log = tmp_path / "worker.log"
    client = Celery(broker=valkey_broker)
    client.send_task("tests.redelivery.block_on_first_delivery", args=[str(tmp_path)])
    first = _start_worker(valkey_broker, log)
    second = None
    try:
        wait_for(tmp_path / "delivery-1", timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        second = _start_worker(valkey_broker, log)
        wait_for(tmp_path / "done", timeout=60)
        back_after = time.monotonic() - killed_at
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        client.close()
    assert sorted(p.name for p in tmp_path.glob("delivery-*")) == ["delivery-1", "delivery-2"]
    print(f"redelivered and completed {back_after:.1f} s after the kill (visibility 2 s)")
