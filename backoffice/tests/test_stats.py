"""The global stats page and the leaderboard recalculation button."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import sites
from backoffice.tests.conftest import committed
from clicks.models import ClickDay
from clicks.selectors import ACTIVE_PLAYERS_CACHE_KEY
from core.errors import Conflict
from players.models import NameStatus, Player
from players.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

STATS = "admin:stats"
RECALCULATE = "admin:stats_recalculate"


def test_stats_page_shows_totals_activity_and_today(staff_client: Client, give_clicks) -> None:
    veteran = PlayerFactory(game_name="Veteran")
    rookie = PlayerFactory(game_name="Rookie", name_status=NameStatus.PENDING)
    PlayerFactory(game_name="Banned One", is_banned=True)
    give_clicks(veteran, 70)
    give_clicks(rookie, 30)
    Player.objects.filter(pk=veteran.pk).update(created_at=timezone.now() - timedelta(days=3))
    yesterday = timezone.now().date() - timedelta(days=1)
    ClickDay.objects.create(player=veteran, day=yesterday, clicks=0, syncs=1)
    # The sync counted active players already; without Redis that count is cached a few seconds.
    cache.delete(ACTIVE_PLAYERS_CACHE_KEY)

    stats = staff_client.get(reverse(STATS)).context["stats"]

    assert stats.total_clicks == 100
    assert stats.total_players == 3
    assert stats.players_on_board == 2
    assert stats.banned_players == 1
    assert stats.active_last_minute == 2
    assert stats.active_today == 2
    assert stats.new_players_today == 2
    assert stats.clicks_today == 100
    assert stats.names_to_review == 1


def test_stats_page_lists_the_top_ten_in_leaderboard_order(
    staff_client: Client, give_clicks
) -> None:
    players = [PlayerFactory(game_name=f"Runner {n:02}") for n in range(12)]
    for n, player in enumerate(players):
        give_clicks(player, 10 + n * 5)
    banned = PlayerFactory(game_name="Banned Big", is_banned=True, clicks=0)

    response = staff_client.get(reverse(STATS))

    top = response.context["stats"].top
    assert [entry.player_id for entry in top] == [p.pk for p in reversed(players)][:10]
    assert [entry.rank for entry in top] == list(range(1, 11))
    assert top[0].clicks == 65
    assert banned.pk not in [entry.player_id for entry in top]
    html = response.content.decode()
    assert "Runner 11" in html and "Runner 01" not in html


def test_stats_page_draws_thirty_days_of_clicks_as_inline_svg(
    staff_client: Client, give_clicks
) -> None:
    player = PlayerFactory()
    give_clicks(player, 90)
    ClickDay.objects.create(
        player=player, day=timezone.now().date() - timedelta(days=10), clicks=45, syncs=3
    )

    response = staff_client.get(reverse(STATS))

    html = response.content.decode()
    assert html.count('<rect class="cg-bar"') == 30
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    chart = response.context["chart"]
    assert chart.max_clicks == 90
    heights = {bar.day: float(bar.height) for bar in chart.bars}
    assert heights[timezone.now().date()] == pytest.approx(
        2 * heights[timezone.now().date() - timedelta(days=10)]
    )
    assert ": 90 clicks</title>" in html


def test_stats_page_escapes_hostile_names_in_the_top(staff_client: Client, give_clicks) -> None:
    player = PlayerFactory(game_name="<script>x</script>")
    give_clicks(player, 5)
    html = staff_client.get(reverse(STATS)).content.decode()
    assert "<script>x</script>" not in html
    assert '<bdi class="cg-name">&lt;script&gt;x&lt;/script&gt;</bdi>' in html


def test_stats_page_only_answers_get(staff_client: Client) -> None:
    assert staff_client.post(reverse(STATS)).status_code == 405


def test_recalculate_button_reports_what_it_did_and_logs_it(
    staff_client: Client, superuser, give_clicks
) -> None:
    player = PlayerFactory()
    give_clicks(player, 25)

    with committed():
        response = staff_client.post(reverse(RECALCULATE), {"mode": "rebuild"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse(STATS)
    texts = [str(message) for message in response.context["messages"]]
    assert len(texts) == 1
    assert "leaderboard" in texts[0].lower() and "Global stats recomputed" in texts[0]
    entry = LogEntry.objects.get()
    assert entry.user_id == superuser.pk
    assert entry.change_message == texts[0]


def test_recalculate_check_only_measures(staff_client: Client, monkeypatch) -> None:
    seen = []
    real = sites.leaderboard_recalculate

    def spy(*, dry_run: bool = False):
        seen.append(dry_run)
        return real(dry_run=dry_run)

    monkeypatch.setattr(sites, "leaderboard_recalculate", spy)
    response = staff_client.post(reverse(RECALCULATE), {"mode": "check"}, follow=True)
    assert seen == [True]
    text = str(next(iter(response.context["messages"])))
    assert "Global stats recomputed" not in text


def test_recalculate_reports_a_refusal_as_an_error_message(
    staff_client: Client, monkeypatch
) -> None:
    def busy(*, dry_run: bool = False):
        raise Conflict("Another rebuild is running.")

    monkeypatch.setattr(sites, "leaderboard_recalculate", busy)
    response = staff_client.post(reverse(RECALCULATE), {"mode": "rebuild"}, follow=True)
    assert "Another rebuild is running." in str(next(iter(response.context["messages"])))
    assert not LogEntry.objects.exists()


def test_recalculate_needs_post_and_a_csrf_token(superuser) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.get(reverse(RECALCULATE)).status_code == 405
    assert client.post(reverse(RECALCULATE), {"mode": "rebuild"}).status_code == 403
    assert not LogEntry.objects.exists()


def test_stats_page_numbers_have_thousands_separators(staff_client: Client) -> None:
    player = PlayerFactory(game_name="Whale")
    yesterday = timezone.now().date() - timedelta(days=1)
    ClickDay.objects.create(player=player, day=yesterday, clicks=1080, syncs=18)
    html = staff_client.get(reverse(STATS)).content.decode()
    assert '<td class="cg-number">1,080</td>' in html
    assert "the busiest day had 1,080 clicks" in html
    assert ">1080<" not in html


def test_the_index_has_one_global_stats_entry(staff_client: Client) -> None:
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert html.count(">Global stats<") == 1
    assert f'href="{reverse(STATS)}">Global stats<' in html


@pytest.fixture
def plain_staff_client(django_user_model) -> Client:
    """Staff who may see the stats (view_globalstats) but hold no recalculation permission."""
    user = django_user_model.objects.create_user("stats", "stats@example.invalid", "pw-x-123456")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename="view_globalstats"))
    client = Client()
    client.force_login(user)
    return client


def test_recalculation_needs_its_own_permission_not_only_staff(
    plain_staff_client: Client, monkeypatch
) -> None:
    ran = []
    monkeypatch.setattr(sites, "leaderboard_recalculate", lambda **kw: ran.append(kw))
    page = plain_staff_client.get(reverse(STATS))
    assert page.status_code == 200
    assert reverse(RECALCULATE) not in page.content.decode()
    response = plain_staff_client.post(reverse(RECALCULATE), {"mode": "rebuild"})
    assert response.status_code == 403
    assert ran == []
    assert not LogEntry.objects.exists()


def test_staff_with_the_recalculation_permission_may_run_it(
    plain_staff_client: Client, django_user_model, monkeypatch
) -> None:
    user = django_user_model.objects.get(username="stats")
    user.user_permissions.add(Permission.objects.get(codename="recalculate_leaderboard"))
    assert reverse(RECALCULATE) in plain_staff_client.get(reverse(STATS)).content.decode()
    with committed():
        response = plain_staff_client.post(reverse(RECALCULATE), {"mode": "check"})
    assert response.status_code == 302
    assert LogEntry.objects.get().user_id == user.pk
