"""The fence around the development tools: the dev sign-in and the dev superuser.

They exist only when all three hold:

- `DEBUG` is on (it defaults to off; `make run` turns it on);
- a development bot token is configured (`DEV_BOT_TOKEN`) and no real bot token is
  (`TELEGRAM_BOT_TOKEN` empty): dev initData is then signed with a token no production server
  accepts, and the real token is never used to sign anything;
- for requests, the client is on the loopback interface: its address after the trusted-proxy
  handling is 127.0.0.0/8 or ::1, and, when no proxy is trusted, the request carries no forwarding
  header (a tunnel or proxy on the same machine connects from loopback but says who it forwards).
"""

import ipaddress

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from core.middleware import PEER_ADDR_KEY

DEV_ADMIN_USERNAME = "admin"
DEV_ADMIN_PASSWORD = "admin"  # noqa: S105 (development only; usable from loopback only)

# Headers a forwarding proxy or tunnel adds; with TRUSTED_PROXY_COUNT=0 none may be present.
_FORWARDING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_FORWARDED",
    "HTTP_X_REAL_IP",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_TRUE_CLIENT_IP",
)


def dev_mode_refusal() -> str | None:
    """Why the dev tools are off in this configuration, or None when they are on."""
    if not settings.DEBUG:
        return "Development tools exist only with DEBUG on."
    if not settings.DEV_BOT_TOKEN:
        return "Development tools need DEV_BOT_TOKEN (make run sets one)."
    if settings.TELEGRAM_BOT_TOKEN:
        return (
            "Development tools are off while TELEGRAM_BOT_TOKEN is set: "
            "nothing is ever signed with a real bot's token."
        )
    return None


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_loopback_request(request: HttpRequest) -> bool:
    """True when the client (after TrustedProxyMiddleware) is this machine, not forwarded.

    The connection's own peer must be loopback too, so a forged X-Forwarded-For sent straight to
    a server that believes one proxy hop does not pass.
    """
    client = request.META.get("REMOTE_ADDR", "")
    peer = request.META.get(PEER_ADDR_KEY, client)
    if not (_is_loopback(client) and _is_loopback(peer)):
        return False
    if settings.TRUSTED_PROXY_COUNT <= 0:
        return not any(request.META.get(header) for header in _FORWARDING_HEADERS)
    return True


def dev_request_refusal(request: HttpRequest) -> str | None:
    """Why this request may not use the dev tools, or None when it may."""
    refusal = dev_mode_refusal()
    if refusal:
        return refusal
    if not is_loopback_request(request):
        return "Development tools answer loopback clients only."
    return None


class DevAdminFencedBackend(ModelBackend):
    """Django's model backend, except that the dev superuser's known password works only
    inside the dev fence (DEBUG, dev token, loopback client)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> AbstractBaseUser | None:
        """Authenticate as usual; refuse admin/admin outside the dev fence."""
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or password != DEV_ADMIN_PASSWORD:
            return user
        if request is None or dev_request_refusal(request) is not None:
            return None
        return user
