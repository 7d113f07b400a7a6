"""Write the server's .env for docker-compose.yml from the deploy workflow's secrets and variables.

Reads the variables below from its own environment (deploy.yml maps GitHub secrets and variables
onto them), derives the host-dependent settings from PUBLIC_HOST, appends EXTRA_ENV lines, and
writes `KEY='value'` lines (single quotes: Compose takes the value literally, `$` included) to
--output with mode 600. Refuses, naming every problem, instead of writing a broken file.

    python3 deploy/render_env.py --output "$RUNNER_TEMP/clickgame.env"
"""

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

# From GitHub secrets: required, and (webhook mode only) the webhook secret.
SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "TELEGRAM_BOT_TOKEN")
OPTIONAL_SECRETS = ("TELEGRAM_WEBHOOK_SECRET",)
# From GitHub variables, with the default used when a variable is unset or empty.
VARIABLES = {
    "PUBLIC_HOST": "",
    "TELEGRAM_BOT_USERNAME": "",
    "TELEGRAM_BOT_MODE": "webhook",
    "ADMIN_URL": "admin/",
    "COMPOSE_PROFILES": "",
    "CLIENT_PORT": "",
    "TRUSTED_PROXY_COUNT": "",
}
REQUIRED_VARIABLES = ("PUBLIC_HOST", "TELEGRAM_BOT_USERNAME")

LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_RE = re.compile(rf"^{LABEL}(\.{LABEL})*$")
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,256}$")
KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class EnvProblem(ValueError):
    """The inputs cannot make a working .env; the message lists every problem."""


def _extra_lines(extra: str, taken: set[str]) -> tuple[dict[str, str], list[str]]:
    """KEY=value pairs from EXTRA_ENV (blank lines and # comments skipped), and the problems."""
    pairs: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(extra.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not KEY_RE.match(key):
            problems.append(f"EXTRA_ENV line {number} is not KEY=value: {line!r}")
        elif key in taken or key in pairs:
            problems.append(f"EXTRA_ENV line {number} sets {key} a second time")
        else:
            pairs[key] = value.strip()
    return pairs, problems


def render(environ: Mapping[str, str]) -> str:
    """The .env text for `environ` (the workflow step's environment); EnvProblem if unusable."""
    values = {name: environ.get(name, "").strip() for name in SECRETS + OPTIONAL_SECRETS}
    for name, default in VARIABLES.items():
        values[name] = environ.get(name, "").strip() or default
    problems = [f"secret {name} is empty" for name in SECRETS if not values[name]]
    problems += [f"variable {name} is empty" for name in REQUIRED_VARIABLES if not values[name]]

    host = values["PUBLIC_HOST"]
    if host and not HOST_RE.match(host):
        problems.append(f"PUBLIC_HOST must be a bare host name like game.example.com, not {host!r}")
    mode = values["TELEGRAM_BOT_MODE"]
    if mode not in ("polling", "webhook"):
        problems.append(f"TELEGRAM_BOT_MODE must be polling or webhook, not {mode!r}")
    if mode == "webhook" and not WEBHOOK_SECRET_RE.match(values["TELEGRAM_WEBHOOK_SECRET"]):
        problems.append(
            "secret TELEGRAM_WEBHOOK_SECRET must be 32-256 of A-Z a-z 0-9 _ - in webhook mode"
        )

    https_profile = "https" in values["COMPOSE_PROFILES"].replace(" ", "").split(",")
    # With the https profile Caddy owns ports 80/443 and nginx sits behind it, one hop further.
    values["CLIENT_PORT"] = values["CLIENT_PORT"] or ("127.0.0.1:8080" if https_profile else "80")
    values["TRUSTED_PROXY_COUNT"] = values["TRUSTED_PROXY_COUNT"] or ("2" if https_profile else "1")
    values |= {
        "ALLOWED_HOSTS": host,
        "CSRF_TRUSTED_ORIGINS": f"https://{host}",
        "MINI_APP_URL": f"https://{host}/",
        "TELEGRAM_WEBHOOK_URL": f"https://{host}/telegram/webhook",
    }

    extra, extra_problems = _extra_lines(environ.get("EXTRA_ENV", ""), set(values))
    problems += extra_problems
    values |= extra
    for name, value in values.items():
        if "'" in value or "\n" in value or "\r" in value:
            problems.append(f"{name} holds a quote or a line break, which .env cannot carry")
    if problems:
        raise EnvProblem("cannot write .env:\n  - " + "\n  - ".join(problems))

    lines = ["# Written by deploy/render_env.py from the deploy workflow; edit there, not here."]
    lines += [f"{name}='{value}'" for name, value in values.items() if value]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the .env file named by --output; print the problems and exit 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, type=Path, help="where to write the .env file")
    args = parser.parse_args(argv)
    try:
        text = render(os.environ)
    except EnvProblem as problem:
        print(problem, file=sys.stderr)
        return 1
    descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as output:
        output.write(text)
    os.chmod(args.output, 0o600)
    names = [line.split("=", 1)[0] for line in text.splitlines() if not line.startswith("#")]
    print(f"wrote {args.output} with {len(names)} variables: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
