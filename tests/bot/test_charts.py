"""The trends chart (bot/i18n/charts.py): Korean renders with the packaged font, never a
missing glyph; the PNG is the promised size; drawing is off the event loop, with a timeout."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import threading
import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.core.errors import ChartTimeout
from bot.core.research import TrendsAnswer, bucket_starts
from bot.i18n import charts
from bot.i18n.catalog import use_locale
from storage.models import TermTrend, TrendPoint

START = dt.date(2025, 1, 6)


def answer(*terms: str, weeks: int = 12) -> TrendsAnswer:
    starts = bucket_starts(START, START + dt.timedelta(weeks=weeks - 1), "week")
    series = tuple(
        TermTrend(
            term, tuple(TrendPoint(s, (i * (n + 2)) % 7, i * 10) for i, s in enumerate(starts))
        )
        for n, term in enumerate(terms)
    )
    return TrendsAnswer(terms, "quarter", starts[0], starts[-1], "week", starts, series)


def test_korean_terms_and_labels_render_without_missing_glyphs() -> None:
    """Korean terms, title and axis labels in Korean: any "Glyph ... missing" warning fails."""
    with use_locale("ko"), warnings.catch_warnings():
        warnings.simplefilter("error")
        png = charts.render_png(answer("확산 모델", "에이전트", "LLM"))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20


def test_the_warning_check_would_catch_a_font_without_hangul() -> None:
    """The same check fails for Hangul drawn in matplotlib's default font: the test above
    would notice a chart that lost its Korean font."""
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.suptitle("확산 모델", fontfamily="DejaVu Sans")
    with warnings.catch_warnings(), pytest.raises(UserWarning, match=r"[Gg]lyph"):
        warnings.simplefilter("error")
        figure.savefig(io.BytesIO(), format="png")


def test_font_comes_from_the_installed_package() -> None:
    """The Korean font is a file of the koreanize-matplotlib package, not a system font."""
    path = charts.font_path()
    assert path.is_file() and "koreanize_matplotlib" in path.parts
    assert charts.font_family() == "NanumGothic"


async def test_chart_is_drawn_off_the_event_loop() -> None:
    """chart_png draws in a worker thread, so the loop keeps serving meanwhile."""
    seen: list[str] = []
    real = charts.render_png

    def spy(a: TrendsAnswer) -> bytes:
        seen.append(threading.current_thread().name)
        return real(a)

    charts.render_png = spy  # type: ignore[assignment]
    try:
        png = await charts.chart_png(answer("diffusion"))
    finally:
        charts.render_png = real  # type: ignore[assignment]
    assert png.startswith(b"\x89PNG") and seen and seen[0] != threading.main_thread().name


async def test_a_slow_chart_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A drawing that takes longer than the timeout is a ChartTimeout (a clear message)."""
    gate = threading.Event()

    def slow(a: TrendsAnswer) -> bytes:
        gate.wait(5)
        return b""

    monkeypatch.setattr(charts, "render_png", slow)
    try:
        with pytest.raises(ChartTimeout):
            await charts.chart_png(answer("x"), seconds=0.05)
    finally:
        gate.set()
    await asyncio.sleep(0)
