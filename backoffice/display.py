"""How player-chosen text is shown in the backoffice: always escaped and isolated.

Game names are hostile input (`<script>`, quotes, RTL overrides such as U+202E, 20 letters with
no space). They are escaped by `format_html` and wrapped in `<bdi class="cg-name">` so that
their direction cannot spill into the page and long words wrap (see backoffice.css).
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString

EMPTY = "—"


def name_html(name: str | None) -> SafeString:
    """A game name as escaped, direction-isolated HTML; a dash when there is none."""
    if not name:
        return format_html('<span class="cg-muted">{}</span>', EMPTY)
    return format_html('<bdi class="cg-name">{}</bdi>', name)


def isolate(text: str) -> str:
    """Plain text wrapped in Unicode isolates (FSI ... PDI): the `<bdi>` of the admin log."""
    return f"\u2068{text}\u2069"


def number_text(number: int) -> str:
    """A count with thousands separators, as the game shows it (`1,080`)."""
    return f"{number:,}"


def share_text(percent: float) -> str:
    """A share of all clicks (in percent) with enough digits to tell small players apart."""
    if percent == 0 or percent >= 0.01:
        return f"{percent:.2f}%"
    return f"{percent:.6f}%"
