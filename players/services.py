"""Player use cases: sign-in, game names, bans. Every door (API, bot, admin) calls these."""

from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Forbidden, InvalidInput, NotFound
from core.ratelimits import rate_check, rate_count
from players.models import BlockedWord, NameStatus, Player
from players.rules import NameRuleError, check_name, name_skeleton

# last_seen_at is refreshed at most this often by sign-in, so reads do not turn into writes.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def player_sign_in(
    *,
    telegram_id: int,
    first_name: str = "",
    username: str = "",
    language_code: str = "",
) -> Player:
    """The player behind a Telegram identity, created on first sight; banned players are refused.

    The one sign-in of every door (API, bot) and of click sync's first sync. Race-free: two
    concurrent first requests make one player (the unique telegram_id decides, the loser of the
    race reads the winner's row). Telegram's private fields follow the latest sign-in.
    Raises Forbidden(code="banned").
    """
    player = _player_get_or_create(
        telegram_id=telegram_id,
        first_name=first_name,
        username=username,
        language_code=language_code,
    )
    if player.is_banned:
        raise Forbidden("This player is banned.", code="banned")
    return player


def _player_get_or_create(
    *, telegram_id: int, first_name: str, username: str, language_code: str
) -> Player:
    """The player row for a Telegram identity, created or brought up to date."""
    profile = {
        "first_name": first_name[:256],
        "username": username[:64],
        "language_code": language_code[:16],
    }
    now = timezone.now()
    player, created = Player.objects.get_or_create(
        telegram_id=telegram_id, defaults={**profile, "last_seen_at": now}
    )
    if created:
        return player
    changed = [name for name, value in profile.items() if getattr(player, name) != value]
    if player.last_seen_at is None or now - player.last_seen_at > LAST_SEEN_RESOLUTION:
        changed.append("last_seen_at")
        player.last_seen_at = now
    for name in changed:
        if name in profile:
            setattr(player, name, profile[name])
    if changed:
        player.save(update_fields=[*changed, "updated_at"])
    return player


def blocked_words() -> list[str]:
    """The words moderators have blocked in game names."""
    return list(BlockedWord.objects.values_list("word", flat=True))


def game_name_check(*, game_name: str, player_id: int | None = None) -> str:
    """Validate a proposed game name for a player and return it normalised.

    Raises InvalidInput with `too_short`, `too_long`, `invalid_chars`, `blocked` or `taken`.
    """
    if not isinstance(game_name, str):
        raise InvalidInput("A game name is text.", code="invalid_chars")
    try:
        name = check_name(game_name, blocked_words())
    except NameRuleError as exc:
        raise InvalidInput(exc.detail, code=exc.code) from exc
    # Look-alikes (case, confusable letters, separators) share a skeleton: the second is taken.
    clash = Player.objects.filter(game_name_skeleton=name_skeleton(name))
    if player_id is not None:
        clash = clash.exclude(pk=player_id)
    if clash.exists():
        raise InvalidInput("This game name is taken, please pick another.", code="taken")
    return name


def player_set_game_name(*, player: Player, game_name: str) -> bool:
    """Set or change a player's game name; return True when it is the player's first name.

    The name goes to moderation as pending (visible meanwhile under post-moderation). Changes
    are limited to `NAME_CHANGE_RATE` per player; failed attempts do not count.
    """
    group, key, rate = "player_rename", str(player.pk), settings.NAME_CHANGE_RATE
    rate_check(group=group, key=key, rate=rate, increment=False)
    name = game_name_check(game_name=game_name, player_id=player.pk)
    first = not player.game_name
    if name == player.game_name and player.name_status != NameStatus.REJECTED:
        return first
    player.game_name = name
    player.name_status = NameStatus.PENDING
    player.name_changed_at = timezone.now()
    try:
        with transaction.atomic():
            player.save(update_fields=["game_name", "name_status", "name_changed_at", "updated_at"])
    except IntegrityError as exc:
        # Another player took the name between the check and the write: the constraint decides.
        player.refresh_from_db(fields=["game_name", "name_status", "name_changed_at"])
        raise InvalidInput("This game name is taken, please pick another.", code="taken") from exc
    rate_count(group=group, key=key, rate=rate)
    return first


def _player_for_update(player_id: int) -> Player:
    """The player row locked for the rest of the transaction, or NotFound."""
    player = Player.objects.select_for_update().filter(pk=player_id).first()
    if player is None:
        raise NotFound("No such player.")
    return player


