"""Content negotiation that offers DRF's browsable API to staff only."""

from collections.abc import Sequence
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer
from rest_framework.request import Request


class StaffBrowsableNegotiation(DefaultContentNegotiation):
    """Players and anonymous callers always get JSON; signed-in staff may browse the API."""

    def select_renderer(
        self, request: Request, renderers: Sequence[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if not _is_staff(request):
            renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)]
        return super().select_renderer(request, renderers, format_suffix)


def _is_staff(request: Request) -> bool:
    # The session user set by Django's middleware: reading DRF's `request.user` here would run
    # authentication early and swallow its error code.
    user: Any = getattr(request._request, "user", None)
    return bool(getattr(user, "is_staff", False))
