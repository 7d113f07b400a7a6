from django.apps import AppConfig


class MiniAppConfig(AppConfig):
    """The Mini App pages: the Godot web build when exported, else the light web client."""

    name = "miniapp"
    label = "miniapp"
    default_auto_field = "django.db.models.BigAutoField"
