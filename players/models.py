"""Players: who plays, under which public game name, and their click counters."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from players.rules import MAX_SKELETON_LENGTH, name_skeleton


class NameStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class PlayerQuerySet(models.QuerySet["Player"]):
    def visible(self) -> "PlayerQuerySet":
        """Players that appear in public places (leaderboard, profiles): not banned."""
        return self.filter(is_banned=False)

    def names_to_review(self) -> "PlayerQuerySet":
        """Game names waiting for a moderator, oldest change first."""
        return self.filter(name_status=NameStatus.PENDING, game_name__isnull=False).order_by(
            "name_changed_at", "pk"
        )


class Player(models.Model):
    """A Telegram user playing the game.

    Telegram's own fields (first name, username, language) are private: staff see them in the
    admin, no public response carries them. The click fields are changed by the clicks app with
    atomic SQL only.
    """

    telegram_id = models.BigIntegerField(unique=True)
    # NULL, not "", means "no name yet": the case-insensitive unique constraint skips NULLs.
    game_name = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    # rules.name_skeleton(game_name), kept by save(): two names that look alike (case, look-alike
    # letters, separators) share it, so the second is `taken`. NULL while there is no name.
    game_name_skeleton = models.CharField(
        max_length=MAX_SKELETON_LENGTH, null=True, blank=True, unique=True, editable=False
    )
    name_status = models.CharField(
        max_length=10, choices=NameStatus.choices, default=NameStatus.PENDING
    )
    name_changed_at = models.DateTimeField(null=True, blank=True)

    clicks = models.BigIntegerField(default=0)
    # The clicks the SQL leaderboard orders by (index `player_board_idx`): a copy of `clicks`
    # that the click sync leaves alone while the live board (Redis) tracks its syncs, so the
    # sync's UPDATE touches no indexed column and stays a HOT update. Written with `clicks` by
    # every other change of it, by the sync whenever the live board does not track it, and
    # copied for everyone else by `leaderboard.snapshot.board_order_refresh` (the board keeper).
    board_clicks = models.BigIntegerField(default=0, editable=False)
    # Click sync bookkeeping (clicks): last applied batch and the anti-cheat allowance.
    last_seq = models.BigIntegerField(default=0)
    last_sync_accepted = models.IntegerField(default=0)
    # The rest of the last applied batch's answer, replayed when that seq is sent again.
    last_sync_rejected = models.IntegerField(default=0)
    # The id the client gave the last applied batch (`batch`, 0 when it sent none): a resend of
    # that seq with the same id is that very batch, not another device's under the same seq.
    last_sync_batch = models.BigIntegerField(default=0)
    # Per-player sync rate (CLICK_SYNC_RATE), kept in the row the sync updates anyway: unix
    # seconds when the current window opened and the syncs counted in it.
    sync_window_at = models.FloatField(default=0.0)
    sync_window_syncs = models.IntegerField(default=0)
    click_allowance = models.FloatField(default=0.0, help_text="Clicks the player may still send.")
    click_allowance_at = models.FloatField(
        default=0.0, help_text="Unix seconds when click_allowance was last refilled."
    )
    rejected_clicks = models.BigIntegerField(default=0)
    last_rejected_at = models.DateTimeField(null=True, blank=True)

    is_banned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    first_name = models.CharField(max_length=256, blank=True, default="")
    username = models.CharField(max_length=64, blank=True, default="")
    language_code = models.CharField(max_length=16, blank=True, default="")

    objects = PlayerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("game_name"),
                name="player_game_name_ci_unique",
                condition=Q(game_name__isnull=False),
            ),
            models.CheckConstraint(condition=Q(clicks__gte=0), name="player_clicks_non_negative"),
            models.CheckConstraint(condition=Q(last_seq__gte=0), name="player_seq_non_negative"),
            models.CheckConstraint(
                condition=Q(rejected_clicks__gte=0), name="player_rejected_non_negative"
            ),
        ]
        indexes = [
            models.Index(
                F("board_clicks").desc(),
                F("id").asc(),
                name="player_board_idx",
                condition=Q(is_banned=False),
            ),
            models.Index(fields=["name_status", "name_changed_at"], name="player_name_review_idx"),
        ]

    def __str__(self) -> str:
        return self.game_name or f"Player #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, with the name's skeleton kept in step with the name (when the name is saved)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "game_name" in update_fields:
            self.game_name_skeleton = name_skeleton(self.game_name) if self.game_name else None
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "game_name_skeleton"]
        super().save(*args, **kwargs)

    @property
    def needs_name(self) -> bool:
        """True when the game must ask for a (new) name: none yet, or a moderator refused it."""
        return not self.game_name or self.name_status == NameStatus.REJECTED

    @property
    def public_name(self) -> str:
        """The name others see: the game name once visible under the moderation mode."""
        return public_game_name(self.pk, self.game_name, self.name_status)


def placeholder_name(player_id: int) -> str:
    """The neutral name shown while a game name is missing, pending or refused."""
    return f"Player #{player_id}"


def public_game_name(player_id: int, game_name: str | None, name_status: str) -> str:
    """What the public sees for a player's name under the configured moderation mode.

    Post-moderation shows a new name until a moderator rejects it; pre-moderation shows it only
    once approved. A rejected or missing name is never shown.
    """
    if not game_name or name_status == NameStatus.REJECTED:
        return placeholder_name(player_id)
    if name_status == NameStatus.PENDING and settings.NAME_MODERATION == "pre":
        return placeholder_name(player_id)
    return game_name


class BlockedWord(models.Model):
    """A word no new game name may contain (compared by skeleton, as names are)."""

    word = models.CharField(max_length=64, unique=True)
    # rules.name_skeleton(word), kept by save(): unique, so "Meanie" and "MEANIE" (or "Éva" and
    # "éva", on SQLite too) cannot both be blocked.
    word_skeleton = models.CharField(max_length=MAX_SKELETON_LENGTH, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, with the word's skeleton kept in step with the word (when the word is saved)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "word" in update_fields:
            self.word_skeleton = name_skeleton(self.word)
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "word_skeleton"]
        super().save(*args, **kwargs)
