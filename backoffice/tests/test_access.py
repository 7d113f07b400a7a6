"""Who gets into the backoffice: staff only, sign-in throttled, private fields never public."""

import importlib
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import clear_url_caches, reverse

import clickgame.urls
from backoffice.tests.conftest import PASSWORD
from players.models import NameStatus, Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def _pages(player: Player) -> list[tuple[str, str]]:
    """(method, url) of every backoffice page and action."""
    pages = [
        ("get", reverse("admin:index")),
        ("get", reverse("admin:stats")),
        ("post", reverse("admin:stats_recalculate")),
        ("get", reverse("admin:players_player_changelist")),
        ("get", reverse("admin:players_player_change", args=[player.pk])),
        ("get", reverse("admin:backoffice_namereview_changelist")),
        ("get", reverse("admin:players_blockedword_changelist")),
        ("get", reverse("admin:clicks_clickday_changelist")),
        ("get", reverse("admin:leaderboard_globalstats_changelist")),
    ]
    for slug in ("ban", "unban", "rename", "reset-clicks", "approve-name", "reject-name"):
        url = reverse("admin:players_player_player_action", args=[player.pk, slug])
        pages += [("get", url), ("post", url)]
    for slug in ("approve-name", "reject-name"):
        url = reverse("admin:backoffice_namereview_player_action", args=[player.pk, slug])
        pages += [("get", url), ("post", url)]
    return pages


def _assert_nothing_changed(player: Player) -> None:
    fresh = Player.objects.get(pk=player.pk)
    assert (fresh.game_name, fresh.name_status, fresh.is_banned, fresh.clicks) == (
        player.game_name,
        player.name_status,
        player.is_banned,
        player.clicks,
    )


def test_anonymous_visitors_are_sent_to_the_login_page_and_see_no_data(client: Client) -> None:
    player = PlayerFactory(
        game_name="SecretName", name_status=NameStatus.PENDING, first_name="Privata"
    )
    login = reverse("admin:login")
    for method, url in _pages(player):
        response = getattr(client, method)(url, {"reason": "x", "game_name": "Hijacked"})
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
        assert b"SecretName" not in response.content
    _assert_nothing_changed(player)


def test_signed_in_non_staff_users_get_nothing(player_client: Client) -> None:
    player = PlayerFactory(
        game_name="SecretName", name_status=NameStatus.PENDING, first_name="Privata"
    )
    login = reverse("admin:login")
    for method, url in _pages(player):
        response = getattr(player_client, method)(url, {"reason": "x", "game_name": "Hijacked"})
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    _assert_nothing_changed(player)


def test_staff_without_change_permission_cannot_run_player_actions(viewer_client: Client) -> None:
    player = PlayerFactory(game_name="Watched", name_status=NameStatus.PENDING)
    for slug in ("ban", "rename", "reset-clicks", "approve-name", "reject-name"):
        url = reverse("admin:players_player_player_action", args=[player.pk, slug])
        assert viewer_client.get(url).status_code == 403
        response = viewer_client.post(url, {"reason": "because", "game_name": "Other"})
        assert response.status_code == 403
    url = reverse("admin:backoffice_namereview_player_action", args=[player.pk, "approve-name"])
    assert viewer_client.post(url).status_code == 403
    _assert_nothing_changed(player)


def test_staff_who_may_view_players_see_no_action_buttons(viewer_client: Client) -> None:
    player = PlayerFactory(game_name="Watched", name_status=NameStatus.PENDING)
    page = viewer_client.get(reverse("admin:players_player_change", args=[player.pk]))
    assert page.status_code == 200
    assert b"/do/ban/" not in page.content
    queue = viewer_client.get(reverse("admin:backoffice_namereview_changelist"))
    assert queue.status_code == 200
    assert b"Watched" in queue.content
    assert b"formaction" not in queue.content


def test_a_moderator_works_the_queue_but_cannot_ban(moderator_client: Client) -> None:
    player = PlayerFactory(game_name="Queued", name_status=NameStatus.PENDING)
    queue = moderator_client.get(reverse("admin:backoffice_namereview_changelist"))
    assert queue.status_code == 200
    assert b"Queued" in queue.content
    players = moderator_client.get(reverse("admin:players_player_changelist"))
    assert players.status_code == 403
    ban = reverse("admin:players_player_player_action", args=[player.pk, "ban"])
    assert moderator_client.post(ban, {"reason": "no"}).status_code == 403
    approve = reverse("admin:backoffice_namereview_player_action", args=[player.pk, "approve-name"])
    moderator_client.post(approve)
    assert Player.objects.get(pk=player.pk).name_status == NameStatus.APPROVED
    assert Player.objects.get(pk=player.pk).is_banned is False


