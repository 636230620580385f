"""Publication-quality figures of one yrdsim run.

The module draws three figures from the per-year outputs of a simulation run:

* a choropleth map of population change per city (:func:`plot_population_change_map`),
* small multiples of the headline indicators over time (:func:`plot_headline_timeseries`),
* a sorted bar chart of population change per city (:func:`plot_net_migration`),

and :func:`write_run_figures` writes all three into a directory.

Every figure is saved as PNG (200 dpi) and PDF with ``bbox_inches="tight"``.
Figures are built with :class:`matplotlib.figure.Figure` rather than :mod:`matplotlib.pyplot`,
so they are never registered with pyplot's global figure manager, need no GUI and are freed as
soon as the function returns (``plt.get_fignums()`` stays empty). All styling is applied through
:func:`matplotlib.rc_context`, so the global ``rcParams`` of the caller are left untouched.

The map's geometry comes from :mod:`sim.figures.geometry` (shapely: label points inside each
city, province outlines as the union of their cities); polygons are drawn as
:class:`~matplotlib.patches.PathPatch` objects, and overlapping labels are moved apart by
adjustText (:func:`sim.figures.labels.spread_labels`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.transforms import offset_copy

from agents.base import gc_paused
from sim.core.recording import HEADLINE_INDICATORS
from sim.figures.geometry import MapGeometry, map_geometry
from sim.figures.labels import city_labels, short_name, spread_labels
from sim.figures.style import (
    BASE_FONT_SIZE,
    DIVERGING_CMAP,
    LINE_COLOR,
    NO_DATA_COLOR,
    NO_DATA_HATCH,
    ONE_COLUMN,
    OTHER_PROVINCE_COLOR,
    PROVINCE_COLORS,
    REFERENCE_COLOR,
    SMALL_FONT_SIZE,
    TWO_COLUMN,
    city_label_font,
    finish_panel_grid,
    fit_panel_grid,
    new_figure,
    panel_no_data,
    plain_formatter,
    save_figure,
    styled,
    year_locator,
    year_span,
)

if TYPE_CHECKING:
    from sim.core.data import RegionData
    from sim.core.run import SimulationResult


__all__ = [
    "plot_headline_timeseries",
    "plot_net_migration",
    "plot_population_change_map",
    "write_run_figures",
]


def _population_wide(cities: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Return population as a (city_id x year) table with the first and last year."""
    required = {"year", "city_id", "population"}
    missing = required - set(cities.columns)
    if missing:
        raise ValueError(f"cities is missing column(s): {sorted(missing)}")
    if cities.empty:
        raise ValueError("cities is empty")
    if cities.duplicated(["year", "city_id"]).any():
        raise ValueError("cities has more than one row per (year, city_id)")
    frame = cities.assign(year=pd.to_numeric(cities["year"]).astype(int))
    wide = frame.pivot(index="city_id", columns="year", values="population").astype(float)
    years = sorted(wide.columns)
    return wide, int(years[0]), int(years[-1])


