"""Blocked words, click history and the global stats row in the admin."""

import pytest
from django.test import Client
from django.urls import reverse

from clicks.models import ClickDay
from leaderboard.services import global_stats_refresh
from players.models import BlockedWord
from players.tests.factories import BlockedWordFactory, PlayerFactory

pytestmark = pytest.mark.django_db


def test_a_blocked_word_added_in_the_admin_applies_to_new_names(
    staff_client: Client, client_for
) -> None:
    response = staff_client.post(reverse("admin:players_blockedword_add"), {"word": "  Meanie "})
    assert response.status_code == 302
    assert list(BlockedWord.objects.values_list("word", flat=True)) == ["Meanie"]

    refused = client_for(77).post("/api/users", {"game_name": "Mr MEANIE"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"] == "blocked"


def test_blocked_words_are_unique_regardless_of_case(staff_client: Client) -> None:
    BlockedWordFactory(word="Meanie")
    response = staff_client.post(reverse("admin:players_blockedword_add"), {"word": "MEANIE"})
    assert response.status_code == 200
    assert "already blocked" in response.content.decode()
    assert BlockedWord.objects.count() == 1


def test_a_blocked_word_needs_a_letter_or_digit(staff_client: Client) -> None:
    response = staff_client.post(reverse("admin:players_blockedword_add"), {"word": " -_. "})
    assert response.status_code == 200
    assert not BlockedWord.objects.exists()


def test_blocking_a_word_points_at_existing_names_that_contain_it(staff_client: Client) -> None:
    PlayerFactory(game_name="MeanieOne")
    PlayerFactory(game_name="Friendly")
    response = staff_client.post(
        reverse("admin:players_blockedword_add"), {"word": "meanie"}, follow=True
    )
    texts = [str(message) for message in response.context["messages"]]
    assert any("1 current name(s) contain it" in text and "?q=meanie" in text for text in texts)


def test_blocked_words_can_be_removed(staff_client: Client) -> None:
    word = BlockedWordFactory(word="temporary")
    staff_client.post(reverse("admin:players_blockedword_delete", args=[word.pk]), {"post": "yes"})
    assert not BlockedWord.objects.exists()


def test_click_history_is_read_only_and_searchable(staff_client: Client, give_clicks) -> None:
    player = PlayerFactory(game_name="Clicker", telegram_id=5550001)
    other = PlayerFactory(game_name="Other")
    give_clicks(player, 12)
    give_clicks(other, 3)
    day = ClickDay.objects.get(player=player)
    url = reverse("admin:clicks_clickday_changelist")
    for term in ("lick", "5550001", f"#{player.pk}"):
        found = staff_client.get(url, {"q": term}).context["cl"].result_list
        assert [row.pk for row in found] == [day.pk], term
    page = staff_client.get(reverse("admin:clicks_clickday_change", args=[day.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.get(reverse("admin:clicks_clickday_add")).status_code == 403
    staff_client.post(reverse("admin:clicks_clickday_change", args=[day.pk]), {"clicks": "999"})
    assert ClickDay.objects.get(pk=day.pk).clicks == 12


def test_global_stats_row_is_read_only_and_links_the_stats_page(
    staff_client: Client, give_clicks
) -> None:
    give_clicks(PlayerFactory(), 8)
    # The board keeper stores the row (`global_stats_refresh`); pages only read it.
    global_stats_refresh()
    response = staff_client.get(reverse("admin:leaderboard_globalstats_changelist"))
    html = response.content.decode()
    assert reverse("admin:stats") in html
    assert ">8<" in html
    assert staff_client.get(reverse("admin:leaderboard_globalstats_add")).status_code == 403


def test_blocked_word_report_counts_names_as_the_name_rules_match_them(
    staff_client: Client,
) -> None:
    # Matched by the rules (case, separators, look-alike letters): counted. "Badge" is not.
    for name in ("xBADWORDx", "b.a.d_word", "TheBadW0rdHero", "Badge"):
        PlayerFactory(game_name=name)
    response = staff_client.post(
        reverse("admin:players_blockedword_add"), {"word": "badword"}, follow=True
    )
    assert "3 current name(s) contain it" in response.content.decode()


def test_blocked_words_are_unique_by_skeleton_not_only_ascii_case(staff_client: Client) -> None:
    BlockedWordFactory(word="Éva")
    response = staff_client.post(reverse("admin:players_blockedword_add"), {"word": "éVA"})
    assert response.status_code == 200
    assert "already blocked" in response.content.decode()
    assert list(BlockedWord.objects.values_list("word", flat=True)) == ["Éva"]
