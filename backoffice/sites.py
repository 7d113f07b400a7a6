"""The backoffice admin site: staff only, throttled sign-in, and the global stats page.

It is installed as Django's default site (`BackofficeAdminConfig.default_site`), so `admin.site`
and every `@admin.register` use it.
"""

import logging
import time
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from backoffice.chart import bar_chart
from backoffice.reports import recalculation_summary
from backoffice.selectors import CHART_DAYS, dashboard
from core.errors import DomainError
from leaderboard.models import GlobalStats
from leaderboard.services import leaderboard_recalculate
from players.models import Player

logger = logging.getLogger(__name__)

# Staff may run the leaderboard recalculation only with this permission (superusers have all).
RECALCULATE_PERMISSION = "backoffice.recalculate_leaderboard"
# Sign-in attempts (POSTs) allowed per client IP and, separately, per username.
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW_SECONDS = 5 * 60
LOGIN_RATE = f"{LOGIN_ATTEMPTS}/{LOGIN_WINDOW_SECONDS}s"

# Where attempts are counted while the shared cache (Redis) is down: this process's memory.
_local_attempts = LocMemCache("backoffice-login-attempts", {"MAX_ENTRIES": 10_000})


def _username_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("username", "").strip().casefold()[:150]


def _local_wait(group: str, key: str) -> int | None:
    """Count an attempt in local memory (fixed windows); seconds to wait once it is spent."""
    now = time.time()
    window_start = int(now // LOGIN_WINDOW_SECONDS) * LOGIN_WINDOW_SECONDS
    cache_key = f"{group}:{key}:{window_start}"
    _local_attempts.add(cache_key, 0, timeout=LOGIN_WINDOW_SECONDS)
    if _local_attempts.incr(cache_key) <= LOGIN_ATTEMPTS:
        return None
    return max(1, int(window_start + LOGIN_WINDOW_SECONDS - now))


def login_retry_after(request: HttpRequest) -> int | None:
    """Count one sign-in attempt by IP and by username; seconds to wait once either is spent.

    With the shared cache down, staff can still sign in: attempts are then counted in this
    process's memory, and the log says so.
    """
    waits = []
    for group, key in (("backoffice_login_ip", "ip"), ("backoffice_login_user", _username_key)):
        try:
            usage = get_usage(
                request, group=group, key=key, rate=LOGIN_RATE, method="POST", increment=True
            )
        except (ConnectionInterrupted, RedisError) as exc:
            logger.warning(
                "Sign-in throttle: the cache is unreachable (%s); counting attempts in this "
                "process's memory until it is back.",
                exc,
            )
            by_ip = key == "ip"
            local_key = (
                request.META.get("REMOTE_ADDR", "") if by_ip else _username_key(group, request)
            )
            wait = _local_wait(group, local_key)
            usage = None if wait is None else {"should_limit": True, "time_left": wait}
        if usage is not None and usage["should_limit"]:
            waits.append(max(1, int(usage["time_left"])))
    return max(waits) if waits else None


class BackofficeSite(admin.AdminSite):
    """Django admin for the people running the game."""

    site_header = "clickgame backoffice"
    site_title = "clickgame backoffice"
    index_title = "Backoffice"
    index_template = "backoffice/index.html"
    # The index lists every model already; without the sidebar the players list fits 1366 px.
    enable_nav_sidebar = False

    def get_urls(self) -> list[URLPattern]:
        return [
            path("stats/", self.admin_view(self.stats_view), name="stats"),
            path(
                "stats/recalculate/",
                self.admin_view(self.recalculate_view),
                name="stats_recalculate",
            ),
            *super().get_urls(),
        ]

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The sign-in page; too many attempts from one IP or for one username get 429."""
        if request.method == "POST":
            retry_after = login_retry_after(request)
            if retry_after is not None:
                response = TemplateResponse(
                    request,
                    "backoffice/login_throttled.html",
                    {**self.each_context(request), "title": "Too many sign-in attempts"},
                    status=429,
                )
                response["Retry-After"] = str(retry_after)
                return response
        return super().login(request, extra_context)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The apps and models, without the stored global stats row: the index's one "Global
        stats" entry is the link to the stats page, which shows those numbers and more."""
        apps = []
        for app in super().get_app_list(request, app_label):
            models = [model for model in app["models"] if model["model"] is not GlobalStats]
            if models:
                apps.append({**app, "models": models})
        return apps

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {**(extra_context or {}), "names_to_review": self._names_to_review(request)}
        return super().index(request, context)

    def _names_to_review(self, request: HttpRequest) -> int | None:
        user = request.user
        if not (
            user.has_perm("backoffice.view_namereview")
            or user.has_perm("backoffice.change_namereview")
        ):
            return None
        return Player.objects.names_to_review().count()

    @method_decorator(require_GET)
    def stats_view(self, request: HttpRequest) -> HttpResponse:
        """The global stats page: totals, activity, the top 10 and clicks per day."""
        request.current_app = self.name
        numbers = dashboard()
        context = {
            **self.each_context(request),
            "title": "Global stats",
            "stats": numbers,
            "chart": bar_chart(numbers.clicks_per_day),
            "chart_days": CHART_DAYS,
            "can_recalculate": request.user.has_perm(RECALCULATE_PERMISSION),
        }
        return TemplateResponse(request, "backoffice/stats.html", context)

    @method_decorator(require_POST)
    def recalculate_view(self, request: HttpRequest) -> HttpResponse:
        """Run the leaderboard recalculation (or only measure the drift) and report it.

        Needs the `backoffice.recalculate_leaderboard` permission, not only staff status.
        """
        if not request.user.has_perm(RECALCULATE_PERMISSION):
            raise PermissionDenied
        stats_url = reverse("admin:stats", current_app=self.name)
        dry_run = request.POST.get("mode") == "check"
        try:
            report = leaderboard_recalculate(dry_run=dry_run)
        except DomainError as exc:
            messages.error(request, f"The leaderboard recalculation did not run: {exc.detail}")
            return HttpResponseRedirect(stats_url)
        summary = recalculation_summary(report)
        LogEntry.objects.create(
            user_id=request.user.pk,
            content_type=ContentType.objects.get_for_model(GlobalStats),
            object_repr="leaderboard",
            action_flag=CHANGE,
            change_message=summary,
        )
        messages.success(request, summary)
        return HttpResponseRedirect(stats_url)
