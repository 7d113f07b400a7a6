# syntax=docker/dockerfile:1
# Backend image: Django served by gunicorn (`web`), the Telegram bot (`bot`) and one-shot
# management commands (`migrate`). Build: docker compose build web (see docs/deploy.md).

ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim-bookworm AS python-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# Dependencies in their own layer: rebuilt only when requirements/ changes, not on every code edit.
FROM python-base AS dependencies
RUN python -m venv "$VIRTUAL_ENV"
COPY requirements/base.txt requirements/prod.txt /tmp/requirements/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --requirement /tmp/requirements/prod.txt

FROM python-base AS runtime
RUN groupadd --system --gid 10001 clickgame \
    && useradd --system --uid 10001 --gid clickgame --create-home --home-dir /home/clickgame \
       --shell /usr/sbin/nologin clickgame
COPY --from=dependencies /opt/venv /opt/venv
WORKDIR /app
# The code stays owned by root: the app user can read it, not change it.
COPY . .
# Static files are collected into the image (WhiteNoise serves them with hashed names). Settings
# refuse to load with DEBUG off and no secrets, so throwaway values stand in for this one command.
RUN DEBUG=False \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0123456789abcdef \
    ALLOWED_HOSTS=localhost \
    TELEGRAM_BOT_TOKEN=collectstatic-at-build-time-only \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q /app

# The numeric ids of the clickgame user created above: resolvable without the image passwd file.
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "clickgame.wsgi"]
