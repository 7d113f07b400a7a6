from django.apps import AppConfig


class ClicksConfig(AppConfig):
    name = "clicks"
    label = "clicks"
    default_auto_field = "django.db.models.BigAutoField"
