"""Telegram Mini App initData: validation and signing, with no Django in it.

Telegram's algorithm (core.telegram.org/bots/webapps, "Validating data received via the Mini
App"): split the query string on `&` and percent-decode each pair; the data-check-string is every
field except `hash`, as `key=value`, sorted by key and joined by `\\n` (`signature` stays in);
secret = HMAC-SHA256(key=b"WebAppData", msg=bot_token); the hex HMAC-SHA256 of the
data-check-string under that secret must equal `hash`. `auth_date` bounds the replay window.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlencode

Clock = Callable[[], float]

# How far in the future an auth_date may be, for clocks that disagree a little.
FUTURE_TOLERANCE_SECONDS = 60
# A sanity bound on what we are willing to parse at all.
MAX_INIT_DATA_LENGTH = 8192
# Distinct initData strings whose signature check a process remembers (see `validate`): about
# the players one web worker serves at once; a few kilobytes each at most.
VERIFIED_CACHE_SIZE = 10_000


class InitDataError(Exception):
    """initData that does not prove who the player is; `code` names the reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class TelegramUser:
    """The identity Telegram vouched for: only ever built from validated initData."""

    telegram_id: int
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    language_code: str = ""
    is_bot: bool = False
    auth_date: int = 0
    start_param: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # DRF and Django check these on `request.user`.
    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True

    @property
    def pk(self) -> int:
        return self.telegram_id


@lru_cache(maxsize=8)
def secret_key(bot_token: str) -> bytes:
    """The Mini App secret: HMAC-SHA256 with key "WebAppData" over the bot token."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: Mapping[str, str]) -> str:
    """Every field but `hash`, as sorted `key=value` lines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: Mapping[str, str], bot_token: str) -> str:
    """The hex `hash` Telegram would attach to these fields."""
    check = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), check, hashlib.sha256).hexdigest()


def build_init_data(
    user: Mapping[str, Any],
    bot_token: str,
    *,
    auth_date: int | None = None,
    extra: Mapping[str, str] | None = None,
    clock: Clock = time.time,
) -> str:
    """A correctly signed initData query string, as Telegram would hand it to the page.

    Used by the dev sign-in, the tests and the benchmark; never by authentication itself.
    """
    fields: dict[str, str] = {
        "user": json.dumps(dict(user), separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(clock()) if auth_date is None else auth_date),
        **(extra or {}),
    }
    fields["hash"] = sign(fields, bot_token)
    return urlencode(fields)


def parse_fields(init_data: str) -> dict[str, str]:
    """Split and percent-decode initData into fields; duplicated keys are malformed."""
    if not init_data or not init_data.strip():
        raise InitDataError("missing", "initData is empty.")
    if len(init_data) > MAX_INIT_DATA_LENGTH:
        raise InitDataError("malformed", "initData is too long.")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InitDataError("malformed", "initData is not a valid query string.") from exc
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InitDataError("malformed", f"initData repeats the field {key!r}.")
        fields[key] = value
    return fields


def validate(
    init_data: str,
    bot_token: str,
    *,
    max_age: int,
    clock: Clock = time.time,
) -> TelegramUser:
    """Return the Telegram user that signed initData, or raise InitDataError with a code.

    Codes: `missing`, `malformed`, `bad_signature`, `expired`, `from_future`.

    A client sends the same initData with every request of a session, so the signature check of
    a string that passed it is remembered (`VERIFIED_CACHE_SIZE` strings per process, keyed by
    the exact string and bot token: HMAC is deterministic, so the answer cannot change). The
    time checks run on every call.
    """
    user = signed_user(init_data, bot_token)
    now = clock()
    if user.auth_date > now + FUTURE_TOLERANCE_SECONDS:
        raise InitDataError("from_future", "initData auth_date is in the future.")
    if now - user.auth_date > max_age:
        raise InitDataError("expired", "initData has expired; reopen the game from Telegram.")
    return user


@lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def signed_user(init_data: str, bot_token: str) -> TelegramUser:
    """The user of initData whose signature is valid, at any age; raises InitDataError.

    Cached: only strings that pass are remembered (an exception is never cached).
    """
    fields = parse_fields(init_data)
    received_hash = fields.get("hash", "")
    if not received_hash:
        raise InitDataError("malformed", "initData has no hash.")
    expected = sign(fields, bot_token)
    if not hmac.compare_digest(expected.encode(), received_hash.encode()):
        raise InitDataError("bad_signature", "initData signature does not match.")
    auth_date = _auth_date(fields)
    user = _user(fields)
    return TelegramUser(
        telegram_id=user["id"],
        first_name=_text(user.get("first_name")),
        last_name=_text(user.get("last_name")),
        username=_text(user.get("username")),
        language_code=_text(user.get("language_code")),
        is_bot=user.get("is_bot") is True,
        auth_date=auth_date,
        start_param=fields.get("start_param", ""),
        # Read-only: the same user is handed to every request that sends this initData.
        extra=MappingProxyType(user),
    )


def _auth_date(fields: Mapping[str, str]) -> int:
    raw = fields.get("auth_date", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InitDataError("malformed", "initData has no valid auth_date.")
    return int(raw)


def _user(fields: Mapping[str, str]) -> dict[str, Any]:
    try:
        user = json.loads(fields.get("user", ""))
    except (ValueError, RecursionError) as exc:
        raise InitDataError("malformed", "initData user is not valid JSON.") from exc
    if not isinstance(user, dict):
        raise InitDataError("malformed", "initData user is not an object.")
    telegram_id = user.get("id")
    if type(telegram_id) is not int or not 0 < telegram_id < 2**63:
        raise InitDataError("malformed", "initData user has no valid id.")
    return user


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
