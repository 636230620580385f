"""The house style of yrdsim's figures: colours, fonts, the figure and its saving (PNG and PDF).

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas (never pyplot's
global figure manager) and styled through :func:`matplotlib.rc_context`, so the caller's
``rcParams`` are left untouched.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.runs.atomic import write_atomic

if TYPE_CHECKING:
    pass

# Select the non-interactive backend only when nobody has chosen one yet: switching backends after
# pyplot has been imported would close the caller's figures, and MPLBACKEND is an explicit choice.
# (None of the imports above loads pyplot.) The figures below never use pyplot anyway: they are
# drawn on an Agg canvas attached explicitly, so they render identically under any backend.
if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")



PNG_DPI = 200


BASE_FONT_SIZE = 9.0


#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}


#: Province colours (Okabe-Ito), used wherever colour encodes the province.
PROVINCE_COLORS = {
    "Shanghai": OKABE_ITO["vermillion"],
    "Jiangsu": OKABE_ITO["blue"],
    "Zhejiang": OKABE_ITO["green"],
    "Anhui": OKABE_ITO["orange"],
}


OTHER_PROVINCE_COLOR = "#999999"


#: Short province codes used to shorten names such as "Suzhou (Jiangsu)" on the map.
PROVINCE_ABBREVIATIONS = {"Shanghai": "SH", "Jiangsu": "JS", "Zhejiang": "ZJ", "Anhui": "AH"}


#: Diverging ColorBrewer map (colour-blind safe): red = decline, blue = growth.
DIVERGING_CMAP = "RdBu"


LINE_COLOR = OKABE_ITO["blue"]


REFERENCE_COLOR = OKABE_ITO["vermillion"]


NO_DATA_COLOR = "#d9d9d9"


NO_DATA_HATCH = "////"


_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": BASE_FONT_SIZE,
    "axes.titlesize": BASE_FONT_SIZE + 0.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": BASE_FONT_SIZE,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "xtick.labelsize": BASE_FONT_SIZE,
    "ytick.labelsize": BASE_FONT_SIZE,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "legend.fontsize": BASE_FONT_SIZE,
    "legend.frameon": False,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.5,
    "lines.linewidth": 1.5,
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    # Embed TrueType (Type 42) fonts: editable text and accepted by journal submission systems.
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "axes.formatter.use_mathtext": False,
    "axes.unicode_minus": True,
}


_F = TypeVar("_F", bound=Callable[..., Any])


def styled(func: _F) -> _F:
    """Run ``func`` inside the module's ``rc_context`` (creation and saving both need it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(_STYLE):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_figure(figsize: tuple[float, float]) -> Figure:
    """Create a pyplot-free figure with an Agg canvas and constrained layout."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


_PAD_INCHES = 0.05


def finish_panel_grid(axes: np.ndarray, n: int, xlabel: str = "Year") -> None:
    """Hide the unused panels of a grid and label the x axis under each column.

    Args:
        axes: ``(rows, cols)`` axes, filled row by row with ``n`` panels.
        n: Number of panels in use.
        xlabel: Label under the lowest used panel of each column.
    """
    nrows, ncols = axes.shape
    for k in range(n, nrows * ncols):
        axes.flat[k].set_axis_off()
    for col in range(ncols):
        used = [r for r in range(nrows) if r * ncols + col < n]
        if used:
            axes[used[-1], col].set_xlabel(xlabel)


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.pdf`` and release it.

    Args:
        fig: Figure to save (built with :class:`~matplotlib.figure.Figure`, not pyplot).
        stem: Output path without suffix; its parent directory is created if needed.

    Returns:
        The written PNG and PDF paths.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        # Lay the figure out and measure its tight bounding box once for both files: with
        # bbox_inches="tight" and a layout engine, every savefig would lay out and draw the
        # figure twice (half of the figures' time, see docs/PERFORMANCE.md).
        renderer = fig.canvas.get_renderer()
        engine = fig.get_layout_engine()
        if engine is not None:
            engine.execute(fig)  # a no-op for the placeholder engine of layout "none"
            # No engine at all (not "none", whose placeholder still makes savefig draw twice).
            with matplotlib.rc_context(
                {"figure.autolayout": False, "figure.constrained_layout.use": False}
            ):
                fig.set_layout_engine(None)
        bbox = fig.get_tightbbox(renderer).padded(_PAD_INCHES)
        for suffix, metadata in ((".png", {"Software": None}), (".pdf", {"CreationDate": None})):
            path = stem.with_name(stem.name + suffix)

            def draw(target: Path, fmt: str = suffix[1:], meta: dict = metadata) -> None:
                fig.savefig(target, format=fmt, dpi=PNG_DPI, bbox_inches=bbox, metadata=meta)

            written.append(write_atomic(path, draw))
    finally:
        # The figure is not known to pyplot; clearing it breaks reference cycles early.
        fig.clear()
    return written


def year_span(first: int, last: int) -> str:
    """``"2020\u20132035"``: a span of years as shown in titles."""
    return f"{first}\u2013{last}" if first != last else f"{first}"


def year_locator(first: int, last: int) -> ticker.Locator:
    """Year ticks at a round step (1, 2, 5, 10, ...) giving at most about five labels."""
    span = max(last - first, 1)
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if span / s <= 5), 100)
    return ticker.MultipleLocator(step)


def panel_no_data(ax: Axes) -> None:
    """Mark a panel that has no data to draw."""
    ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", va="center", color="#666666")
    ax.set_yticks([])


def plain_formatter() -> ticker.ScalarFormatter:
    """Tick labels with a common number of decimals, no offset and no scientific notation."""
    fmt = ticker.ScalarFormatter(useOffset=False)
    fmt.set_scientific(False)
    return fmt
