"""The players list and page: columns, search, filters, read-only pages, hostile names."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import admin as backoffice_admin
from players.models import NameStatus, Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:players_player_changelist"

HOSTILE_NAMES = [
    "<script>x</script>",
    "\"'><img src=x>",
    "\u202eevil\u202c name",
    "W" * 20,
]


def _listed(response) -> list[int]:
    return [player.pk for player in response.context["cl"].result_list]


def test_list_shows_rank_share_and_rejected_clicks_from_one_rank_lookup(
    staff_client: Client, give_clicks, monkeypatch
) -> None:
    first, second, third = PlayerFactory(), PlayerFactory(), PlayerFactory()
    give_clicks(first, 300)
    give_clicks(second, 200)
    give_clicks(third, 100)
    Player.objects.filter(pk=third.pk).update(rejected_clicks=17)
    calls = []
    real = backoffice_admin.ranks_for

    def counting(**kwargs):
        calls.append(sorted(kwargs["player_ids"]))
        return real(**kwargs)

    monkeypatch.setattr(backoffice_admin, "ranks_for", counting)

    response = staff_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert calls == [sorted([first.pk, second.pk, third.pk])]
    assert _listed(response) == [first.pk, second.pk, third.pk]
    rows = {p.pk: p.board_rank for p in response.context["cl"].result_list}
    assert rows[first.pk][0] == 1 and rows[second.pk][0] == 2 and rows[third.pk][0] == 3
    html = response.content.decode()
    for text in ("50.00%", "33.33%", "16.67%", ">17<"):
        assert text in html


def test_banned_players_are_listed_without_a_rank(staff_client: Client, give_clicks) -> None:
    banned = PlayerFactory(is_banned=True, clicks=0)
    response = staff_client.get(reverse(CHANGELIST))
    assert _listed(response) == [banned.pk]
    assert response.context["cl"].result_list[0].board_rank is None


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("lph", ["Alpha"]),
        ("ALPHA", ["Alpha"]),
        ("700000001", ["Beta"]),
        ("zzz", []),
    ],
)
def test_search_by_part_of_a_game_name_or_telegram_id(
    staff_client: Client, term: str, expected: list[str]
) -> None:
    PlayerFactory(game_name="Alpha", telegram_id=700000000)
    PlayerFactory(game_name="Beta", telegram_id=700000001)
    response = staff_client.get(reverse(CHANGELIST), {"q": term})
    assert [p.game_name for p in response.context["cl"].result_list] == expected


def test_search_by_player_id(staff_client: Client) -> None:
    PlayerFactory(game_name="Alpha")
    beta = PlayerFactory(game_name="Beta")
    response = staff_client.get(reverse(CHANGELIST), {"q": f"#{beta.pk}"})
    assert _listed(response) == [beta.pk]


def test_search_with_a_huge_number_finds_nothing_instead_of_failing(staff_client: Client) -> None:
    PlayerFactory(game_name="Alpha")
    response = staff_client.get(reverse(CHANGELIST), {"q": "9" * 30})
    assert response.status_code == 200
    assert _listed(response) == []


def test_filters_name_status_banned_and_suspected_autoclickers(staff_client: Client) -> None:
    pending = PlayerFactory(name_status=NameStatus.PENDING)
    banned = PlayerFactory(is_banned=True)
    cheater = PlayerFactory(rejected_clicks=250)
    url = reverse(CHANGELIST)
    assert _listed(staff_client.get(url, {"name_status__exact": "pending"})) == [pending.pk]
    assert _listed(staff_client.get(url, {"is_banned__exact": "1"})) == [banned.pk]
    assert _listed(staff_client.get(url, {"rejected": "yes"})) == [cheater.pk]
    assert sorted(_listed(staff_client.get(url, {"rejected": "no"}))) == [pending.pk, banned.pk]


def test_filter_by_joined_date(staff_client: Client) -> None:
    old = PlayerFactory()
    new = PlayerFactory()
    Player.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    since = str(timezone.now() - timedelta(days=1))
    response = staff_client.get(reverse(CHANGELIST), {"created_at__gte": since})
    assert _listed(response) == [new.pk]
    assert b"joined" in staff_client.get(reverse(CHANGELIST)).content


def test_hostile_names_are_escaped_and_isolated_in_the_list(staff_client: Client) -> None:
    for name in HOSTILE_NAMES:
        PlayerFactory(game_name=name, first_name=name)
    html = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "<script>x</script>" not in html
    assert "<img src=x>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&quot;&#x27;&gt;&lt;img src=x&gt;" in html
    assert '<bdi class="cg-name">\u202eevil\u202c name</bdi>' in html
    assert f'<bdi class="cg-name">{"W" * 20}</bdi>' in html
    assert "backoffice/backoffice.css" in html


def test_hostile_names_are_escaped_on_the_player_page(staff_client: Client) -> None:
    player = PlayerFactory(game_name="<script>x</script>", first_name="<b>bold</b>")
    html = staff_client.get(reverse("admin:players_player_change", args=[player.pk])).content
    html = html.decode()
    assert "<script>x</script>" not in html
    assert "<b>bold</b>" not in html
    assert "<bdi>&lt;script&gt;x&lt;/script&gt;</bdi>" in html


def test_player_page_is_read_only_and_shows_rank_and_actions(
    staff_client: Client, give_clicks
) -> None:
    player = PlayerFactory(game_name="Viewed", name_status=NameStatus.PENDING)
    give_clicks(player, 40)
    response = staff_client.get(reverse("admin:players_player_change", args=[player.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "#1, 100.00% of all clicks" in html
    assert 'name="_save"' not in html
    for slug in ("ban", "rename", "reset-clicks", "approve-name", "reject-name"):
        assert f"/do/{slug}/" in html
    assert "/do/unban/" not in html


def test_saving_the_player_page_is_refused_and_changes_nothing(staff_client: Client) -> None:
    player = PlayerFactory(game_name="Keep", clicks=0)
    response = staff_client.post(
        reverse("admin:players_player_change", args=[player.pk]),
        {"game_name": "Changed", "is_banned": "on", "clicks": "999"},
    )
    assert response.status_code == 405
    fresh = Player.objects.get(pk=player.pk)
    assert (fresh.game_name, fresh.is_banned, fresh.clicks) == ("Keep", False, 0)
    assert not LogEntry.objects.exists()


def test_players_cannot_be_added_or_deleted_in_the_admin(staff_client: Client) -> None:
    player = PlayerFactory()
    assert staff_client.get(reverse("admin:players_player_add")).status_code == 403
    delete = reverse("admin:players_player_delete", args=[player.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Player.objects.filter(pk=player.pk).exists()


def test_player_page_links_to_the_players_click_history(staff_client: Client, give_clicks) -> None:
    player = PlayerFactory()
    other = PlayerFactory()
    give_clicks(player, 5)
    give_clicks(other, 7)
    page = staff_client.get(reverse("admin:players_player_change", args=[player.pk]))
    link = f"{reverse('admin:clicks_clickday_changelist')}?player__id__exact={player.pk}"
    assert link in page.content.decode()
    history = staff_client.get(link)
    assert [day.player_id for day in history.context["cl"].result_list] == [player.pk]


def test_list_fits_the_useful_columns_with_thousands_separators(staff_client: Client) -> None:
    seen = timezone.now()
    PlayerFactory(game_name="Whale", clicks=1_234_567, rejected_clicks=1_080, last_seen_at=seen)
    PlayerFactory(game_name="Gone", clicks=5, is_banned=True)
    response = staff_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    headers = [column["text"] for column in response.context["result_headers"]][1:]
    assert headers == [
        "ID",
        "game name",
        "status",
        "clicks",
        "share",
        "rank",
        "rejected",
        "last seen",
    ]
    assert ">1,234,567<" in html and ">1,080<" in html
    assert f">{timezone.localtime(seen):%Y-%m-%d %H:%M}</time>" in html
    assert ">Banned<" in html and ">Approved<" in html
