from django.apps import AppConfig


class TelegramAuthConfig(AppConfig):
    name = "telegram_auth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI extension for the `tma` scheme (drf-spectacular finds it on import).
        from telegram_auth import schema  # noqa: F401