def _city_attributes(cities: pd.DataFrame) -> pd.DataFrame:
    """One row per city_id with ``name`` and ``province`` (taken from the last year)."""
    last = cities.sort_values("year").groupby("city_id", sort=False).tail(1).set_index("city_id")
    out = pd.DataFrame(index=last.index)
    if "name_en" in last.columns:
        out["name"] = last["name_en"].where(last["name_en"].notna(), last.index.to_series())
    else:
        out["name"] = last.index.astype(str)
    out["name"] = out["name"].astype(str)
    if "province" in last.columns:
        out["province"] = last["province"].astype("string")
    else:
        out["province"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def _population_change(cities: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Per-city first/last population, absolute and relative change, name and province."""
    wide, first, last = _population_wide(cities)
    out = _city_attributes(cities)
    out["pop_first"] = wide[first]
    out["pop_last"] = wide[last]
    out["change"] = out["pop_last"] - out["pop_first"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * out["change"] / out["pop_first"]
    out["change_pct"] = pct.where(out["pop_first"] > 0)
    return out, first, last


@styled
def plot_population_change_map(
    cities: pd.DataFrame, boundaries: dict, stem: Path, *, labels: str = "en"
) -> list[Path]:
    """Choropleth map of the population change (%) of each city over the run.

    The change is measured between the first and the last year in ``cities``. Colours use a
    diverging colour-blind-safe map (ColorBrewer RdBu: red = decline, blue = growth) with limits
    symmetric around 0, so equal colour intensity means an equal absolute change; the colour bar
    is cropped to the observed range. Cities without data (missing in ``cities`` or with zero
    initial population) are drawn in light grey, hatched, and listed in the legend as "No data".

    Args:
        cities: One row per (year, city_id) with at least ``year``, ``city_id`` and
            ``population``; ``name_en`` (label) and ``province`` are used if present.
        boundaries: GeoJSON FeatureCollection of the city polygons (lon/lat degrees); each
            feature's ``properties.id`` matches ``city_id`` and ``properties.province`` (optional)
            is used for the thicker province outlines.
        stem: Output path without suffix.
        labels: City names in English (``en``) or Chinese (``zh``, from the GeoJSON's
            ``name_zh``; English with a warning if no installed font renders Chinese).

    Returns:
        Paths of the written PNG and PDF files.

    Raises:
        ValueError: If ``cities`` lacks required columns or ``boundaries`` has no polygons.
    """
    change, first, last = _population_change(cities)
    names = change["name"].to_dict()
    pct = change["change_pct"].to_dict()
    provinces = change["province"].dropna().astype(str).to_dict()
    geometry = map_geometry(boundaries, provinces)
    language, font = city_label_font(labels)
    ids = list(geometry.paths)
    values = np.array([float(pct.get(c, np.nan)) for c in ids])

    x0, y0, x1, y1 = geometry.extent
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    vmax = max(abs(lo), abs(hi)) or 1.0
    norm = mcolors.Normalize(vmin=-vmax, vmax=vmax)
    cmap = matplotlib.colormaps[DIVERGING_CMAP]

    width_in = TWO_COLUMN
    map_height = width_in * 0.86 * (y1 - y0) * geometry.aspect / (x1 - x0)
    fig = new_figure((width_in, map_height))
    ax = fig.add_subplot()
    has_data = np.isfinite(values)
    draw_cities(
        ax,
        [geometry.paths[c] for c in ids],
        [cmap(norm(v)) if ok else NO_DATA_COLOR for v, ok in zip(values, has_data, strict=True)],
        hatched=~has_data,
        linewidth=0.35,
    )
    if geometry.outlines:
        ax.add_collection(
            LineCollection(
                geometry.outlines,
                colors="#222222",
                linewidths=0.9,
                capstyle="round",
                joinstyle="round",
                zorder=2,
            )
        )

    pad_x, pad_y = 0.02 * (x1 - x0), 0.02 * (y1 - y0)
    ax.set_xlim(x0 - pad_x, x1 + pad_x)
    ax.set_ylim(y0 - pad_y, y1 + pad_y)
    ax.set_aspect(geometry.aspect)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}\u00b0E"))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}\u00b0N"))
    ax.xaxis.set_major_locator(ticker.MultipleLocator(2))
    ax.yaxis.set_major_locator(ticker.MultipleLocator(2))
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)

    anchors = np.array([geometry.anchors[c] for c in ids])
    texts = city_labels(
        ax,
        anchors,
        [map_label(c, geometry, names, language) for c in ids],
        SMALL_FONT_SIZE,
        **font,
    )

    mappable = ScalarMappable(norm=norm, cmap=cmap)
    cbar = fig.colorbar(mappable, ax=ax, shrink=0.7, aspect=30, pad=0.02)
    cbar.set_label(f"Population change {year_span(first, last)} (%)")
    if lo == hi == 0.0:
        cbar.ax.set_ylim(-vmax, vmax)
    else:
        cbar.ax.set_ylim(min(lo, 0.0), max(hi, 0.0))
    cbar.ax.axhline(0.0, color="#222222", linewidth=0.6)
    cbar.outline.set_linewidth(0.5)

    handles = [
        Line2D([], [], color="#8c8c8c", linewidth=0.6, label="City border"),
    ]
    if geometry.outlines:
        handles.insert(0, Line2D([], [], color="#222222", linewidth=0.9, label="Province border"))
    if not np.isfinite(values).all():
        handles.append(
            Patch(
                facecolor=NO_DATA_COLOR,
                edgecolor="#8c8c8c",
                hatch=NO_DATA_HATCH,
                linewidth=0.35,
                label="No data",
            )
        )
    ax.legend(handles=handles, loc="lower left", frameon=True, framealpha=0.9, edgecolor="none")

    fig.get_layout_engine().execute(fig)  # fix the layout before measuring label extents
    fig.set_layout_engine("none")
    spread_labels(ax, texts, anchors)
    return save_figure(fig, stem)


def draw_cities(
    ax: Axes,
    paths: list,
    colors: list,
    hatched: np.ndarray,
    linewidth: float,
    hatch: str = NO_DATA_HATCH,
) -> None:
    """Fill the city polygons: one collection (one draw call), hatched cities as patches."""
    plain = [k for k in range(len(paths)) if not hatched[k]]
    ax.add_collection(
        PathCollection(
            [paths[k] for k in plain],
            facecolors=[colors[k] for k in plain],
            edgecolors="#8c8c8c",
            linewidths=linewidth,
            zorder=1,
        ),
        autolim=False,
    )
    for k in np.flatnonzero(hatched):
        ax.add_patch(
            PathPatch(
                paths[k],
                facecolor=colors[k],
                edgecolor="#8c8c8c",
                linewidth=linewidth,
                hatch=hatch,
                zorder=1,
            )
        )


def map_label(
    city_id: str, geometry: MapGeometry, names: dict[str, str], language: str = "en"
) -> str:
    """A city's map label: its Chinese name (``zh``) or its short English name."""
    english, chinese = geometry.names.get(city_id, (city_id, ""))
    if language == "zh" and chinese:
        return chinese.removesuffix("\u5e02")  # "上海市" -> "上海": the map shows cities
    return short_name(str(names.get(city_id) or english))


CENTRAL_AREA_TARGET = 1.2


@styled
def plot_headline_timeseries(metrics: pd.DataFrame, stem: Path) -> list[Path]:
    """Small multiples of the headline indicators over the years of the run.

    One panel per indicator of :data:`HEADLINE_INDICATORS` present in ``metrics``; absent columns
    are skipped and all-missing columns get a "No data" panel. Flow indicators (migrants,
    innovations, voucher spending, cross-region voucher share) are plotted from the second year
    on because the start-year row holds the initial state, where flows are 0 or missing. The
    central-area ratio panel shows the Outline's 2025 target (<= 1.2) as a dashed line.

    Args:
        metrics: One row per year with a ``year`` column and any of the indicator columns.
        stem: Output path without suffix.

    Returns:
        Paths of the written PNG and PDF files.

    Raises:
        ValueError: If ``metrics`` has no ``year`` column.
    """
    if "year" not in metrics.columns:
        raise ValueError("metrics has no 'year' column")
    data = metrics.assign(year=pd.to_numeric(metrics["year"])).sort_values("year")
    data = data.dropna(subset=["year"])
    present = [ind for ind in HEADLINE_INDICATORS if ind.column in data.columns]

    n = len(present)
    ncols = 3 if n > 4 else max(n, 1)
    nrows = max(math.ceil(n / ncols), 1)
    fig = new_figure((TWO_COLUMN, 0.4 + 1.75 * nrows), layout=None)
    axes = fig.subplots(nrows, ncols, squeeze=False)

    if data.empty:
        first_year = last_year = 0
    else:
        first_year, last_year = int(data["year"].iloc[0]), int(data["year"].iloc[-1])
    if n == 0:
        ax = axes[0, 0]
        ax.text(
            0.5,
            0.5,
            "No headline indicators in metrics",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#666666",
        )
        ax.set_axis_off()
        fit_panel_grid(fig, axes, 1)
        return save_figure(fig, stem)

    letters = "abcdefghijklmnopqrstuvwxyz"
    for k, ind in enumerate(present):
        ax = axes.flat[k]
        ax.set_title(textwrap.fill(f"({letters[k]}) {ind.title}", 26), pad=4)
        ax.set_ylabel(ind.ylabel)
        rows = data[data["year"] > first_year] if ind.flow else data
        y = pd.to_numeric(rows[ind.column], errors="coerce").astype(float) * ind.scale
        x = rows["year"].to_numpy(dtype=float)
        ok = np.isfinite(y.to_numpy())
        ax.set_xlim(first_year - 0.5, last_year + 0.5)
        ax.xaxis.set_major_locator(year_locator(first_year, last_year))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%d"))
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        if not ok.any():
            panel_no_data(ax)
            continue
        marker = "o" if ok.sum() <= 2 else None
        ax.plot(x, y.to_numpy(), color=LINE_COLOR, marker=marker, markersize=3.5, zorder=3)
        ax.yaxis.set_major_locator(
            ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3)
        )
        ax.yaxis.set_major_formatter(plain_formatter())
        if ind.column == "central_area_gdppc_ratio":
            _add_target_line(ax, y.to_numpy()[ok], CENTRAL_AREA_TARGET)

    finish_panel_grid(axes, n)
    fit_panel_grid(fig, axes, n)
    return save_figure(fig, stem)


def _add_target_line(ax: Axes, values: np.ndarray, target: float) -> None:
    """Dashed reference line at ``target`` with a label on the side away from the data."""
    ax.axhline(target, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2, zorder=2)
    lo = min(float(values.min()), target)
    hi = max(float(values.max()), target)
    span = max(hi - lo, 0.05 * max(abs(target), 1e-9))
    data_above = float(np.median(values)) >= target
    # Leave room for a two-line label between the line and the axis edge.
    room = 0.45 * span
    if data_above:
        ax.set_ylim(lo - room, hi + 0.08 * span)
    else:
        ax.set_ylim(lo - 0.08 * span, hi + room)
    ax.annotate(
        f"Outline 2025 target\n\u2264 {target:g}",
        xy=(0.98, target),
        xycoords=("axes fraction", "data"),
        xytext=(0, -3 if data_above else 3),
        textcoords="offset points",
        ha="right",
        va="top" if data_above else "bottom",
        color=REFERENCE_COLOR,
        linespacing=1.1,
    )


def _province_order(provinces: Iterable[str]) -> list[str]:
    known = [p for p in PROVINCE_COLORS if p in set(provinces)]
    others = sorted(set(provinces) - set(PROVINCE_COLORS))
    return known + others


@styled
def plot_net_migration(cities: pd.DataFrame, stem: Path) -> list[Path]:
    """Sorted horizontal bars of each city's population change over the run.

    The change is last year minus first year in thousand persons (it includes natural change,
    not only net migration). Bars are coloured by province (Okabe-Ito palette) with a legend.

    Args:
        cities: One row per (year, city_id) with at least ``year``, ``city_id`` and
            ``population``; ``name_en`` and ``province`` are used if present.
        stem: Output path without suffix.

    Returns:
        Paths of the written PNG and PDF files.
    """
    change, first, last = _population_change(cities)
    change = change.assign(
        change_k=change["change"] / 1e3,
        province=change["province"].fillna("Other").astype(str),
    )
    change = change.sort_values(["change_k", "name"], ascending=[True, False], na_position="first")
    n = len(change)

    fig = new_figure((ONE_COLUMN, 0.9 + 0.125 * max(n, 5)), layout=None)
    ax = fig.add_subplot()
    ypos = np.arange(n)
    colors = [PROVINCE_COLORS.get(p, OTHER_PROVINCE_COLOR) for p in change["province"]]
    values = change["change_k"].fillna(0.0).to_numpy()
    ax.barh(ypos, values, height=0.72, color=colors, edgecolor="none", zorder=3)
    for yy in ypos[change["change_k"].isna().to_numpy()]:
        ax.annotate(
            "no data",
            xy=(0, yy),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            color="#666666",
            fontstyle="italic",
        )
    # The names as plain texts beside the axes, where tick labels would be (length 0, pad
    # 3 pt): 41 ticks cost ~1 ms each to make, texts a tenth of that.
    ax.set_yticks([])
    beside = offset_copy(ax.get_yaxis_transform(), fig=fig, x=-3.0, units="points")
    for y, name in zip(ypos, change["name"], strict=True):
        ax.text(
            0.0,
            y,
            name,
            transform=beside,
            ha="right",
            va="center_baseline",
            fontsize=SMALL_FONT_SIZE,
            color="#222222",
            clip_on=False,
        )
    ax.set_ylim(-0.7, n - 0.3)
    ax.axvline(0.0, color="#333333", linewidth=0.7, zorder=4)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.xaxis.set_major_formatter(plain_formatter())
    ax.set_xlabel(f"Population change {year_span(first, last)}\n(thousand persons)")
    lo, hi = ax.get_xlim()
    ax.set_xlim(min(lo, 0.0), max(hi, 0.0))

    order = _province_order(change["province"])
    handles = [
        Patch(facecolor=PROVINCE_COLORS.get(p, OTHER_PROVINCE_COLOR), label=p) for p in order
    ]
    if order != ["Other"]:  # no province information: a one-entry legend says nothing
        _province_legend(ax, handles)
    fit_panel_grid(fig, np.array([[ax]]), 1)
    return save_figure(fig, stem)


def _province_legend(ax: Axes, handles: list[Patch]) -> None:
    ax.legend(
        handles=handles,
        title="Province",
        loc="best",
        frameon=True,
        framealpha=0.95,
        edgecolor="none",
        title_fontsize=BASE_FONT_SIZE,
    )


def write_run_figures(
    metrics: pd.DataFrame,
    cities: pd.DataFrame,
    boundaries: dict,
    figures_dir: Path,
    *,
    labels: str = "en",
) -> list[Path]:
    """Write all figures of one run into ``figures_dir``.

    Writes ``population_change_map``, ``headline_indicators`` and ``population_change_by_city``,
    each as PNG and PDF.

    Args:
        metrics: Headline indicators, one row per year (see :func:`plot_headline_timeseries`).
        cities: City panel, one row per (year, city_id) (see :func:`plot_population_change_map`).
        boundaries: GeoJSON FeatureCollection of the city polygons.
        figures_dir: Output directory; created if missing.
        labels: Language of the map's city labels (``en`` or ``zh``).

    Returns:
        All written file paths.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with gc_paused():  # one pause for the three (see sim.figures.style.styled)
        written += plot_population_change_map(
            cities, boundaries, figures_dir / "population_change_map", labels=labels
        )
        written += plot_headline_timeseries(metrics, figures_dir / "headline_indicators")
        written += plot_net_migration(cities, figures_dir / "population_change_by_city")
    return written


def run_figure_writer(
    result: SimulationResult, data: RegionData
) -> Callable[[Path], list[Path]]:
    """What :func:`sim.runs.output.write_run` calls to draw a run's figures into its folder."""
    labels = getattr(result.config.output, "city_labels", "en")
    return lambda figures_dir: write_run_figures(
        result.metrics, result.cities, data.boundaries, figures_dir, labels=labels
    )
