"""The house style of yrdsim's figures: colours, fonts, the figure and its saving (PNG and PDF).

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas (never pyplot's
global figure manager) and styled through :func:`matplotlib.rc_context`, so the caller's
``rcParams`` are left untouched.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from agents.base import gc_paused
from sim.runs.atomic import write_atomic
from sim.runs.datapackage import current_figure_stamp
from sim.runs.provenance import git_commit, package_version

# Select the non-interactive backend only when nobody has chosen one yet: switching backends after
# pyplot has been imported would close the caller's figures, and MPLBACKEND is an explicit choice.
# (None of the imports above loads pyplot.) The figures below never use pyplot anyway: they are
# drawn on an Agg canvas attached explicitly, so they render identically under any backend.
if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")


#: Resolution of the PNG files (the PDF files are vector graphics).
PNG_DPI = 200
#: zlib level of the PNG files: 3 writes them in half the time of the default 6, ~10 % larger.
PNG_COMPRESSION = 3

#: Figure widths (inches) of a journal's single column (89 mm) and full page width (183 mm).
ONE_COLUMN = 3.5
TWO_COLUMN = 7.2

#: Body text of every figure (pt at print size); tick labels and map labels are 1 pt smaller.
BASE_FONT_SIZE = 8.0
SMALL_FONT_SIZE = BASE_FONT_SIZE - 1.0


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

#: Fill of map cells whose difference is not significant (95 % interval includes 0).
NOT_SIGNIFICANT_COLOR = "#dcdcdc"


LINE_COLOR = OKABE_ITO["blue"]


REFERENCE_COLOR = OKABE_ITO["vermillion"]


NO_DATA_COLOR = "#d9d9d9"


NO_DATA_HATCH = "////"


#: The family of the compact copy of DejaVu Sans the figures use (see :func:`text_font`).
TEXT_FONT = "yrdsim Sans"
#: The characters the compact font holds: Latin-1, Latin Extended-A, and the punctuation,
#: arrows and mathematical signs the figures use. Any other character falls back to the full
#: DejaVu Sans (embedded only in a PDF that uses it).
_TEXT_FONT_CHARS = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x180))
    + [ord(c) for c in "\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022\u2030\u20ac"]
    + [ord(c) for c in "\u2190\u2191\u2192\u2193\u2212\u2264\u2265\u2248\u2260\u221e"]
    + [ord(c) for c in "\u03b1\u03b2\u03b3\u03b4\u03bc\u03c3\u0394\u03a3\u00b2\u00b3"]
)


def _font_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "yrdsim" / "fonts"


@functools.cache
def text_font() -> list[str]:
    """The font families of the figures' text: the compact font, then full DejaVu Sans.

    Every PDF embeds the glyphs it uses (TrueType, Type 42), and cutting them out of the full
    DejaVu Sans (6,000 glyphs) took a third of the time of drawing a run's figures. The same
    glyphs are therefore first copied, once per machine, into a small font (``yrdsim Sans``,
    ~450 glyphs, renamed as the DejaVu/Bitstream Vera licence asks of a modified copy) in
    ``~/.cache/yrdsim/fonts``; text looks the same. If the copy cannot be made, the full font
    is used.
    """
    from matplotlib import font_manager

    path = _font_cache_dir() / "yrdsim-sans-4.ttf"
    try:
        if not path.is_file():
            _make_text_font(Path(font_manager.findfont("DejaVu Sans")), path)
        font_manager.fontManager.addfont(str(path))
    except (OSError, ValueError, RuntimeError, ImportError):
        return ["DejaVu Sans"]
    return [TEXT_FONT, "DejaVu Sans"]


def _make_text_font(source: Path, target: Path) -> None:
    """Copy the glyphs of :data:`_TEXT_FONT_CHARS` from ``source`` into ``target``, renamed."""
    from fontTools import subset

    # No OpenType layout tables (GSUB/GPOS, unused by matplotlib, which kerns with the 'kern'
    # table): the smaller the font, the faster every PDF embeds it. Hinting and 'kern' are kept,
    # so text renders pixel for pixel as with DejaVu Sans (tests/figures/test_style.py).
    options = subset.Options(
        glyph_names=True,
        layout_features=[],
        name_IDs=["*"],
        name_languages=["*"],
        notdef_outline=True,
        recommended_glyphs=True,
        hinting=True,
        legacy_kern=True,  # keep 'kern': matplotlib kerns with it
    )
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "MATH"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_TEXT_FONT_CHARS)
    subsetter.subset(font)
    names = {1: TEXT_FONT, 3: f"{TEXT_FONT} 1", 4: TEXT_FONT, 6: "yrdsimSans", 16: TEXT_FONT}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    font.save(str(partial))
    partial.replace(target)  # atomic: a concurrent process sees the whole font or none


_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": BASE_FONT_SIZE,
    "axes.titlesize": BASE_FONT_SIZE,
    # Regular weight: one font file embedded per PDF rather than two (and half the time).
    "axes.titleweight": "normal",
    "axes.titlelocation": "left",
    # Titles sit just above the axes (no figure puts tick labels on top): a fixed place spares
    # matplotlib from measuring every axes' top decorations at each layout and draw.
    "axes.titley": 1.0,
    "axes.labelsize": BASE_FONT_SIZE,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "xtick.labelsize": SMALL_FONT_SIZE,
    "ytick.labelsize": SMALL_FONT_SIZE,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "legend.fontsize": SMALL_FONT_SIZE,
    "legend.title_fontsize": BASE_FONT_SIZE,
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
    """Run ``func`` inside the module's ``rc_context`` (creation and saving both need it).

    The cyclic garbage collector is paused meanwhile: drawing makes many short-lived objects,
    and each full collection it triggered visited every object of the process (~0.4 s after
    a run, a fifth of drawing its figures). The figures' garbage is collected afterwards.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with gc_paused(), matplotlib.rc_context({**_STYLE, "font.family": text_font()}):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_figure(figsize: tuple[float, float], layout: str | None = "constrained") -> Figure:
    """Create a pyplot-free figure with an Agg canvas and (by default) constrained layout.

    ``layout=None``: no layout engine; the caller places the axes (e.g. :func:`fit_panel_grid`).
    """
    # At the PNG's resolution, the layout and the PNG share one Agg renderer and so its cache of
    # text extents (at 100 dpi every text was measured again for the PNG).
    fig = Figure(figsize=figsize, dpi=PNG_DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


_PAD_INCHES = 0.05


def finish_panel_grid(axes: np.ndarray, n: int, xlabel: str = "Year") -> None:
    """Hide the unused panels of a grid; year ticks and label only under each column.

    The panels share their x axis (the years), so only the lowest used panel of a column
    labels it; the others keep their ticks without labels (less to read, and to draw).

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
            for row in used[:-1]:
                axes[row, col].tick_params(axis="x", labelbottom=False)


def fit_panel_grid(
    fig: Figure,
    axes: np.ndarray,
    n: int,
    *,
    pad: float = 0.06,
    wgap: float = 0.22,
    hgap: float = 0.12,
) -> None:
    """Place a grid of equal panels so that their decorations fit, measuring them once.

    Constrained layout measures every panel's ticks, labels and title twice per layout (a
    third of a run's time series figure). The panels' decorations do not depend on their size
    here (fixed tick locators), so one measurement places them: each column is as wide as
    its widest left and right decorations need, each row as its title and its x tick labels.

    Args:
        fig: A figure without layout engine (``new_figure(..., layout=None)``).
        axes: ``(rows, cols)`` axes, the first ``n`` (row by row) in use, the others off.
        n: Number of panels in use.
        pad: Margin around the whole grid (inches).
        wgap: Space between the decorations of neighbouring columns (inches).
        hgap: Space between the decorations of neighbouring rows (inches).
    """
    nrows, ncols = axes.shape
    renderer = fig.canvas.get_renderer()
    dpi = fig.dpi
    left, right = np.zeros(ncols), np.zeros(ncols)
    bottom, top = np.zeros(nrows), np.zeros(nrows)
    for k in range(n):
        row, col = divmod(k, ncols)
        ax = axes[row, col]
        box = ax.get_window_extent(renderer)
        tight = ax.get_tightbbox(renderer, for_layout_only=True)
        if tight is None:
            continue
        left[col] = max(left[col], (box.x0 - tight.x0) / dpi)
        right[col] = max(right[col], (tight.x1 - box.x1) / dpi)
        bottom[row] = max(bottom[row], (box.y0 - tight.y0) / dpi)
        top[row] = max(top[row], (tight.y1 - box.y1) / dpi)
    width, height = fig.get_size_inches()
    panel_w = (width - 2 * pad - left.sum() - right.sum() - (ncols - 1) * wgap) / ncols
    panel_h = (height - 2 * pad - bottom.sum() - top.sum() - (nrows - 1) * hgap) / nrows
    if panel_w <= 0 or panel_h <= 0:
        raise ValueError(f"figure of {width:g} x {height:g} in too small for {n} panels")
    for k in range(nrows * ncols):
        row, col = divmod(k, ncols)
        x0 = pad + left[: col + 1].sum() + right[:col].sum() + col * (panel_w + wgap)
        y1 = height - pad - top[: row + 1].sum() - bottom[:row].sum() - row * (panel_h + hgap)
        axes[row, col].set_position(
            [x0 / width, (y1 - panel_h) / height, panel_w / width, panel_h / height]
        )
    # Placed: the figure fills its canvas as it is (the placeholder engine tells save_figure
    # so, sparing it the tight bounding box).
    fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=True, colorbar_gridspec=True))


@functools.cache
def _code_stamp() -> dict[str, Any]:
    """Package, version and commit of the code drawing (looked up once per process)."""
    return {
        "package": "yrdsim",
        "version": package_version("yrdsim"),
        "git_commit": git_commit(Path(__file__).resolve().parent),
    }


#: The stamp's entries every figure names in its PDF keywords and PNG comment (plural forms:
#: figures drawn from several runs).
STAMP_FIELDS = (
    "scenario",
    "seed",
    "seeds",
    "sample_seed",
    "config_hash",
    "config_hashes",
    "version",
    "git_commit",
)


def figure_metadata(stem: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """PNG and PDF metadata of a figure: its name and the provenance of what it shows.

    The provenance is the stamp of the tables being drawn (config hash(es), seed(s), version,
    commit; set by :func:`sim.runs.datapackage.figure_stamp`), else the code's version and
    commit. PNG: ``Title``, ``Software``, ``Source`` (commit), ``Description`` (the stamp as
    JSON) and ``Comment`` (its main entries as ``key=value``) text chunks; PDF: ``Title``,
    ``Creator``, ``Subject`` (the stamp as JSON) and ``Keywords`` (as the PNG's comment). No
    creation dates, so the same figure gives the same bytes.
    """
    stamp = current_figure_stamp() or {}
    if not {"version", "git_commit"} <= stamp.keys():  # a run's stamp has them (no git calls)
        stamp = {**_code_stamp(), **stamp}
    text = json.dumps(stamp, sort_keys=True, default=str)
    software = f"yrdsim {stamp.get('version')}"
    keywords = ", ".join(
        f"{key}={_keyword_value(stamp[key])}" for key in STAMP_FIELDS if key in stamp
    )
    png = {
        "Title": stem.name,
        "Software": software,
        "Source": f"git commit {stamp.get('git_commit')}",
        "Description": text,
        "Comment": keywords,
    }
    pdf = {
        "Title": stem.name,
        "Creator": software,
        "Subject": text,
        "Keywords": keywords,
        "CreationDate": None,
    }
    return png, pdf


def _keyword_value(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.pdf`` with provenance metadata; release it.

    Args:
        fig: Figure to save (built with :class:`~matplotlib.figure.Figure`, not pyplot).
        stem: Output path without suffix; its parent directory is created if needed.

    Returns:
        The written PNG and PDF paths.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    png_meta, pdf_meta = figure_metadata(stem)
    # Lay the figure out and measure its tight bounding box once for both files: with
    # bbox_inches="tight" and a layout engine, every savefig would lay out and draw the
    # figure twice (half of the figures' time, see docs/PERFORMANCE.md).
    renderer = fig.canvas.get_renderer()
    engine = fig.get_layout_engine()
    # A figure laid out by its engine (new_figure: constrained, possibly frozen as "none"
    # once its labels were placed) already fills its canvas; only one without an engine
    # needs the (costly: a pass over every text) tight bounding box.
    bbox = None if engine is not None else fig.get_tightbbox(renderer).padded(_PAD_INCHES)
    if engine is not None:
        engine.execute(fig)  # a no-op for the placeholder engine of layout "none"
        # No engine at all (not "none", whose placeholder still makes savefig draw twice).
        with matplotlib.rc_context(
            {"figure.autolayout": False, "figure.constrained_layout.use": False}
        ):
            fig.set_layout_engine(None)
    for suffix, metadata, extra in (
        (".png", png_meta, {"pil_kwargs": {"compress_level": PNG_COMPRESSION}}),
        (".pdf", pdf_meta, {}),
    ):
        path = stem.with_name(stem.name + suffix)

        def draw(
            target: Path, fmt: str = suffix[1:], meta: dict = metadata, more: dict = extra
        ) -> None:
            fig.savefig(target, format=fmt, dpi=PNG_DPI, bbox_inches=bbox, metadata=meta, **more)

        written.append(write_atomic(path, draw))
    # No fig.clear(): the figure is unknown to pyplot and is freed once dropped (clearing
    # rebuilt every axes, ~0.1 s for a run's three figures).
    return written


#: Font families that render Chinese, in order of preference (Noto CJK: Debian fonts-noto-cjk).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)


@functools.cache
def cjk_font() -> str | None:
    """The first installed font family of :data:`CJK_FONTS`, or ``None``."""
    from matplotlib import font_manager

    def found() -> str | None:
        installed = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    if (name := found()) is not None:
        return name
    # matplotlib's font cache predates a font installed later (e.g. apt-get install
    # fonts-noto-cjk): add the system's CJK font files it does not know yet.
    markers = ("cjk", "sourcehan", "wqy", "simhei", "msyh", "pingfang")
    for path in font_manager.findSystemFonts():
        if any(m in Path(path).name.lower() for m in markers) and "serif" not in path.lower():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    return found()


def city_label_font(language: str) -> tuple[str, dict[str, Any]]:
    """The label language that can be drawn and the text properties that draw it.

    Args:
        language: ``en`` (English names) or ``zh`` (Chinese names).

    Returns:
        ``("zh", {"fontfamily": ...})`` if a font renders Chinese; otherwise ``("en", {})``,
        with a warning when Chinese was asked for.

    Raises:
        ValueError: ``language`` is neither ``en`` nor ``zh``.
    """
    if language not in ("en", "zh"):
        raise ValueError(f"city labels: {language!r} is not a language; allowed: en, zh")
    if language == "en":
        return "en", {}
    font = cjk_font()
    if font is None:
        warnings.warn(
            "no installed font renders Chinese (e.g. Debian's fonts-noto-cjk); "
            "city labels are drawn in English",
            RuntimeWarning,
            stacklevel=2,
        )
        return "en", {}
    return "zh", {"fontfamily": [font, "DejaVu Sans"]}


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
