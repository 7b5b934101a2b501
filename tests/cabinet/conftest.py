import pytest

from cabinet.member_auth import SESSION_KEY


@pytest.fixture
def outbox(settings, tmp_path):
    """SMS files land in a fresh folder per test."""
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_FILE_PATH = settings.OUTBOX_DIR
    settings.SMS_BACKEND = "customers.sms.FileSMSBackend"
    return settings.OUTBOX_DIR


def login_as(client, member):
    session = client.session
    session[SESSION_KEY] = member.pk
    session.save()
    return client


@pytest.fixture
def member_client(client, member):
    """A test client with `member` logged in, asking for English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return login_as(client, member)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US"}
