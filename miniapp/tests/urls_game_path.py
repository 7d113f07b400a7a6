"""A URLconf with the Mini App at /game/ (MINI_APP_PATH is read once, when URLs load)."""

from django.urls import include, path

from core.api_index import ApiIndex
from miniapp.urls import mini_app_urlpatterns

urlpatterns = [
    path("api/", ApiIndex.as_view(), name="api-index"),
    path("", include("bot.urls")),
    *mini_app_urlpatterns("/game"),
]
