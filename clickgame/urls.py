"""URL routes: the JSON API under /api/, docs, probes, admin and the Mini App pages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import health, metrics
from core.api_index import ApiIndex

handler404 = "core.errors.json_or_html_404"

api_patterns = [
    # First: the URL every player hits most often is matched without trying the others.
    path("", include("clicks.urls")),
    path("", ApiIndex.as_view(), name="api-index"),
    path("", include("players.urls")),
    path("", include("leaderboard.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "redoc",
        # Our template drops drf-spectacular's Google Fonts links, so the page works offline.
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("bot.urls")),
    # Last: the Mini App entry at MINI_APP_PATH, its Godot files and the light client.
    path("", include("miniapp.urls")),
]
