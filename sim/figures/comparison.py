"""Figures comparing the scenarios of a sweep (PNG at 200 dpi and PDF), for papers.

* :func:`plot_scenario_timeseries`: the headline indicators over time, one line per scenario
  (group) with its 95 % band across seeds;
* :func:`plot_end_year_differences`: each headline indicator in the final year minus the
  reference (``baseline``), with 95 % intervals;
* :func:`plot_city_difference_maps`: per-city differences from the reference in the final year,
  one map per scenario (group), on one colour scale.

Style, indicator definitions (titles, units, scale) and the map geometry come from
:mod:`sim.figures.run`, so a sweep's figures look like a run's. Scenario colours are fixed
(:data:`SCENARIO_COLORS`), so a scenario has the same colour in every figure.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import ticker
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch

from sim.analysis.compare import Reference, SweepData, group_label
from sim.core.data import load_region_data
from sim.core.recording import HEADLINE_INDICATORS
from sim.figures.geometry import (
    compound_path,
    geometry_polygons,
    label_point,
    province_border_segments,
)
from sim.figures.labels import city_labels, repel_labels, short_name
from sim.figures.style import (
    BASE_FONT_SIZE,
    DIVERGING_CMAP,
    NO_DATA_COLOR,
    OKABE_ITO,
    finish_panel_grid,
    new_figure,
    plain_formatter,
    save_figure,
    styled,
    year_locator,
)
from sim.runs.files import CONFIG_FILE, read_json

#: Colour of each named scenario (Okabe-Ito); other groups take the remaining colours in order.
SCENARIO_COLORS = {
    "baseline": OKABE_ITO["black"],
    "transport": OKABE_ITO["blue"],
    "vouchers": OKABE_ITO["orange"],
    "residency": OKABE_ITO["green"],
    "integrated": OKABE_ITO["vermillion"],
}
_SPARE_COLORS = [OKABE_ITO["sky_blue"], OKABE_ITO["purple"], "#8c564b", "#7f7f7f", "#bcbd22"]
#: Hatch of map cities whose 95 % interval of the difference includes zero.
UNCERTAIN_HATCH = "...."

#: City-level metrics mapped by default: column, title, and whether to show % of the reference.
CITY_MAP_METRICS: tuple[tuple[str, str], ...] = (
    ("population", "Population"),
    ("gdp_per_capita", "GDP per capita"),
)


@dataclass(frozen=True)
class GroupStyle:
    """How a group is drawn: its scenario's colour, a line style and marker per lever value."""

    color: str
    linestyle: str | tuple = "solid"
    marker: str = "o"


_LINESTYLES: tuple[str | tuple, ...] = ("solid", (0, (5, 2)), (0, (1, 1.5)), (0, (5, 2, 1, 2)))
_MARKERS = ("o", "s", "^", "D", "v", "P")


def group_styles(groups: pd.DataFrame, keys: list[str]) -> dict[str, GroupStyle]:
    """A style per group label.

    The scenario sets the colour (fixed for the named scenarios, so a scenario looks the same in
    every figure); the values of the other group keys set the line style and the marker.
    """
    spare = iter(_SPARE_COLORS + [mcolors.to_hex(c) for c in matplotlib.colormaps["tab10"].colors])
    scenario_color: dict[str, str] = {}
    variants: dict[tuple, int] = {}
    styles: dict[str, GroupStyle] = {}
    for _, row in groups.iterrows():
        scenario = str(row["scenario"])
        if scenario not in scenario_color:
            scenario_color[scenario] = SCENARIO_COLORS.get(scenario) or next(spare, "#555555")
        variant = variants.setdefault(tuple(str(row[k]) for k in keys[1:]), len(variants))
        styles[group_label(row, keys)] = GroupStyle(
            color=scenario_color[scenario],
            linestyle=_LINESTYLES[variant % len(_LINESTYLES)],
            marker=_MARKERS[variant % len(_MARKERS)],
        )
    return styles


def _indicators(metrics: set[str]) -> list:
    return [ind for ind in HEADLINE_INDICATORS if ind.column in metrics]


