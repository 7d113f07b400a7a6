"""The Mini App pages: the entry at MINI_APP_PATH, the Godot build's files and the light client.

Telegram Web shows a Mini App in an iframe, so these pages (unlike the rest of the site, which
sends `X-Frame-Options: DENY`) may be framed by Telegram's origins and by the site itself.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from core.devtools import dev_mode_refusal
from leaderboard.selectors import BOARD_POLL_MIN_MS
from miniapp import godot
from players import rules

FRAME_ANCESTORS = "frame-ancestors https://web.telegram.org https://*.telegram.org 'self'"

View = Callable[..., HttpResponseBase]


def telegram_embeddable(view: View) -> View:
    """Let Telegram (and only Telegram and this site) show the page in a frame."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = FRAME_ANCESTORS
        return response

    return xframe_options_exempt(wrapped)


def light_client_config() -> dict[str, Any]:
    """What the light client's JavaScript needs to know, rendered into the page as JSON."""
    return {
        "apiBase": reverse("api-index"),
        "debug": settings.DEBUG,
        "devSigninUrl": reverse("dev-signin") if dev_mode_refusal() is None else "",
        "botUrl": f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}",
        "nameMinLength": rules.MIN_LENGTH,
        "nameMaxLength": rules.MAX_LENGTH,
        # The shortest leaderboard refresh; answers ask for longer ones (`poll_interval_ms`).
        "boardRefreshMs": BOARD_POLL_MIN_MS,
    }


def _render_light_client(request: HttpRequest) -> HttpResponse:
    response = render(request, "miniapp/light_client.html", {"config": light_client_config()})
    response["Cache-Control"] = godot.CACHE_ENTRY
    return response


def _serve_build_file(request: HttpRequest, build_file: godot.BuildFile) -> HttpResponseBase:
    stat = build_file.path.stat()
    coding = f"-{build_file.encoding}" if build_file.encoding else ""
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}{coding}"'
    response = get_conditional_response(request, etag=etag, last_modified=int(stat.st_mtime))
    if response is None:
        response = FileResponse(
            build_file.path.open("rb"),
            content_type=build_file.content_type,
            filename=build_file.name,
        )
        if build_file.encoding:
            response["Content-Encoding"] = build_file.encoding
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stat.st_mtime)
    response["Cache-Control"] = build_file.cache_control
    if build_file.compressible:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _godot_file(request: HttpRequest, name: str) -> HttpResponseBase:
    build_file = godot.find_build_file(
        name=name, accept_encoding=request.headers.get("Accept-Encoding", "")
    )
    if build_file is None:
        raise Http404("No such file in the Godot web build.")
    return _serve_build_file(request, build_file)


@telegram_embeddable
@require_safe
def mini_app_entry(request: HttpRequest) -> HttpResponseBase:
    """The Mini App at MINI_APP_PATH: the Godot web build when exported, else the light client."""
    if godot.has_build():
        return _godot_file(request, godot.ENTRY_FILE)
    return _render_light_client(request)


@telegram_embeddable
@require_safe
def godot_build_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """One file of the Godot web build, next to the entry page (`index.wasm`, `index.pck`...)."""
    return _godot_file(request, name)


@telegram_embeddable
@require_safe
def light_client(request: HttpRequest) -> HttpResponse:
    """The light web client, always at its fixed path whether or not a Godot build exists."""
    return _render_light_client(request)
