"""Admin registrations: players, the name queue, blocked words, click history, global stats."""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Field, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from backoffice.action_admin import PlayerActionsAdmin, bulk_action
from backoffice.actions import (
    APPROVE_NAME,
    NAME_ACTIONS,
    PLAYER_ACTIONS,
    REJECT_NAME,
)
from backoffice.display import EMPTY, name_html, number_text, share_text
from backoffice.models import NameReview
from clicks.models import ClickDay
from leaderboard.models import GlobalStats
from leaderboard.selectors import ranks_for
from players.models import BlockedWord, Player
from players.rules import name_skeleton, normalize
from players.selectors import players_with_blocked_word

# A search term that may be a player id or a Telegram id ("#12" is a player id).
_NUMBER_TERM = re.compile(r"#?(\d{1,18})", re.ASCII)


def _id_search(
    queryset: QuerySet[Any], term: str, *, name_field: str, id_fields: tuple[str, ...]
) -> QuerySet[Any]:
    """Filter by part of a game name, or by exact ids when the term is a number."""
    term = term.strip()
    if not term:
        return queryset
    query = Q(**{f"{name_field}__icontains": term})
    number = _NUMBER_TERM.fullmatch(term)
    if number:
        for field in id_fields:
            query |= Q(**{field: int(number.group(1))})
    return queryset.filter(query)


class SuspectedAutoclickerFilter(admin.SimpleListFilter):
    """Players some of whose clicks the anti-cheat cap refused."""

    title = "rejected clicks (suspected autoclicker)"
    parameter_name = "rejected"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Has rejected clicks"), ("no", "None rejected")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Player]) -> QuerySet[Player]:
        if self.value() == "yes":
            return queryset.filter(rejected_clicks__gt=0)
        if self.value() == "no":
            return queryset.filter(rejected_clicks=0)
        return queryset


