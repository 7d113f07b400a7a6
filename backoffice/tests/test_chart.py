"""Bar chart geometry for the clicks-per-day SVG."""

import itertools
from datetime import date, timedelta

from backoffice.chart import DAY_LABEL_EVERY, bar_chart


def _days(values: list[int]) -> list[tuple[date, int]]:
    start = date(2026, 1, 1)
    return [(start + timedelta(days=n), value) for n, value in enumerate(values)]


def test_busiest_day_fills_the_plot_and_others_scale_with_it() -> None:
    chart = bar_chart(_days([0, 50, 100]))
    heights = [float(bar.height) for bar in chart.bars]
    plot = chart.plot_bottom - chart.plot_top
    assert heights == [0.0, plot / 2, plot]
    assert [float(bar.y) + float(bar.height) for bar in chart.bars] == [chart.plot_bottom] * 3
    assert chart.max_clicks == 100


def test_bars_sit_side_by_side_inside_the_plot() -> None:
    chart = bar_chart(_days([1] * 30))
    xs = [float(bar.x) for bar in chart.bars]
    assert xs == sorted(xs)
    assert xs[0] >= chart.plot_left
    assert float(chart.bars[-1].x) + float(chart.bars[-1].width) <= chart.plot_right


def test_a_tiny_day_next_to_a_huge_one_stays_visible() -> None:
    chart = bar_chart(_days([1, 10_000_000]))
    assert float(chart.bars[0].height) == 1.0


def test_no_clicks_at_all_draws_flat_bars() -> None:
    chart = bar_chart(_days([0] * 30))
    assert chart.max_clicks == 0
    assert {bar.height for bar in chart.bars} == {"0.0"}


def test_no_days_draws_an_empty_chart() -> None:
    assert bar_chart([]).bars == []


def test_day_labels_are_spaced_and_today_always_has_one() -> None:
    chart = bar_chart(_days([1] * 30))
    labelled = [n for n, bar in enumerate(chart.bars) if bar.show_label]
    assert labelled[-1] == 29
    assert all(b - a == DAY_LABEL_EVERY for a, b in itertools.pairwise(labelled))


def test_coordinates_are_plain_decimals_whatever_the_locale() -> None:
    chart = bar_chart(_days([3, 7]))
    for bar in chart.bars:
        for value in (bar.x, bar.y, bar.width, bar.height, bar.label_x):
            float(value)
            assert "," not in value
