import pytest

from tests.loyalty.helpers import set_program


@pytest.fixture
def program(db):
    """The default program (a fresh copy, with the settings cache cleared)."""
    return set_program()