def test_telegram_private_fields_show_to_staff_and_never_in_the_public_api(
    staff_client: Client, client_for
) -> None:
    player = PlayerFactory(
        telegram_id=987654321,
        game_name="Public",
        first_name="Privata",
        username="private_handle",
        language_code="pt-br",
    )
    page = staff_client.get(reverse("admin:players_player_change", args=[player.pk]))
    for private in (b"987654321", b"Privata", b"@private_handle", b"pt-br"):
        assert private in page.content
    public = client_for(111).get(f"/api/user/{player.pk}")
    assert public.status_code == 200
    for private in ("987654321", "Privata", "private_handle", "pt-br"):
        assert private not in public.content.decode()


@pytest.fixture
def moved_admin(settings) -> Iterator[str]:
    """The URLconf rebuilt with ADMIN_URL set to a private path, restored afterwards."""
    original = settings.ADMIN_URL
    settings.ADMIN_URL = "backstage-7f3a/"
    importlib.reload(clickgame.urls)
    clear_url_caches()
    yield "/backstage-7f3a/"
    settings.ADMIN_URL = original
    importlib.reload(clickgame.urls)
    clear_url_caches()


def test_the_admin_moves_with_the_admin_url_setting(moved_admin: str, superuser) -> None:
    client = Client()
    assert reverse("admin:login") == f"{moved_admin}login/"
    assert b'id="login-form"' in client.get(f"{moved_admin}login/").content
    assert b'id="login-form"' not in client.get("/admin/login/").content
    client.force_login(superuser)
    assert client.get(f"{moved_admin}stats/").status_code == 200


def _attempt(client: Client, username: str, *, ip: str = "10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": "wrong", "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
    )


def test_sign_in_is_throttled_per_ip_with_a_429_page(superuser) -> None:
    client = Client()
    for attempt in range(10):
        assert _attempt(client, f"user{attempt}").status_code == 200
    throttled = _attempt(client, "boss")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert b"Too many sign-in attempts" in throttled.content
    # Even the right password is refused from this address until the window passes.
    right = client.post(
        reverse("admin:login"),
        {"username": "boss", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_in_is_throttled_per_username_across_addresses(superuser) -> None:
    client = Client()
    for attempt in range(10):
        assert _attempt(client, "Boss", ip=f"10.0.1.{attempt}").status_code == 200
    assert _attempt(client, "boss ", ip="10.0.2.1").status_code == 429
    # Another username from a fresh address is not affected.
    assert _attempt(client, "someone-else", ip="10.0.3.1").status_code == 200


def test_a_correct_sign_in_within_the_limit_works(superuser) -> None:
    client = Client()
    response = client.post(
        reverse("admin:login"),
        {"username": "boss", "password": PASSWORD, "next": reverse("admin:index")},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.fixture
def redis_down(settings) -> None:
    """The cache is a Redis server that is not there (nothing listens on port 9)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }


def test_staff_sign_in_with_redis_down_and_the_log_says_so(superuser, redis_down, caplog) -> None:
    client = Client()
    with caplog.at_level("WARNING", logger="backoffice.sites"):
        response = client.post(
            reverse("admin:login"),
            {"username": "boss", "password": PASSWORD, "next": reverse("admin:index")},
        )
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))
    assert client.session["_auth_user_id"] == str(superuser.pk)
    assert client.get(reverse("admin:index")).status_code == 200
    assert "cache is unreachable" in caplog.text and "this process's memory" in caplog.text


def test_sign_in_stays_throttled_in_local_memory_with_redis_down(superuser, redis_down) -> None:
    client = Client()
    for attempt in range(10):
        assert _attempt(client, f"local{attempt}", ip="10.9.0.1").status_code == 200
    throttled = _attempt(client, "boss", ip="10.9.0.1")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert _attempt(client, "boss", ip="10.9.0.2").status_code == 200
