"""Player actions in the admin: object pages, one-click row buttons and bulk actions.

Every route ends in `PlayerActionsAdmin.apply_action`, which calls the action's service once per
player and records each success in the admin log (`LogEntry`: who, when, what and why).
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from backoffice.actions import PlayerAction
from backoffice.display import name_html
from core.errors import DomainError
from players.models import Player

# Bulk actions call one service per player; larger selections are refused, not truncated.
MAX_BULK_PLAYERS = 500
# Players listed by name on a confirmation page and failures reported one message each.
MAX_LISTED_PLAYERS = 50
MAX_ERROR_MESSAGES = 10

BulkAction = Callable[[Any, HttpRequest, QuerySet[Player]], HttpResponse | None]


def bulk_action(action: PlayerAction) -> BulkAction:
    """The changelist action that runs `action` on the selected players."""

    def run(
        modeladmin: "PlayerActionsAdmin", request: HttpRequest, queryset: QuerySet[Player]
    ) -> HttpResponse | None:
        return modeladmin.run_bulk_action(request, queryset, action)

    run.__name__ = action_name(action)
    return admin.action(description=f"{action.label}: selected players", permissions=["change"])(
        run
    )


def action_name(action: PlayerAction) -> str:
    """The changelist action name of a player action (`reject-name` -> `reject_name`)."""
    return action.slug.replace("-", "_")


class PlayerActionsAdmin(admin.ModelAdmin):
    """A read-only player admin whose changes all go through `player_actions`."""

    player_actions: tuple[PlayerAction, ...] = ()
    change_form_template = "backoffice/player_change_form.html"
    action_template = "backoffice/player_action.html"

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    # Players come from Telegram sign-in and leave only through services: no add, no delete.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Player | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/do/<slug:slug>/",
                self.admin_site.admin_view(self.player_action_view),
                name="{}_{}_player_action".format(*info),
            ),
            *super().get_urls(),
        ]

    def action_url(self, player: Player, action: PlayerAction) -> str:
        """The page that confirms and runs `action` on one player."""
        info = self.opts.app_label, self.opts.model_name
        return reverse(
            "admin:{}_{}_player_action".format(*info),
            args=[quote(player.pk), action.slug],
            current_app=self.admin_site.name,
        )

    def after_action_url(self, player: Player) -> str:
        """Where a single-player action returns to: the player's page."""
        info = self.opts.app_label, self.opts.model_name
        return reverse(
            "admin:{}_{}_change".format(*info),
            args=[quote(player.pk)],
            current_app=self.admin_site.name,
        )

    def changelist_url(self) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_changelist".format(*info), current_app=self.admin_site.name)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The player's page, read-only: saving the whole row would race the click counters."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        context = {
            "title": self.opts.verbose_name.capitalize(),
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        player = self.get_object(request, unquote(object_id))
        if player is not None and self.has_change_permission(request, player):
            context["player_action_buttons"] = [
                {
                    "label": action.label,
                    "url": self.action_url(player, action),
                    "dangerous": action.dangerous,
                }
                for action in self.player_actions
                if action.applies_to(player)
            ]
        return super().change_view(request, object_id, form_url, context)

    def player_action_view(self, request: HttpRequest, object_id: str, slug: str) -> HttpResponse:
        """Confirm (GET) and run (POST) one action on one player."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        action = next((a for a in self.player_actions if a.slug == slug), None)
        if action is None:
            raise Http404("No such action.")
        player = self.get_object(request, unquote(object_id))
        if player is None:
            raise Http404("No such player.")
        if not self.has_change_permission(request, player):
            raise PermissionDenied
        if request.method == "POST":
            form = action.form_class(request.POST)
            if form.is_valid():
                self.apply_action(request, action, [player], form.cleaned_data)
                return HttpResponseRedirect(self.after_action_url(player))
        else:
            if not action.applies_to(player):
                self.message_user(
                    request,
                    format_html(
                        "{}: does not apply to {}.", action.label, name_html(player.game_name)
                    ),
                    messages.WARNING,
                )
                return HttpResponseRedirect(self.after_action_url(player))
            form = action.form_class()
        return self.render_action_page(request, action, [player], form, bulk=False)

    def run_bulk_action(
        self, request: HttpRequest, queryset: QuerySet[Player], action: PlayerAction
    ) -> HttpResponse | None:
        """A changelist action: ask for the action's input when it needs some, then run it."""
        players = list(queryset.order_by("pk")[: MAX_BULK_PLAYERS + 1])
        if len(players) > MAX_BULK_PLAYERS:
            self.message_user(
                request,
                f"Select at most {MAX_BULK_PLAYERS} players for one action; nothing was changed.",
                messages.ERROR,
            )
            return None
        if not action.needs_input:
            self.apply_action(request, action, players, {})
            return None
        if "apply" not in request.POST:
            return self.render_action_page(request, action, players, action.form_class(), bulk=True)
        form = action.form_class(request.POST)
        if not form.is_valid():
            return self.render_action_page(request, action, players, form, bulk=True)
        self.apply_action(request, action, players, form.cleaned_data)
        return None

    def apply_action(
        self,
        request: HttpRequest,
        action: PlayerAction,
        players: Sequence[Player],
        data: dict[str, Any],
    ) -> None:
        """Run `action` on each player through its service, log every success, report all."""
        done: list[tuple[Player, str]] = []
        skipped = 0
        failures: list[tuple[Player, str]] = []
        for player in players:
            if not action.applies_to(player):
                skipped += 1
                continue
            try:
                sentence = action.run(player, data)
            except DomainError as exc:
                failures.append((player, exc.detail))
                continue
            # Logged against the concrete Player, so it shows in the player's history whichever
            # admin (players or the name queue) it came from.
            changed = Player.objects.get(pk=player.pk)
            self.log_change(request, changed, sentence)
            done.append((changed, sentence))
        self._report(request, action, done, skipped, failures)

    def _report(
        self,
        request: HttpRequest,
        action: PlayerAction,
        done: list[tuple[Player, str]],
        skipped: int,
        failures: list[tuple[Player, str]],
    ) -> None:
        if len(done) == 1:
            player, sentence = done[0]
            self.message_user(
                request,
                format_html("{} (#{}): {}", name_html(player.game_name), player.pk, sentence),
                messages.SUCCESS,
            )
        elif done:
            self.message_user(
                request, f"{action.label}: done for {len(done)} players.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"{action.label}: {skipped} player(s) skipped, the action does not apply to them.",
                messages.WARNING,
            )
        for player, detail in failures[:MAX_ERROR_MESSAGES]:
            self.message_user(
                request,
                format_html("{} (#{}): {}", name_html(player.game_name), player.pk, detail),
                messages.ERROR,
            )
        if len(failures) > MAX_ERROR_MESSAGES:
            self.message_user(
                request,
                f"{len(failures) - MAX_ERROR_MESSAGES} more player(s) failed.",
                messages.ERROR,
            )

    def render_action_page(
        self,
        request: HttpRequest,
        action: PlayerAction,
        players: list[Player],
        form: Form,
        *,
        bulk: bool,
    ) -> TemplateResponse:
        """The confirmation page: who is affected, what happens, and the action's form."""
        request.current_app = self.admin_site.name
        single = players[0] if len(players) == 1 and not bulk else None
        context = {
            **self.admin_site.each_context(request),
            "title": action.label,
            "opts": self.opts,
            "action": action,
            "players": players[:MAX_LISTED_PLAYERS],
            "more_players": max(0, len(players) - MAX_LISTED_PLAYERS),
            "player_count": len(players),
            "form": form,
            "bulk": bulk,
            "bulk_action_name": action_name(action),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected_ids": [player.pk for player in players],
            "single": single,
            "form_url": self.action_url(single, action) if single else "",
            "cancel_url": self.after_action_url(single) if single else self.changelist_url(),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.action_template, context)
