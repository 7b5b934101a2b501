"""The apps import one way only: pages → campaigns → loyalty (the ledger) → customers (members)
→ core. The pages (cabinet, desk, api) never import each other; `config` wires everything and
nothing imports it. See docs/ARCHITECTURE.md.

Every import counts, also one written inside a function to dodge a cycle: it is still a
dependency a reader has to know about.
"""

import ast
from pathlib import Path

from django.conf import settings

import api.errors  # noqa: F401  (loads every domain error: the API maps them all)
from core.errors import DomainError

ROOT = Path(settings.BASE_DIR)

# The layers, lowest first. A package may import only packages of a lower layer (and itself).
LAYERS = [
    {"core"},
    {"customers"},
    {"loyalty"},
    {"campaigns"},
    {"cabinet", "desk", "api"},
    {"config"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}

# config.db (the prepared-statement cursor) is infrastructure that imports no app; the ledger
# store, which holds the application's SQL, is the one place that may use it.
INFRASTRUCTURE = {"config.db": "loyalty/store/"}


def imported_modules(tree: ast.AST):
    """(line, module) for every absolute import in a module, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def violations(path: str, source: str) -> list[str]:
    """The imports of one app module (`path` relative to the project) that go against the
    direction of the layers, each as "path:line imports module (a → b)"."""
    package = path.split("/")[0]
    found = []
    for line, module in imported_modules(ast.parse(source, filename=path)):
        target = module.split(".")[0]
        if target == package or target not in RANK:
            continue
        if module in INFRASTRUCTURE and path.startswith(INFRASTRUCTURE[module]):
            continue
        if RANK[target] >= RANK[package]:
            found.append(f"{path}:{line} imports {module} ({package} → {target})")
    return found


def app_modules():
    for package in RANK:
        for file in sorted((ROOT / package).rglob("*.py")):
            relative = file.relative_to(ROOT)
            if "migrations" in relative.parts or "tests" in relative.parts:
                continue
            yield relative.as_posix(), file.read_text(encoding="utf-8")


def test_every_import_follows_pages_campaigns_loyalty_customers_core():
    broken = [v for path, source in app_modules() for v in violations(path, source)]
    assert not broken, (
        "These imports go against pages → campaigns → loyalty → customers → core "
        "(pages never import each other; nothing imports config):\n" + "\n".join(broken)
    )


def test_the_checker_catches_a_lazy_import_upwards_and_a_page_importing_a_page():
    members_asking_the_ledger = "def join():\n    from loyalty.services import open_account\n"
    desk_using_the_cabinet = "import cabinet.models\n"
    assert violations("customers/services.py", members_asking_the_ledger) == [
        "customers/services.py:2 imports loyalty.services (customers → loyalty)"
    ]
    assert violations("desk/activity.py", desk_using_the_cabinet) == [
        "desk/activity.py:1 imports cabinet.models (desk → cabinet)"
    ]
    assert violations("loyalty/services/x.py", "from customers.models import Member\n") == []
    assert violations("config/urls.py", "from desk import views\n") == []
    assert violations("loyalty/store/ledger.py", "from config.db import hot_cursor\n") == []
    assert violations("api/auth.py", "from config.db import hot_cursor\n") == [
        "api/auth.py:1 imports config.db (api → config)"
    ]


def test_the_apps_cover_every_package_of_the_project():
    """A new app must take its place in LAYERS, or its imports would go unchecked."""
    apps = {name.split(".")[0] for name in settings.INSTALLED_APPS} | {"core"}
    local = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    assert (apps & local) - {"tests"} == set(RANK)


def test_domain_errors_carry_no_http_status():
    """Only the partner API (api.errors.DOMAIN_STATUS) turns a domain error into an HTTP status;
    the same refusal is a form error on the pages."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    with_status = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in [DomainError, *subclasses(DomainError)]
        if "http_status" in vars(cls)
    ]
    assert not with_status, f"move the HTTP status into api/errors.py: {with_status}"
