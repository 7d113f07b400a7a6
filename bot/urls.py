from django.urls import path

from bot.webhook import telegram_webhook

urlpatterns = [
    path("telegram/webhook", telegram_webhook, name="telegram-webhook"),
]
