from django.apps import AppConfig


class BotConfig(AppConfig):
    """The Telegram bot: /start, the Mini App launcher, the webhook route and its commands."""

    name = "bot"
    default_auto_field = "django.db.models.BigAutoField"
