"""DRF authentication with Telegram Mini App initData: `Authorization: tma <initData>`."""

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from telegram_auth.initdata import InitDataError, TelegramUser, validate

SCHEME = "tma"


class InitDataFailed(exceptions.AuthenticationFailed):
    """401 whose error code says why initData was refused."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail=detail, code=code)


def initdata_bot_token() -> str:
    """The bot token initData must be signed with, or "" when none is configured.

    The real bot's token when set; otherwise, with DEBUG on, the development bot's
    (`DEV_BOT_TOKEN`, which `make run` sets), so the dev sign-in works out of the box.
    """
    if settings.TELEGRAM_BOT_TOKEN:
        return settings.TELEGRAM_BOT_TOKEN
    return settings.DEV_BOT_TOKEN if settings.DEBUG else ""


class TelegramInitDataAuthentication(authentication.BaseAuthentication):
    """Authenticate a player from signed initData; other schemes are left to other classes.

    The player's identity comes only from here: `request.user` is a `TelegramUser`.
    """

    def authenticate(self, request: Request) -> tuple[TelegramUser, str] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, init_data = header.partition(" ")
        if scheme.lower() != SCHEME:
            return None
        init_data = init_data.strip()
        bot_token = initdata_bot_token()
        if not bot_token:
            # An empty key is a key anyone holds: accept nothing rather than everything.
            raise InitDataFailed("bad_signature", "This server has no bot token to check initData.")
        try:
            user = validate(init_data, bot_token, max_age=settings.INITDATA_MAX_AGE)
        except InitDataError as exc:
            raise InitDataFailed(exc.code, exc.detail) from exc
        return user, init_data

    def authenticate_header(self, request: Request) -> str:
        return SCHEME
