"""OpenAPI description of the `tma` initData authentication (drf-spectacular extension)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TelegramInitDataScheme(OpenApiAuthenticationExtension):
    target_class = "telegram_auth.authentication.TelegramInitDataAuthentication"
    name = "TelegramInitData"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`tma <initData>`: the raw `Telegram.WebApp.initData` string, signed by Telegram "
                "(HMAC-SHA256 with the bot token). Errors: 401 with code `missing`, `malformed`, "
                "`bad_signature`, `expired` or `from_future`."
            ),
        }