def _difference_label(ylabel: str) -> str:
    """Axis label of a difference: shares in % become percentage points."""
    if ylabel.endswith("(%)"):
        return ylabel[:-3] + "(percentage points)"
    return ylabel


# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------


@styled
def plot_scenario_timeseries(summary: pd.DataFrame, keys: list[str], stem: Path) -> list[Path]:
    """Small multiples of the headline indicators: a line and a 95 % band per group.

    Args:
        summary: ``summary.csv`` (group columns, metric, year, mean, ci_low, ci_high, ...).
        keys: The group columns (``scenario`` first).
        stem: Output path without suffix.

    Returns:
        The written PNG and PDF paths.
    """
    indicators = _indicators(set(summary["metric"]))
    groups = summary[keys].drop_duplicates()
    styles = group_styles(groups, keys)
    n = len(indicators)
    ncols = 3
    nrows = max(math.ceil((n + 1) / ncols), 1)  # one slot for the legend
    fig = new_figure((7.2, 0.4 + 2.05 * nrows))
    fig.get_layout_engine().set(w_pad=0.06, h_pad=0.06, wspace=0.08, hspace=0.1)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    years = summary["year"].astype(int)
    first, last = int(years.min()), int(years.max())
    letters = "abcdefghijklmnopqrstuvwxyz"
    labelled = summary.assign(_group=[group_label(r, keys) for _, r in summary[keys].iterrows()])
    for k, ind in enumerate(indicators):
        ax = axes.flat[k]
        ax.set_title(textwrap.fill(f"({letters[k]}) {ind.title}", 26), pad=4)
        ax.set_ylabel(ind.ylabel)
        rows = labelled[labelled["metric"] == ind.column]
        if ind.flow:
            rows = rows[rows["year"] > first]
        for label, frame in rows.groupby("_group", sort=False):
            frame = frame.sort_values("year")
            x = frame["year"].to_numpy(dtype=float)
            y = frame["mean"].to_numpy(dtype=float) * ind.scale
            lo = frame["ci_low"].to_numpy(dtype=float) * ind.scale
            hi = frame["ci_high"].to_numpy(dtype=float) * ind.scale
            style = styles[str(label)]
            ax.fill_between(x, lo, hi, color=style.color, alpha=0.18, linewidth=0, zorder=2)
            marker = style.marker if len(x) <= 2 else None
            ax.plot(
                x,
                y,
                color=style.color,
                linestyle=style.linestyle,
                linewidth=1.3,
                marker=marker,
                markersize=3,
                zorder=3,
            )
        ax.set_xlim(first - 0.5, last + 0.5)
        ax.xaxis.set_major_locator(year_locator(first, last))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%d"))
        ax.yaxis.set_major_locator(
            ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3)
        )
        ax.yaxis.set_major_formatter(plain_formatter())
        ax.grid(axis="y")
        ax.set_axisbelow(True)
    finish_panel_grid(axes, n)
    handles = [
        Line2D([], [], color=st.color, linestyle=st.linestyle, linewidth=1.6, label=g)
        for g, st in styles.items()
    ]
    handles.append(Patch(facecolor="#888888", alpha=0.3, label="95 % interval across seeds"))
    axes.flat[n].legend(handles=handles, loc="center", title="Scenario", alignment="left")
    return save_figure(fig, stem)


# --------------------------------------------------------------------------------------------
# End-year differences
# --------------------------------------------------------------------------------------------


