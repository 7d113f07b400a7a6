"""Content negotiation for JSON-only endpoints on the hot path."""

from collections.abc import Sequence
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class SingleRendererNegotiation(DefaultContentNegotiation):
    """A view with one renderer answers in its media type, whatever `Accept` asks.

    RFC 9110 lets a server send its only representation rather than 406 Not Acceptable. Reading
    `Accept` on every request (DRF's default) cost the click sync about as much CPU as DRF's
    authentication and permission steps together. Views with more renderers (the browsable API)
    negotiate as usual; parsers are picked as usual.
    """

    def select_renderer(
        self,
        request: Request,
        renderers: Sequence[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[Any, str]:
        if len(renderers) == 1 and format_suffix is None:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
