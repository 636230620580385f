"""Figures comparing the scenarios of a sweep (PNG at 200 dpi and PDF), for papers.

* :func:`plot_difference_timeseries`: the headline indicators over time as differences from the
  reference, absolute and in %, with 95 % bands (paired by seed);
* :func:`plot_scenario_timeseries`: the headline indicators' levels over time, one line per
  scenario (group) with its 95 % band across seeds;
* :func:`plot_end_year_differences`: each headline indicator in the final year minus the
  reference (``baseline``), with 95 % intervals;
* :func:`plot_city_difference_maps`: per-city differences from the reference in the final year,
  one map per scenario (group), on one fixed symmetric colour scale, not significant cells grey.

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
from matplotlib.patches import Patch

from sim.analysis.compare import Reference, SweepData, group_label, yearly_differences
from sim.core.data import load_region_data
from sim.core.recording import HEADLINE_INDICATORS
from sim.figures.geometry import map_geometry
from sim.figures.labels import city_labels, spread_labels
from sim.figures.run import draw_cities, map_label
from sim.figures.style import (
    DIVERGING_CMAP,
    NO_DATA_COLOR,
    NOT_SIGNIFICANT_COLOR,
    OKABE_ITO,
    SMALL_FONT_SIZE,
    TWO_COLUMN,
    city_label_font,
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
    fig = new_figure((TWO_COLUMN, 0.4 + 1.75 * nrows))
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


@styled
def plot_difference_timeseries(
    yearly: pd.DataFrame, keys: list[str], reference: Reference, stem: Path
) -> list[Path]:
    """Each headline indicator over time as the difference from the reference, two ways.

    Per indicator, two panels side by side: the absolute difference (display unit) and the
    difference in % of the reference, each a line per group with its 95 % band (paired by
    seed, see :func:`sim.analysis.compare.yearly_differences`). A zero line marks "no effect";
    differences of half a percent, invisible in levels, show at this scale.

    Args:
        yearly: :func:`sim.analysis.compare.yearly_differences`.
        keys: The group columns (``scenario`` first).
        reference: The reference group.
        stem: Output path without suffix.

    Returns:
        The written PNG and PDF paths (nothing when no group has a reference).
    """
    if yearly.empty:
        return []
    indicators = _indicators(set(yearly["metric"]))
    labelled = yearly.assign(_group=[group_label(r, keys) for _, r in yearly[keys].iterrows()])
    styles = group_styles(yearly[keys].drop_duplicates(), keys)
    first, last = int(yearly["year"].min()), int(yearly["year"].max())
    n = len(indicators)
    ncols = 3
    blocks = max(math.ceil(n / ncols), 1)
    # One block per row of indicators: the absolute difference above, the % difference below.
    fig = new_figure((TWO_COLUMN, 0.6 + 2.3 * blocks))
    fig.get_layout_engine().set(w_pad=0.03, h_pad=0.03, wspace=0.06, hspace=0.04)
    subfigs = np.atleast_1d(fig.subfigures(blocks, 1))
    letters = "abcdefghijklmnopqrstuvwxyz"
    for b, sub in enumerate(subfigs):
        axes = sub.subplots(2, ncols, sharex=True, squeeze=False)
        for col in range(ncols):
            k = b * ncols + col
            if k >= n:
                axes[0, col].set_axis_off()
                axes[1, col].set_axis_off()
                continue
            ind = indicators[k]
            rows = labelled[labelled["metric"] == ind.column]
            rows = rows[rows["year"] >= (first + 1 if ind.flow else first)]
            axes[0, col].set_title(textwrap.fill(f"({letters[k]}) {ind.title}", 30), pad=3)
            for j, (column, unit) in enumerate(
                (("delta", _difference_label(ind.ylabel)), ("delta_pct", f"% of {reference}"))
            ):
                ax = axes[j, col]
                scale = ind.scale if column == "delta" else 1.0
                ax.set_ylabel(textwrap.fill(unit, 20))
                ax.axhline(0.0, color="#333333", linewidth=0.6, zorder=1)
                for label, frame in rows.groupby("_group", sort=False):
                    frame = frame.sort_values("year")
                    x = frame["year"].to_numpy(dtype=float)
                    y = frame[column].to_numpy(dtype=float) * scale
                    lo = frame[f"{column}_ci_low"].to_numpy(dtype=float) * scale
                    hi = frame[f"{column}_ci_high"].to_numpy(dtype=float) * scale
                    style = styles[str(label)]
                    ax.fill_between(x, lo, hi, color=style.color, alpha=0.18, lw=0, zorder=2)
                    ax.plot(x, y, color=style.color, linestyle=style.linestyle, lw=1.2, zorder=3)
                ax.set_xlim(first - 0.5, last + 0.5)
                ax.xaxis.set_major_locator(year_locator(first, last))
                ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%d"))
                ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
                ax.yaxis.set_major_formatter(ticker.FuncFormatter(_tick))
                ax.grid(axis="y")
                ax.set_axisbelow(True)
                if not np.isfinite(rows[column].to_numpy(dtype=float)).any():
                    ax.text(
                        0.5,
                        0.75,
                        f"undefined: {reference} is 0" if j else "no data",
                        transform=ax.transAxes,
                        ha="center",
                        va="center",
                        color="#666666",
                    )
                    ax.set_yticks([])
    handles = [
        Line2D([], [], color=st.color, linestyle=st.linestyle, linewidth=1.6, label=g)
        for g, st in styles.items()
        if g in set(labelled["_group"])
    ]
    handles.append(Patch(facecolor="#888888", alpha=0.3, label="95 % interval (paired by seed)"))
    fig.legend(
        handles=handles,
        loc="outside lower left",
        ncols=min(len(handles), 4),
        title=f"Difference from {reference}: absolute (upper panel) and in % (lower panel)",
        alignment="left",
    )
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
    fig = new_figure((TWO_COLUMN, height))
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
        fontsize=SMALL_FONT_SIZE + 1,
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
    *,
    labels: str = "en",
) -> list[Path]:
    """One map per group of each city's final-year difference from the reference, in %.

    The value is ``delta_vs_baseline / reference mean * 100``. All maps share one diverging
    colour scale, symmetric around 0 and fixed across the groups (its limit is the largest
    absolute difference of any group, rounded up to a round number), so a colour means the
    same difference in every panel (ColorBrewer RdBu: red = lower than the reference, blue =
    higher). Cities whose 95 % interval of the difference includes zero are drawn in plain
    grey rather than in a colour. Each map is titled with its scenario (group) and names up to
    :data:`LABELLED_CITIES_PER_MAP` cities: those with the largest differences whose interval
    excludes zero, if the difference is at least :data:`LABELLED_MIN_SHARE` of the scale's
    limit.

    Args:
        city_summary: ``city_summary.csv``.
        boundaries: GeoJSON FeatureCollection of the city polygons (``properties.id``).
        metric: The city metric to map (e.g. ``population``).
        title: Its name for the colour bar.
        keys: The group columns.
        reference: The reference group.
        stem: Output path without suffix.
        labels: Language of the city names (``en`` or ``zh``).

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
    geometry = map_geometry(boundaries)
    language, font = city_label_font(labels)
    x0, y0, x1, y1 = geometry.extent

    vmax = symmetric_limit(rows["pct"].to_numpy(dtype=float))
    norm = mcolors.Normalize(vmin=-vmax, vmax=vmax)
    cmap = matplotlib.colormaps[DIVERGING_CMAP]

    ncols = 1 if len(groups) == 1 else 2
    nrows = math.ceil(len(groups) / ncols)
    width = TWO_COLUMN if ncols == 2 else 5.0
    panel_w = (width - 0.9) / ncols
    panel_h = panel_w * (y1 - y0) * geometry.aspect / (x1 - x0)
    fig = new_figure((width, 0.55 + nrows * (panel_h + 0.3)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = {c: geometry.names[c][0] for c in geometry.paths}
    labelled = []
    for k, group in enumerate(groups):
        ax = axes.flat[k]
        frame = rows[rows["_group"] == group].set_index("city_id")
        colors, missing = [], []
        for city_id in geometry.paths:
            value = float(frame["pct"].get(city_id, np.nan))
            has_data = bool(np.isfinite(value))
            uncertain = bool(frame["uncertain"].get(city_id, False)) and has_data
            if not has_data:
                colors.append(NO_DATA_COLOR)
            elif uncertain:
                colors.append(NOT_SIGNIFICANT_COLOR)
            else:
                colors.append(cmap(norm(value)))
            missing.append(not has_data)
        draw_cities(ax, list(geometry.paths.values()), colors, np.array(missing), 0.3)
        if geometry.outlines:
            ax.add_collection(
                LineCollection(geometry.outlines, colors="#222222", linewidths=0.7, zorder=2)
            )
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(geometry.aspect)
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"({letters[k]}) {scenario_title(group)}", pad=3)
        movers = _largest_clear_differences(
            frame, set(geometry.paths), LABELLED_MIN_SHARE * vmax
        )
        points = np.array([geometry.anchors[c] for c in movers]).reshape(-1, 2)
        texts = city_labels(
            ax,
            points,
            [map_label(c, geometry, names, language) for c in movers],
            SMALL_FONT_SIZE - 0.5,
            **font,
        )
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
        Line2D([], [], color="#222222", linewidth=0.7, label="Province border"),
        Patch(
            facecolor=NOT_SIGNIFICANT_COLOR,
            edgecolor="#8c8c8c",
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
    fig.get_layout_engine().execute(fig)  # fix the layout before measuring label extents
    fig.set_layout_engine("none")
    for ax, texts, points in labelled:
        spread_labels(ax, texts, points)
    return save_figure(fig, stem)


def symmetric_limit(values: np.ndarray) -> float:
    """The colour scale's limit: the largest absolute finite value, rounded up.

    Rounded up to 1, 2, 2.5, 5 or 10 times a power of ten; 1 when there is no value.
    """
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(top))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= top * (1 - 1e-12))


