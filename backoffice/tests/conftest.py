"""Fixtures for the backoffice tests: signed-in staff, non-staff users and real clicks."""

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, TestCase

from clicks.services import clicks_sync
from players.models import Player

PASSWORD = "a-long-test-password-42"


def committed() -> AbstractContextManager[Any]:
    """Run the on-commit hooks (live board updates) the test transaction would otherwise hold."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def superuser(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("boss", "boss@example.invalid", PASSWORD)


@pytest.fixture
def staff_client(superuser: Any) -> Client:
    """A browser signed in to the backoffice as a superuser."""
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def moderator_client(django_user_model: Any) -> Client:
    """Staff allowed to work the name queue only (view and change `names to review`)."""
    user = django_user_model.objects.create_user("mod", "mod@example.invalid", PASSWORD)
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="backoffice",
            codename__in=["view_namereview", "change_namereview"],
        )
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(django_user_model: Any) -> Client:
    """Staff who may look at players and the name queue but change nothing."""
    user = django_user_model.objects.create_user("viewer", "viewer@example.invalid", PASSWORD)
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_player", "view_namereview"])
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def player_client(django_user_model: Any) -> Client:
    """Signed in to Django but not staff."""
    user = django_user_model.objects.create_user("someone", "someone@example.invalid", PASSWORD)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def give_clicks() -> Callable[[Player, int], None]:
    """Add clicks through the real sync (history, shards and live board stay consistent)."""

    def give(player: Player, count: int) -> None:
        player.refresh_from_db()
        with committed():
            result = clicks_sync(
                telegram_id=player.telegram_id,
                seq=player.last_seq + 1,
                count=count,
                now=time.time(),
            )
        assert result.accepted == count

    return give


@pytest.fixture
def messages_of() -> Callable[[Any], list[str]]:
    """The texts of the admin messages a response carries."""

    def texts(response: Any) -> list[str]:
        return [str(message) for message in response.context["messages"]]

    return texts


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """A cheap hasher: these tests create users, they do not test password hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
