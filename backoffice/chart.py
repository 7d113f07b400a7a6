"""Clicks per day as bar chart geometry, drawn as inline SVG by the stats template.

Pure arithmetic: the template only places what is computed here, so no user text and no
JavaScript library is involved and nothing is fetched from a CDN.
"""

from dataclasses import dataclass
from datetime import date

CHART_WIDTH = 760
CHART_HEIGHT = 260
# Room for the value labels on the left and the day labels underneath.
MARGIN_LEFT = 64
MARGIN_BOTTOM = 28
MARGIN_TOP = 12
BAR_GAP = 2
# A day label under every Nth bar, so they never overlap.
DAY_LABEL_EVERY = 5


@dataclass(frozen=True)
class Bar:
    """One day's bar; coordinates are SVG user units, preformatted so no locale touches them."""

    day: date
    clicks: int
    x: str
    y: str
    width: str
    height: str
    label_x: str
    show_label: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: int
    plot_right: int
    max_clicks: int
    bars: list[Bar]

    @property
    def mid_y(self) -> str:
        return _num((self.plot_top + self.plot_bottom) / 2)

    @property
    def half_max(self) -> int:
        return self.max_clicks // 2


def _num(value: float) -> str:
    return f"{value:.1f}"


def bar_chart(
    points: list[tuple[date, int]], *, width: int = CHART_WIDTH, height: int = CHART_HEIGHT
) -> BarChart:
    """Lay out one bar per (day, clicks) point, scaled so the busiest day fills the height."""
    plot_left, plot_right = MARGIN_LEFT, width - 8
    plot_top, plot_bottom = MARGIN_TOP, height - MARGIN_BOTTOM
    plot_height = plot_bottom - plot_top
    max_clicks = max((clicks for _, clicks in points), default=0)
    slot = (plot_right - plot_left) / len(points) if points else 0.0
    bars = []
    for index, (day, clicks) in enumerate(points):
        bar_height = plot_height * clicks / max_clicks if max_clicks else 0.0
        # A day with clicks stays visible however small it is next to the busiest day.
        if clicks and bar_height < 1:
            bar_height = 1.0
        x = plot_left + index * slot + BAR_GAP / 2
        bars.append(
            Bar(
                day=day,
                clicks=clicks,
                x=_num(x),
                y=_num(plot_bottom - bar_height),
                width=_num(max(slot - BAR_GAP, 1.0)),
                height=_num(bar_height),
                label_x=_num(x + (slot - BAR_GAP) / 2),
                show_label=(len(points) - 1 - index) % DAY_LABEL_EVERY == 0,
            )
        )
    return BarChart(
        width=width,
        height=height,
        plot_left=plot_left,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        plot_right=plot_right,
        max_clicks=max_clicks,
        bars=bars,
    )