class JoinedFilter(admin.DateFieldListFilter):
    """The date filter on `created_at`, in the game's words."""

    def __init__(self, field: Field, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(field, request, *args, **kwargs)
        self.title = "joined"


class RankedChangeList(ChangeList):
    """The players list, with the page's leaderboard ranks and shares read in one call."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        players = list(self.result_list)
        ranks = ranks_for(player_ids=[player.pk for player in players]) if players else {}
        for player in players:
            player.board_rank = ranks.get(player.pk)
        self.result_list = players


@admin.register(Player)
class PlayerAdmin(PlayerActionsAdmin):
    """Players: find, inspect and act on them (ban, rename, reset clicks, moderate the name)."""

    player_actions = PLAYER_ACTIONS
    actions = [bulk_action(action) for action in PLAYER_ACTIONS if action.bulk]
    # What fits a 1366 px screen beside the filters: joined date and Telegram details are on the
    # player's page and in the filters.
    list_display = (
        "id",
        "name",
        "status",
        "clicks_count",
        "share",
        "rank",
        "rejected",
        "last_seen",
    )
    list_display_links = ("id", "name")
    list_filter = (
        "name_status",
        "is_banned",
        ("created_at", JoinedFilter),
        SuspectedAutoclickerFilter,
    )
    search_fields = ("game_name",)
    search_help_text = "Part of a game name, a Telegram id, or a player id (#12)."
    ordering = ("-clicks", "id")
    list_per_page = 50
    show_full_result_count = False
    fieldsets = (
        ("Game name", {"fields": ("name", "public", "name_status", "name_changed_at")}),
        (
            "Clicks",
            {
                "fields": (
                    "clicks_count",
                    "rank_and_share",
                    "rejected",
                    "last_rejected_at",
                    "click_history",
                )
            },
        ),
        ("Status", {"fields": ("is_banned", "created_at", "last_seen_at")}),
        (
            "Telegram (private, staff only)",
            {
                "fields": (
                    "telegram_id",
                    "telegram_first_name",
                    "telegram_username",
                    "language_code",
                )
            },
        ),
        (
            "Click sync",
            {
                "classes": ("collapse",),
                "fields": ("last_seq", "last_sync_accepted", "click_allowance"),
            },
        ),
    )
    readonly_fields = (
        "name",
        "public",
        "name_status",
        "name_changed_at",
        "clicks_count",
        "rank_and_share",
        "rejected",
        "last_rejected_at",
        "click_history",
        "is_banned",
        "created_at",
        "last_seen_at",
        "telegram_id",
        "telegram_first_name",
        "telegram_username",
        "language_code",
        "last_seq",
        "last_sync_accepted",
        "click_allowance",
    )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RankedChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {"title": "Players", **(extra_context or {})})

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Player], search_term: str
    ) -> tuple[QuerySet[Player], bool]:
        found = _id_search(
            queryset, search_term, name_field="game_name", id_fields=("pk", "telegram_id")
        )
        return found, False

    @admin.display(description="game name", ordering="game_name")
    def name(self, player: Player) -> SafeString:
        return name_html(player.game_name)

    @admin.display(description="shown to others as")
    def public(self, player: Player) -> SafeString:
        return name_html(player.public_name)

    @admin.display(description="status", ordering="is_banned")
    def status(self, player: Player) -> str:
        return "Banned" if player.is_banned else player.get_name_status_display()

    @admin.display(description="clicks", ordering="clicks")
    def clicks_count(self, player: Player) -> str:
        return number_text(player.clicks)

    @admin.display(description="rejected", ordering="rejected_clicks")
    def rejected(self, player: Player) -> str:
        return number_text(player.rejected_clicks)

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, player: Player) -> SafeString:
        if player.last_seen_at is None:
            return format_html('<span class="cg-muted">{}</span>', "never")
        moment = timezone.localtime(player.last_seen_at)
        return format_html(
            '<time class="cg-when" datetime="{}">{}</time>',
            moment.isoformat(),
            moment.strftime("%Y-%m-%d %H:%M"),
        )

    @admin.display(description="share")
    def share(self, player: Player) -> str:
        ranked = getattr(player, "board_rank", None)
        return share_text(ranked[1]) if ranked else EMPTY

    @admin.display(description="rank", ordering="-clicks")
    def rank(self, player: Player) -> str:
        ranked = getattr(player, "board_rank", None)
        return f"{ranked[0]:,}" if ranked else EMPTY

    @admin.display(description="rank and share")
    def rank_and_share(self, player: Player) -> str:
        ranked = ranks_for(player_ids=[player.pk]).get(player.pk)
        if ranked is None:
            return "Not on the leaderboard (banned)." if player.is_banned else EMPTY
        return f"#{ranked[0]:,}, {share_text(ranked[1])} of all clicks"

    @admin.display(description="click history")
    def click_history(self, player: Player) -> SafeString:
        url = reverse("admin:clicks_clickday_changelist", current_app=self.admin_site.name)
        query = urlencode({"player__id__exact": player.pk})
        return format_html('<a href="{}?{}">Clicks per day</a>', url, query)

    @admin.display(description="first name")
    def telegram_first_name(self, player: Player) -> SafeString:
        return name_html(player.first_name)

    @admin.display(description="username")
    def telegram_username(self, player: Player) -> SafeString:
        return name_html(f"@{player.username}" if player.username else "")


@admin.register(NameReview)
class NameReviewAdmin(PlayerActionsAdmin):
    """The moderation queue: names waiting for review, oldest first, approved or rejected."""

    player_actions = NAME_ACTIONS
    actions = [bulk_action(action) for action in NAME_ACTIONS]
    list_display = ("name", "waiting_since", "player", "decide")
    list_display_links = None
    ordering = ("name_changed_at", "pk")
    search_fields = ("game_name",)
    search_help_text = "Part of a game name, a Telegram id, or a player id (#12)."
    list_per_page = 50
    fields = ("name", "waiting_since", "player", "public", "clicks", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[NameReview]:
        return NameReview.objects.names_to_review()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        title = "Names to review, oldest first"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[NameReview], search_term: str
    ) -> tuple[QuerySet[NameReview], bool]:
        found = _id_search(
            queryset, search_term, name_field="game_name", id_fields=("pk", "telegram_id")
        )
        return found, False

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if self.has_change_permission(request):
            return self.list_display
        return tuple(column for column in self.list_display if column != "decide")

    def after_action_url(self, player: Player) -> str:
        """A decision returns to the queue, where the next name waits."""
        return self.changelist_url()

    @admin.display(description="game name", ordering="game_name")
    def name(self, player: Player) -> SafeString:
        return name_html(player.game_name)

    @admin.display(description="shown to others as")
    def public(self, player: Player) -> SafeString:
        return name_html(player.public_name)

    @admin.display(description="waiting since", ordering="name_changed_at")
    def waiting_since(self, player: Player) -> Any:
        return player.name_changed_at

    @admin.display(description="player")
    def player(self, player: Player) -> SafeString:
        url = reverse(
            "admin:players_player_change", args=[player.pk], current_app=self.admin_site.name
        )
        return format_html('<a href="{}">#{}</a>', url, player.pk)

    @admin.display(description="decision")
    def decide(self, player: Player) -> SafeString:
        # The buttons submit the changelist form (which carries the CSRF token) to the action's
        # own URL: one click per name, no nested forms.
        return format_html(
            '<button type="submit" class="button cg-approve" formaction="{}" formmethod="post">'
            "Approve</button> "
            '<button type="submit" class="button cg-danger" formaction="{}" formmethod="post">'
            "Reject</button> "
            '<a href="{}">Reject with a reason…</a>',
            self.action_url(player, APPROVE_NAME),
            self.action_url(player, REJECT_NAME),
            self.action_url(player, REJECT_NAME),
        )


class BlockedWordForm(forms.ModelForm):
    """A blocked word, normalised as names are and unique by skeleton (as the database holds)."""

    class Meta:
        model = BlockedWord
        fields = ("word",)

    def clean_word(self) -> str:
        word = normalize(self.cleaned_data["word"])
        if not any(char.isalnum() for char in word):
            raise forms.ValidationError("A blocked word needs at least one letter or digit.")
        if not name_skeleton(word):
            raise forms.ValidationError("A blocked word needs at least one letter or digit.")
        clash = BlockedWord.objects.filter(word_skeleton=name_skeleton(word)).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError("This word is already blocked.")
        return word


@admin.register(BlockedWord)
class BlockedWordAdmin(admin.ModelAdmin):
    """Words no new game name may contain; existing names are reviewed separately."""

    form = BlockedWordForm
    list_display = ("word_display", "created_at")
    search_fields = ("word",)
    ordering = ("word",)

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    @admin.display(description="word", ordering="word")
    def word_display(self, word: BlockedWord) -> SafeString:
        return name_html(word.word)

    def save_model(self, request: HttpRequest, obj: Model, form: forms.Form, change: bool) -> None:
        """Save, then say how many current names contain the word (they are not changed)."""
        super().save_model(request, obj, form, change)
        using = players_with_blocked_word(word=obj.word).count()
        if using:
            url = reverse("admin:players_player_changelist", current_app=self.admin_site.name)
            self.message_user(
                request,
                format_html(
                    'Blocked words apply to new names. {} current name(s) contain it: <a href="{}">'
                    "review them</a>.",
                    using,
                    f"{url}?{urlencode({'q': obj.word})}",
                ),
                messages.WARNING,
            )


@admin.register(ClickDay)
class ClickDayAdmin(admin.ModelAdmin):
    """Click history, read-only: what each player clicked (and had refused) per UTC day."""

    list_display = ("day", "player_name", "player_link", "day_clicks", "day_rejected", "syncs")
    list_filter = ("day",)
    search_fields = ("player__game_name",)
    search_help_text = "Part of a game name, a Telegram id, or a player id (#12)."
    ordering = ("-day", "-clicks")
    list_select_related = ("player",)
    list_per_page = 100
    show_full_result_count = False

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ClickDay | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ClickDay | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ClickDay], search_term: str
    ) -> tuple[QuerySet[ClickDay], bool]:
        found = _id_search(
            queryset,
            search_term,
            name_field="player__game_name",
            id_fields=("player_id", "player__telegram_id"),
        )
        return found, False

    @admin.display(description="clicks", ordering="clicks")
    def day_clicks(self, day: ClickDay) -> str:
        return number_text(day.clicks)

    @admin.display(description="rejected", ordering="rejected")
    def day_rejected(self, day: ClickDay) -> str:
        return number_text(day.rejected)

    @admin.display(description="game name", ordering="player__game_name")
    def player_name(self, day: ClickDay) -> SafeString:
        return name_html(day.player.game_name)

    @admin.display(description="player", ordering="player_id")
    def player_link(self, day: ClickDay) -> SafeString:
        url = reverse(
            "admin:players_player_change", args=[day.player_id], current_app=self.admin_site.name
        )
        return format_html('<a href="{}">#{}</a>', url, day.player_id)


@admin.register(GlobalStats)
class GlobalStatsAdmin(admin.ModelAdmin):
    """The stored headline numbers, read-only; the stats page has the full picture."""

    list_display = ("clicks", "players", "last_updated", "stats_page")

    @admin.display(description="total clicks")
    def clicks(self, stats: GlobalStats) -> str:
        return number_text(stats.total_clicks)

    @admin.display(description="players on the leaderboard")
    def players(self, stats: GlobalStats) -> str:
        return number_text(stats.total_users)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GlobalStats | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: GlobalStats | None = None) -> bool:
        return False

    @admin.display(description="details")
    def stats_page(self, stats: GlobalStats) -> SafeString:
        url = reverse("admin:stats", current_app=self.admin_site.name)
        return format_html('<a href="{}">Global stats page</a>', url)
