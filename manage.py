#!/usr/bin/env python
"""Django's command-line entry point for clickgame."""

import os
import sys


def main() -> None:
    """Run a management command with clickgame's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clickgame.settings")
    try:
        from django.conf import settings
        from django.core.management import execute_from_command_line
    except ImportError:
        # Django's own hint, without the traceback: the usual cause is the wrong interpreter.
        sys.stderr.write(
            "Couldn't import Django. Are you sure it's installed and available on your "
            "PYTHONPATH environment variable? Did you forget to activate a virtual environment?\n"
            "In this project: `make run` creates .venv; then use `.venv/bin/python manage.py`.\n"
        )
        raise SystemExit(1) from None

    # Imported after Django: it needs django-environ, which only the virtualenv has.
    from core.environment import config_errors_exit

    with config_errors_exit():
        # Load the settings now, so a bad variable is one line here and not a traceback later.
        settings.INSTALLED_APPS  # noqa: B018 (evaluated for its side effect)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
