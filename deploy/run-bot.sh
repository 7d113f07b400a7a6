#!/bin/sh
# Command of the `bot` container.
# polling: run the bot here until the container stops.
# webhook: the web service answers Telegram at /telegram/webhook, so only register the webhook
# (`runbot` does that and returns), then idle; idling keeps `restart: unless-stopped` from
# re-registering in a loop, and a restart (reboot, update) registers it again.
set -eu

if [ "${TELEGRAM_BOT_MODE:-polling}" = "webhook" ]; then
  python manage.py runbot
  echo "run-bot: webhook registered; the web service serves updates, this container idles."
  exec sleep infinity
fi
exec python manage.py runbot
