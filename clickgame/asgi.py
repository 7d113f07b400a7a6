"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from core.environment import config_errors_exit
from core.startup import warn_if_redis_unreachable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clickgame.settings")

with config_errors_exit():
    application = get_asgi_application()
warn_if_redis_unreachable()