@styled
def plot_end_year_differences(
    diffs: pd.DataFrame, keys: list[str], reference: Reference, stem: Path
) -> list[Path]:
    """Per headline indicator: final-year difference of each group from the reference.

    Points are the mean differences, bars their 95 % intervals (paired by seed; see
    :func:`sim.analysis.compare.differences`); a group whose interval excludes zero is drawn filled.

    Args:
        diffs: ``differences.csv`` (group columns, metric, delta, delta_ci_low, ...).
        keys: The group columns.
        reference: The reference group.
        stem: Output path without suffix.

    Returns:
        The written PNG and PDF paths.
    """
    labelled = diffs.assign(_group=[group_label(r, keys) for _, r in diffs[keys].iterrows()])
    shown = labelled[~reference.matches(labelled)]
    indicators = _indicators(set(shown["metric"]))
    groups = list(dict.fromkeys(shown["_group"]))
    styles = group_styles(diffs[keys].drop_duplicates(), keys)
    n = len(indicators)
    ncols = 3
    nrows = max(math.ceil(n / ncols), 1)
    lines = max((textwrap.fill(g, 16).count("\n") + 1 for g in groups), default=1)
    height = 0.5 + nrows * (0.75 + (0.07 + 0.15 * lines) * max(len(groups), 1))
    fig = new_figure((7.2, height))
    fig.get_layout_engine().set(w_pad=0.06, h_pad=0.06, wspace=0.06, hspace=0.08)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    year = int(diffs["year"].max()) if len(diffs) else 0
    letters = "abcdefghijklmnopqrstuvwxyz"
    ypos = np.arange(len(groups))[::-1]
    for k, ind in enumerate(indicators):
        ax = axes.flat[k]
        ax.set_title(textwrap.fill(f"({letters[k]}) {ind.title}", 24), pad=4)
        rows = shown[shown["metric"] == ind.column].set_index("_group").reindex(groups)
        delta = rows["delta"].to_numpy(dtype=float) * ind.scale
        lo = rows["delta_ci_low"].to_numpy(dtype=float) * ind.scale
        hi = rows["delta_ci_high"].to_numpy(dtype=float) * ind.scale
        ax.axvline(0.0, color="#333333", linewidth=0.7, zorder=1)
        for y, g, d, a, b in zip(ypos, groups, delta, lo, hi, strict=True):
            if not np.isfinite(d):
                continue
            color, marker = styles[g].color, styles[g].marker
            if np.isfinite(a) and np.isfinite(b):
                ax.plot([a, b], [y, y], color=color, linewidth=1.6, solid_capstyle="butt")
                ax.plot(
                    [a, a, np.nan, b, b],
                    [y - 0.15, y + 0.15, np.nan, y - 0.15, y + 0.15],
                    color=color,
                    linewidth=1.0,
                )
            certain = np.isfinite(a) and np.isfinite(b) and (a > 0 or b < 0)
            ax.plot(
                d,
                y,
                marker,
                markersize=5,
                color=color,
                markerfacecolor=color if certain else "white",
                markeredgewidth=1.2,
                zorder=3,
            )
        wrapped = [textwrap.fill(g, 16) for g in groups]
        ax.set_yticks(ypos, labels=wrapped if k % ncols == 0 else [""] * len(groups))
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-0.6, len(groups) - 0.4)
        ax.set_xlabel(textwrap.fill(_difference_label(ind.ylabel), 26))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_tick))
        lo_lim, hi_lim = ax.get_xlim()
        span = max(abs(lo_lim), abs(hi_lim))
        ax.set_xlim(min(lo_lim, -0.05 * span), max(hi_lim, 0.05 * span))
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        ax.spines["left"].set_visible(False)
    for k in range(n, nrows * ncols):
        axes.flat[k].set_axis_off()
    fig.suptitle(
        f"Difference from {reference} in {year} (mean and 95 % interval across seeds; "
        "filled: interval excludes 0)",
        fontsize=9,
        x=0.01,
        ha="left",
    )
    return save_figure(fig, stem)


def _tick(value: float, _position: int) -> str:
    """Short tick labels: ``0`` rather than ``0.0000``, a true minus sign."""
    return f"{value:.6g}".replace("-", "\u2212") if abs(value) > 1e-12 else "0"


# --------------------------------------------------------------------------------------------
# Maps
# --------------------------------------------------------------------------------------------