def scenario_title(group: str) -> str:
    """A map's title: the group label with the scenario's name capitalised."""
    return group[:1].upper() + group[1:]


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
    *,
    yearly: pd.DataFrame | None = None,
    labels: str = "en",
) -> list[Path]:
    """Write all comparison figures into ``figures_dir`` (PNG and PDF).

    Writes ``timeseries_levels`` (each group's level), and, when the sweep holds the reference,
    ``timeseries`` (differences from the reference over time, absolute and in %, from
    ``yearly``), ``end_year_differences`` and ``map_<metric>_difference`` for each of
    :data:`CITY_MAP_METRICS`. Without a reference, ``timeseries`` shows the levels.

    Returns:
        The written paths.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    written = plot_scenario_timeseries(summary, keys, figures_dir / "timeseries_levels")
    differences_drawn = []
    if yearly is not None and len(yearly):
        differences_drawn = plot_difference_timeseries(
            yearly, keys, reference, figures_dir / "timeseries"
        )
    if not differences_drawn:  # no reference in the sweep: the levels are the time series
        differences_drawn = plot_scenario_timeseries(summary, keys, figures_dir / "timeseries")
    written += differences_drawn
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
                labels=labels,
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
    boundaries unless the runs named another ``data_dir``; the map labels in the language of
    the runs' ``output.city_labels``).
    """
    first = data.used[0].path
    assert first is not None
    config = read_json(first / CONFIG_FILE) or {}
    boundaries = load_region_data(config.get("data_dir")).boundaries
    labels = (config.get("output") or {}).get("city_labels", "en")
    return write_comparison_figures(
        summary,
        diffs,
        city_summary,
        boundaries,
        data.keys,
        reference,
        figures_dir,
        yearly=yearly_differences(data, reference),
        labels=labels,
    )
