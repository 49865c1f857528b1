"""The ``trends`` chart: a PNG of papers (and their votes) per week or month for each term.

Drawn with matplotlib's object API only (a :class:`~matplotlib.figure.Figure` on its own
:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`; pyplot and its global figures are
never used), in the current language (labels from the catalogue, dates by Babel). Korean terms
and labels are set in NanumGothic, the TTF that the ``koreanize-matplotlib`` package installs
(found by path, so no system font is assumed and that package's own pyplot set-up never runs),
registered once with ``font_manager.fontManager.addfont``; each text names the font itself, so
no global ``rcParams`` change. :func:`render_png` is plain blocking code: :func:`chart_png`
runs it in a worker thread (``asyncio.to_thread``, so the current language goes along) with a
timeout.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import importlib.util
import io
from pathlib import Path
from typing import Final

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.core.errors import ChartTimeout
from bot.core.research import TrendsAnswer
from bot.i18n.catalog import date_in, number, tr

#: The chart's size in pixels (inches x DPI), and the DPI.
WIDTH_PX: Final = 1000
HEIGHT_PX: Final = 600
DPI: Final = 100
#: Seconds the chart may take before the answer gives up on it.
TIMEOUT: Final = 10.0
#: One colour per term (colour-blind safe: Okabe-Ito).
COLOURS: Final = ("#0072B2", "#E69F00", "#009E73")
#: The Korean font's file in the koreanize-matplotlib package, and its family name.
FONT_FILE: Final = "NanumGothic.ttf"
FONT_FAMILY: Final = "NanumGothic"


def font_path() -> Path:
    """Where the installed koreanize-matplotlib package keeps NanumGothic (not imported)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the koreanize-matplotlib package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE


@functools.cache
def font_family() -> str:
    """Register the Korean font with matplotlib (once); its family name."""
    font_manager.fontManager.addfont(str(font_path()))
    return font_manager.FontProperties(fname=str(font_path())).get_name()


def _short_date(day: dt.date, bucket: str) -> str:
    return date_in(day, "chart.format.month" if bucket == "month" else "chart.format.week")


def render_png(answer: TrendsAnswer) -> bytes:
    """The chart of ``answer`` as PNG bytes (:data:`WIDTH_PX` x :data:`HEIGHT_PX`)."""
    family = font_family()
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    # Fixed margins: a layout engine measuring every label would double the drawing time.
    fig.subplots_adjust(left=0.085, right=0.985, top=0.93, bottom=0.075, hspace=0.08)
    papers_ax, votes_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    unit = tr("chart.unit.month") if answer.bucket == "month" else tr("chart.unit.week")
    starts = list(answer.starts)
    positions = range(len(starts))
    for index, trend in enumerate(answer.series):
        colour = COLOURS[index % len(COLOURS)]
        label = f"{trend.term} ({number(trend.papers)})"
        papers_ax.plot(
            positions,
            [p.papers for p in trend.points],
            color=colour,
            marker="o" if len(starts) <= 60 else None,
            markersize=3,
            linewidth=2,
            label=label,
        )
        votes_ax.plot(
            positions, [p.votes for p in trend.points], color=colour, linewidth=1.5, alpha=0.9
        )
    # Titles placed by hand (``y``): matplotlib would otherwise measure the axes to place them.
    papers_ax.set_title(
        tr("chart.title", terms=", ".join(answer.terms), unit=unit), fontfamily=family, y=1.0
    )
    votes_ax.set_title("", y=1.0)
    papers_ax.set_ylabel(tr("chart.papers", unit=unit), fontfamily=family)
    votes_ax.set_ylabel(tr("chart.votes"), fontfamily=family)
    papers_ax.legend(loc="best", prop=font_manager.FontProperties(family=family))
    for ax in (papers_ax, votes_ax):
        ax.grid(True, alpha=0.3)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.tick_params(labelfontfamily=family)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: number(int(y))))
    votes_ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
    votes_ax.xaxis.set_major_formatter(
        FuncFormatter(
            lambda x, _pos: (
                _short_date(starts[int(x)], answer.bucket)
                if 0 <= int(x) < len(starts) and x == int(x)
                else ""
            )
        )
    )
    if starts:
        votes_ax.set_xlim(-0.5, len(starts) - 0.5)
    out = io.BytesIO()
    # Light compression: a few kilobytes more, a good part of the encoding time less.
    fig.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return out.getvalue()


async def chart_png(answer: TrendsAnswer, *, seconds: float = TIMEOUT) -> bytes:
    """:func:`render_png` off the event loop; :class:`ChartTimeout` after ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            return await asyncio.to_thread(render_png, answer)
    except TimeoutError:
        raise ChartTimeout(seconds) from None