@styled
def plot_city_difference_maps(
    city_summary: pd.DataFrame,
    boundaries: dict,
    metric: str,
    title: str,
    keys: list[str],
    reference: Reference,
    stem: Path,
) -> list[Path]:
    """One map per group of each city's final-year difference from the reference, in %.

    The value is ``delta_vs_baseline / reference mean * 100``. All maps share a diverging
    colour scale symmetric around 0 (ColorBrewer RdBu: red = lower than the reference, blue =
    higher). Cities whose 95 % interval of the difference includes zero are hatched. Each map
    names up to :data:`LABELLED_CITIES_PER_MAP` cities: those with the largest differences
    whose interval excludes zero, if the difference is at least :data:`LABELLED_MIN_SHARE` of
    the colour scale's limit.

    Args:
        city_summary: ``city_summary.csv``.
        boundaries: GeoJSON FeatureCollection of the city polygons (``properties.id``).
        metric: The city metric to map (e.g. ``population``).
        title: Its name for the colour bar.
        keys: The group columns.
        reference: The reference group.
        stem: Output path without suffix.

    Returns:
        The written PNG and PDF paths (nothing if no group has a reference).
    """
    rows = city_summary[city_summary["metric"] == metric].copy()
    rows["_group"] = [group_label(r, keys) for _, r in rows[keys].iterrows()]
    ref_mean = rows["mean"] - rows["delta_vs_baseline"]
    with np.errstate(invalid="ignore", divide="ignore"):
        rows["pct"] = 100.0 * rows["delta_vs_baseline"] / ref_mean.abs()
    rows["uncertain"] = ~((rows["delta_ci_low"] > 0) | (rows["delta_ci_high"] < 0))
    rows = rows[~reference.matches(rows) & rows["delta_vs_baseline"].notna()]
    groups = list(dict.fromkeys(rows["_group"]))
    if not groups:
        return []
    year = int(rows["year"].max())

    features = [f for f in boundaries.get("features", []) if f.get("geometry")]
    paths, anchors, names = {}, {}, {}
    for feature in features:
        polys = geometry_polygons(feature["geometry"])
        if polys:
            props = feature.get("properties") or {}
            city_id = str(props.get("id", ""))
            paths[city_id] = compound_path(polys)
            anchors[city_id] = label_point(polys)
            names[city_id] = short_name(str(props.get("name_en") or city_id))
    segments = province_border_segments(features)
    xy = np.concatenate([p.vertices for p in paths.values()])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    aspect = 1.0 / math.cos(math.radians(0.5 * (y0 + y1)))

    values = rows["pct"].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    vmax = float(np.abs(finite).max()) if finite.size else 1.0
    vmax = vmax or 1.0
    norm = mcolors.Normalize(vmin=-vmax, vmax=vmax)
    cmap = matplotlib.colormaps[DIVERGING_CMAP]

    ncols = 1 if len(groups) == 1 else 2
    nrows = math.ceil(len(groups) / ncols)
    width = 7.2 if ncols == 2 else 5.2
    panel_w = (width - 0.9) / ncols
    panel_h = panel_w * (y1 - y0) * aspect / (x1 - x0)
    fig = new_figure((width, 0.55 + nrows * (panel_h + 0.3)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    letters = "abcdefghijklmnopqrstuvwxyz"
    labelled = []
    for k, group in enumerate(groups):
        ax = axes.flat[k]
        frame = rows[rows["_group"] == group].set_index("city_id")
        for city_id, path in paths.items():
            value = float(frame["pct"].get(city_id, np.nan))
            has_data = np.isfinite(value)
            uncertain = bool(frame["uncertain"].get(city_id, False)) and has_data
            ax.add_patch(
                PathPatch(
                    path,
                    facecolor=cmap(norm(value)) if has_data else NO_DATA_COLOR,
                    edgecolor="#8c8c8c",
                    linewidth=0.3,
                    hatch=UNCERTAIN_HATCH if uncertain else None,
                    zorder=1,
                )
            )
        if len(segments):
            ax.add_collection(LineCollection(segments, colors="#222222", linewidths=0.8, zorder=2))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(aspect)
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"({letters[k]}) {group}", pad=3)
        movers = _largest_clear_differences(frame, set(paths), LABELLED_MIN_SHARE * vmax)
        points = np.array([anchors[c] for c in movers]).reshape(-1, 2)
        texts = city_labels(ax, points, [names[c] for c in movers], BASE_FONT_SIZE - 2)
        labelled.append((ax, texts, points))
    for k in range(len(groups), nrows * ncols):
        axes.flat[k].set_axis_off()
    cbar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=cmap),
        ax=axes.ravel().tolist(),
        shrink=0.8,
        aspect=35,
        pad=0.02,
    )
    cbar.set_label(f"{title} in {year}, difference from {reference} (%)")
    cbar.ax.axhline(0.0, color="#222222", linewidth=0.6)
    cbar.outline.set_linewidth(0.5)
    handles = [
        Line2D([], [], color="#222222", linewidth=0.8, label="Province border"),
        Patch(
            facecolor="white",
            edgecolor="#8c8c8c",
            hatch=UNCERTAIN_HATCH,
            linewidth=0.3,
            label="95 % interval includes 0",
        ),
        Line2D(
            [],
            [],
            linestyle="none",
            label=f"Named: the largest clear differences (up to {LABELLED_CITIES_PER_MAP})",
        ),
    ]
    fig.legend(handles=handles, loc="outside lower left", ncols=2, frameon=False)
    fig.canvas.draw()  # fix the layout before measuring label extents
    fig.set_layout_engine("none")
    for ax, texts, points in labelled:
        repel_labels(ax, texts, points)
    return save_figure(fig, stem)


