from django.apps import AppConfig


class TelegramAuthConfig(AppConfig):
    name = "telegram_auth"
    default_auto_field = "django.db.models.BigAutoField"
