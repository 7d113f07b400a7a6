"""Dev sign-in: correctly signed initData for a made-up user, inside the dev fence only.

A plain browser or the Godot editor has no Telegram to sign initData, so this page signs it with
`DEV_BOT_TOKEN`, never with `TELEGRAM_BOT_TOKEN`. Authentication then runs exactly as in
production (with no real token set, the server validates with the dev token). The routes answer
404 unless DEBUG is on, a dev token is set, no real token is, and the client is on loopback
(`core.devtools`).
"""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.devtools import dev_mode_refusal, dev_request_refusal
from telegram_auth.initdata import build_init_data

MAX_DEV_NAME_LENGTH = 64


def dev_user(name: str) -> dict[str, Any]:
    """A stable fake Telegram user for a dev name: the same name is always the same user."""
    digest = hashlib.sha256(name.encode()).digest()
    telegram_id = 10**9 + int.from_bytes(digest[:6], "big") % (9 * 10**9)
    return {
        "id": telegram_id,
        "first_name": name,
        "username": "",
        "language_code": "en",
        "allows_write_to_pm": True,
    }


def dev_init_data(name: str) -> str:
    """initData for the dev user called `name`, signed with the development bot token.

    Raises RuntimeError outside dev mode, so no caller can make it sign with a real token.
    """
    refusal = dev_mode_refusal()
    if refusal:
        raise RuntimeError(refusal)
    return build_init_data(dev_user(name), settings.DEV_BOT_TOKEN)


def _require_dev_fence(request: HttpRequest) -> None:
    refusal = dev_request_refusal(request)
    if refusal:
        raise Http404(refusal)


def _clean_name(raw: object) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    return name[:MAX_DEV_NAME_LENGTH]


@require_http_methods(["GET", "POST"])
def dev_signin_page(request: HttpRequest) -> HttpResponse:
    """A form: type a dev user name, get signed initData and a link that plays as that user."""
    _require_dev_fence(request)
    name = _clean_name(request.POST.get("name") if request.method == "POST" else "")
    context: dict[str, Any] = {"name": name, "mini_app_path": settings.MINI_APP_PATH}
    if name:
        context["init_data"] = dev_init_data(name)
        context["user"] = dev_user(name)
    return render(request, "miniapp/dev_signin.html", context)


@csrf_exempt
@require_http_methods(["POST"])
def dev_init_data_api(request: HttpRequest) -> JsonResponse:
    """JSON for tools and the Godot editor: `{"name": ...}` gives `{"init_data": ...}`."""
    _require_dev_fence(request)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return JsonResponse({"error": "malformed_json", "detail": "Body is not JSON."}, status=400)
    name = _clean_name(body.get("name") if isinstance(body, dict) else None)
    if not name:
        return JsonResponse(
            {"error": "required", "detail": "name: a dev user name is required."}, status=400
        )
    user = dev_user(name)
    return JsonResponse({"init_data": dev_init_data(name), "telegram_id": user["id"]})
