"""The Celery app of tests/test_demo_embedded.py's workers: Kopilka's own app (config.celery)
with one task that blocks on its first delivery, and the broker's sweep for abandoned tasks run
every second instead of every ~100 s, so the test waits seconds, not minutes."""

import time
from pathlib import Path

from config.celery import app

app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


@app.task(name="tests.redelivery.block_on_first_delivery")
def block_on_first_delivery(folder: str) -> None:
    """Mark each delivery; the first blocks (the test kills its worker), a later one finishes."""
    folder_path = Path(folder)
    delivery = len(list(folder_path.glob("delivery-*"))) + 1
    (folder_path / f"delivery-{delivery}").touch()
    if delivery == 1:
        time.sleep(600)
    (folder_path / "done").touch()
