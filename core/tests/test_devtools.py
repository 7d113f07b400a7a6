"""The dev fence: the dev superuser's known password and bootstrap_dev stay in loopback dev mode."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from core.devtools import DEV_ADMIN_PASSWORD, DEV_ADMIN_USERNAME

pytestmark = pytest.mark.django_db
REAL_TOKEN = "7000000001:AAE-the-real-bot-token"


def _log_in(client, password: str = DEV_ADMIN_PASSWORD, **extra: str) -> bool:
    response = client.post(
        reverse("admin:login"),
        {"username": DEV_ADMIN_USERNAME, "password": password, "next": "/"},
        **extra,
    )
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_bootstrap_dev_creates_the_dev_superuser_in_dev_mode(client) -> None:
    call_command("bootstrap_dev", stdout=io.StringIO())
    assert get_user_model().objects.filter(username=DEV_ADMIN_USERNAME, is_superuser=True).exists()
    assert _log_in(client, REMOTE_ADDR="127.0.0.1")


@pytest.mark.parametrize(
    "overrides",
    [{"DEBUG": False}, {"DEV_BOT_TOKEN": ""}, {"TELEGRAM_BOT_TOKEN": REAL_TOKEN}],
    ids=["debug-off", "no-dev-token", "real-token-set"],
)
def test_bootstrap_dev_refuses_outside_dev_mode(overrides: dict[str, object]) -> None:
    with override_settings(**overrides), pytest.raises(CommandError, match="refused"):
        call_command("bootstrap_dev")
    assert not get_user_model().objects.exists()


@pytest.fixture
def dev_superuser() -> None:
    get_user_model().objects.create_superuser(
        DEV_ADMIN_USERNAME, "admin@example.invalid", DEV_ADMIN_PASSWORD
    )


@pytest.mark.usefixtures("dev_superuser")
@pytest.mark.parametrize(
    "extra",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
    ],
    ids=["remote-client", "local-tunnel"],
)
def test_dev_superuser_cannot_log_in_from_outside_loopback(client, extra: dict[str, str]) -> None:
    assert not _log_in(client, **extra)


@pytest.mark.usefixtures("dev_superuser")
@pytest.mark.parametrize(
    "overrides",
    [{"DEBUG": False}, {"DEV_BOT_TOKEN": ""}, {"TELEGRAM_BOT_TOKEN": REAL_TOKEN}],
    ids=["debug-off", "no-dev-token", "real-token-set"],
)
def test_dev_superuser_cannot_log_in_outside_dev_mode(client, overrides: dict[str, object]) -> None:
    with override_settings(**overrides):
        assert not _log_in(client, REMOTE_ADDR="127.0.0.1")


def test_other_passwords_log_in_from_anywhere(client) -> None:
    get_user_model().objects.create_superuser(
        "ops", "ops@example.invalid", "a-long-real-passphrase"
    )
    response = client.post(
        reverse("admin:login"),
        {"username": "ops", "password": "a-long-real-passphrase", "next": "/"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_bootstrap_dev_prints_one_summary_line() -> None:
    first, again = io.StringIO(), io.StringIO()
    call_command("bootstrap_dev", stdout=first)
    call_command("bootstrap_dev", stdout=again)
    assert first.getvalue().count("\n") == 1
    assert "admin / admin created" in first.getvalue()
    assert "12 demo players seeded" in first.getvalue()
    assert again.getvalue().count("\n") == 1
    assert "admin / admin exists" in again.getvalue()
    assert "12 players already there, none seeded" in again.getvalue()
