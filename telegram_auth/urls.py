from django.urls import path

from telegram_auth import dev
from telegram_auth.bot.webhook import telegram_webhook

urlpatterns = [
    path("dev/signin", dev.dev_signin_page, name="dev-signin"),
    path("api/dev/initdata", dev.dev_init_data_api, name="dev-initdata"),
    path("telegram/webhook", telegram_webhook, name="telegram-webhook"),
]
