"""The backoffice: the Django admin the people running the game work in."""

from django.apps import AppConfig

# The module, not the class: a class imported here would count as one of this module's configs.
from django.contrib.admin import apps as admin_apps


class BackofficeConfig(AppConfig):
    """Admin registrations, moderation queue, player actions and the global stats page."""

    name = "backoffice"
    label = "backoffice"
    verbose_name = "Backoffice"
    default_auto_field = "django.db.models.BigAutoField"


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, with the backoffice site as `admin.site`."""

    default = False
    default_site = "backoffice.sites.BackofficeSite"