def player_name_approve(*, player_id: int) -> Player:
    """Approve a player's current game name (moderator decision); idempotent.

    A rejected name may be approved too, which undoes a mistaken rejection. Raises NotFound for
    an unknown player and InvalidInput(`no_name`) when the player has no name to approve.
    """
    with transaction.atomic():
        player = _player_for_update(player_id)
        if not player.game_name:
            raise InvalidInput("This player has no game name to approve.", code="no_name")
        if player.name_status != NameStatus.APPROVED:
            player.name_status = NameStatus.APPROVED
            player.save(update_fields=["name_status", "updated_at"])
    return player


def player_name_reject(*, player_id: int) -> Player:
    """Reject a player's current game name (moderator decision); idempotent.

    The name vanishes from every public place at once (they all read `public_game_name`) and the
    player is asked for a new one (`needs_name`). It stays reserved, so nobody else can take it.
    Raises NotFound for an unknown player and InvalidInput(`no_name`) when there is no name.
    """
    with transaction.atomic():
        player = _player_for_update(player_id)
        if not player.game_name:
            raise InvalidInput("This player has no game name to reject.", code="no_name")
        if player.name_status != NameStatus.REJECTED:
            player.name_status = NameStatus.REJECTED
            player.save(update_fields=["name_status", "updated_at"])
    return player


def player_rename(*, player_id: int, game_name: str) -> Player:
    """Give a player a new game name chosen by staff; the name is approved at once.

    The same rules as a player's own change apply (length, characters, blocked words, unique),
    without the player's rate limit. Raises NotFound or InvalidInput with the rule's code.
    """
    with transaction.atomic():
        player = _player_for_update(player_id)
        name = game_name_check(game_name=game_name, player_id=player.pk)
        player.game_name = name
        player.name_status = NameStatus.APPROVED
        player.name_changed_at = timezone.now()
        try:
            with transaction.atomic():
                player.save(
                    update_fields=["game_name", "name_status", "name_changed_at", "updated_at"]
                )
        except IntegrityError as exc:
            # Another player took the name between the check and the write: the constraint decides.
            raise InvalidInput(
                "This game name is taken, please pick another.", code="taken"
            ) from exc
    return player


class PlayerListings(Protocol):
    """The places outside the players table that list visible players: the live leaderboard.

    The players app cannot import the leaderboard (it sits above), so a ban or unban is handed
    the leaderboard's side explicitly: `leaderboard.services.player_listings()`.
    """

    def player_hidden(self, *, player_id: int) -> None:
        """The player was banned; called while the ban holds the player's row lock."""

    def player_shown(self, *, player_id: int, clicks: int) -> None:
        """The player was unbanned with `clicks`; called while the unban holds the row lock."""

    def player_committed(self, *, player_id: int) -> None:
        """A ban or unban of the player committed (also when it changed nothing)."""


def player_ban(*, player_id: int, listings: PlayerListings) -> Player:
    """Ban a player: off the board and out of every count at once. Idempotent.

    `listings` removes the player while the ban's row lock is held, so a ban and an unban in one
    transaction leave the board as the database. A click sync committed just before the ban can
    still land on the live board a moment after the removal; readers drop such an entry when
    they would show it and the board's maintenance removes it. Raises NotFound for an unknown
    player.
    """
    with transaction.atomic():
        player = Player.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            raise NotFound(f"No player {player_id}.")
        if not player.is_banned:
            player.is_banned = True
            player.save(update_fields=["is_banned", "updated_at"])
        listings.player_hidden(player_id=player_id)
    listings.player_committed(player_id=player_id)
    return player


def player_unban(*, player_id: int, listings: PlayerListings) -> Player:
    """Lift a ban: the player is back on the board with their clicks. Idempotent.

    `listings` gets the clicks read under the row lock that the unban's UPDATE holds. A click
    sync updates the same row first, so it waits for the unban to commit and its board write
    lands after this one: no click can fall between the read and the write. Raises NotFound for
    an unknown player.
    """
    with transaction.atomic():
        player = Player.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            raise NotFound(f"No player {player_id}.")
        if player.is_banned:
            player.is_banned = False
            player.board_clicks = player.clicks
            player.save(update_fields=["is_banned", "board_clicks", "updated_at"])
            listings.player_shown(player_id=player_id, clicks=player.clicks)
    listings.player_committed(player_id=player_id)
    return player