#: How many cities each difference map names at most: those with the largest clear differences.
LABELLED_CITIES_PER_MAP = 6
#: A named city's difference is at least this share of the colour scale's limit (a difference
#: drawn in near-white is not worth a name, however narrow its interval).
LABELLED_MIN_SHARE = 0.1


def _largest_clear_differences(
    frame: pd.DataFrame,
    drawn: set[str],
    min_abs: float,
    count: int = LABELLED_CITIES_PER_MAP,
) -> list[str]:
    """Ids of the cities with the largest absolute % differences whose interval excludes 0.

    Args:
        frame: One group's rows indexed by ``city_id``, with ``pct`` and ``uncertain``.
        drawn: The cities on the map.
        min_abs: The smallest absolute difference (in %) that is named.
        count: At most this many cities.
    """
    size = frame["pct"].abs()
    clear = frame[~frame["uncertain"] & (size >= min_abs) & frame.index.isin(drawn)]
    order = clear["pct"].abs().sort_values(ascending=False, kind="stable")
    return [str(c) for c in order.index[:count]]


def write_comparison_figures(
    summary: pd.DataFrame,
    diffs: pd.DataFrame,
    city_summary: pd.DataFrame,
    boundaries: dict,
    keys: list[str],
    reference: Reference,
    figures_dir: Path,
) -> list[Path]:
    """Write all comparison figures into ``figures_dir`` (PNG and PDF).

    Writes ``timeseries``, and, when the sweep holds the reference, ``end_year_differences``
    and ``map_<metric>_difference`` for each of :data:`CITY_MAP_METRICS`.

    Returns:
        The written paths.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    written = plot_scenario_timeseries(summary, keys, figures_dir / "timeseries")
    if len(diffs):
        written += plot_end_year_differences(
            diffs, keys, reference, figures_dir / "end_year_differences"
        )
    present = set(city_summary["metric"])
    for metric, title in CITY_MAP_METRICS:
        if metric in present and city_summary["delta_vs_baseline"].notna().any():
            written += plot_city_difference_maps(
                city_summary,
                boundaries,
                metric,
                title,
                keys,
                reference,
                figures_dir / f"map_{metric}_difference",
            )
    return written


def comparison_figure_writer(
    summary: pd.DataFrame,
    diffs: pd.DataFrame,
    city_summary: pd.DataFrame,
    data: SweepData,
    reference: Reference,
    figures_dir: Path,
) -> list[Path]:
    """:func:`write_comparison_figures` on the boundaries of the data the sweep's runs used.

    What :func:`sim.analysis.report.write_comparison` calls to draw (the bundled data's
    boundaries unless the runs named another ``data_dir``).
    """
    first = data.used[0].path
    assert first is not None
    data_dir = (read_json(first / CONFIG_FILE) or {}).get("data_dir")
    boundaries = load_region_data(data_dir).boundaries
    return write_comparison_figures(
        summary, diffs, city_summary, boundaries, data.keys, reference, figures_dir
    )
