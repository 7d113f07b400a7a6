"""Reading settings from the environment with errors a person can act on.

`Environment` is django-environ's `Env` with strict parsing: every bad value raises
`ConfigError` with one line naming the variable, what it expects and what it got. An empty value
(`DATABASE_URL=` as in `.env.example`) means the documented default. Entry points (manage.py,
wsgi, asgi) print a `ConfigError` as that one line instead of a traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

# The exit status of an entry point that stopped on a configuration error.
CONFIG_ERROR_EXIT_STATUS = 2

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NOT_SET: Any = environ.Env.NOTSET


class ConfigError(ImproperlyConfigured):
    """A setting from the environment is missing or malformed; the message is one line."""


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


class Environment(environ.Env):
    """django-environ's `Env`, strict: a bad value is a `ConfigError` naming the variable."""

    def _raw(self, var: str) -> str | None:
        """The variable's text, or None when unset or empty (both mean: use the default)."""
        value = self.ENVIRON.get(var)
        return None if value is None or value.strip() == "" else value.strip()

    def _missing(self, var: str, default: Any, expects: str) -> Any:
        if default is _NOT_SET:
            raise ConfigError(f"{var} must be set: {expects} (see .env.example).")
        return default

    def str(  # type: ignore[override]
        self,
        var: str,
        default: Any = _NOT_SET,
        multiline: bool = False,
        choices: Collection[str] | None = None,
        pattern: str | None = None,
        expects: str = "",
    ) -> Any:
        """Text; with `choices` one of them, with `pattern` a full match of that regex."""
        raw = self._raw(var)
        if raw is None:
            return self._missing(var, default, expects or "a value")
        if choices is not None and raw not in choices:
            options = " or ".join(repr(choice) for choice in choices)
            raise ConfigError(f"{var} must be {options} (got {_shown(raw)}).")
        if pattern is not None and not re.fullmatch(pattern, raw):
            raise ConfigError(f"{var} must be {expects or pattern} (got {_shown(raw)}).")
        return raw

    def bool(self, var: str, default: Any = _NOT_SET) -> Any:  # type: ignore[override]
        """true/false, yes/no, on/off or 1/0, in any case."""
        raw = self._raw(var)
        if raw is None:
            return self._missing(var, default, "True or False")
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ConfigError(f"{var} must be True or False (got {_shown(raw)}).")

    def int(  # type: ignore[override]
        self, var: str, default: Any = _NOT_SET, minimum: int = 0
    ) -> Any:
        """A whole number, `minimum` or more (0 unless told)."""
        raw = self._raw(var)
        example = default if isinstance(default, int) and default >= minimum else minimum
        if raw is None:
            return self._missing(var, default, f"a whole number, e.g. {example}")
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(
                f"{var} must be a whole number, e.g. {example} (got {_shown(raw)})."
            ) from None
        if value < minimum:
            raise ConfigError(f"{var} must be {minimum} or more (got {value}).")
        return value

    def list(self, var: str, default: Any = _NOT_SET) -> Any:  # type: ignore[override]
        """Comma-separated values, blanks dropped."""
        raw = self._raw(var)
        if raw is None:
            return self._missing(var, default, "comma-separated values")
        return [item.strip() for item in raw.split(",") if item.strip()]

    def db_url(  # type: ignore[override]
        self, var: str, default: Any = _NOT_SET, engine: str | None = None
    ) -> dict[str, Any]:
        """Django's DATABASES entry for a database URL; empty means `default`."""
        example = "postgres://user:password@127.0.0.1:5432/clickgame"
        raw = self._raw(var)
        if raw is None:
            raw = self._missing(var, default, f"a database URL such as {example}")
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in self.DB_SCHEMES:
            raise ConfigError(
                f"{var} is not a database URL (got {_shown(raw)}): use e.g. {example}, "
                "or leave it empty for the SQLite file."
            )
        try:
            config: dict[str, Any] = self.db_url_config(raw, engine=engine)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{var} could not be read ({exc}): use e.g. {example}.") from None
        return config


def require_all(**values: Any) -> None:
    """Refuse to start, naming every variable in `values` that is empty, all in one message."""
    missing = [name for name, value in values.items() if not value]
    if not missing:
        return
    names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    verb = "must be set" if len(missing) == 1 else "must all be set"
    raise ConfigError(
        f"{names} {verb} when DEBUG is off (see .env.example); for local development set "
        "DEBUG=True, as `make run` does."
    )


@contextmanager
def config_errors_exit(*, status: int = CONFIG_ERROR_EXIT_STATUS) -> Iterator[None]:
    """Turn a `ConfigError` in the block into one line on stderr and exit `status`."""
    try:
        yield
    except ConfigError as exc:
        print(f"clickgame: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(status) from None
