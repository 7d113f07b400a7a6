"""WSGI entry point (gunicorn clickgame.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from core.environment import config_errors_exit
from core.startup import warn_if_redis_unreachable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clickgame.settings")

# Exit status 4 is gunicorn's "App failed to load": it stops instead of respawning the worker.
with config_errors_exit(status=4):
    application = get_wsgi_application()
warn_if_redis_unreachable()
