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

Only matplotlib is used for the map: polygons are drawn as :class:`~matplotlib.patches.PathPatch`
objects (holes are cut out by giving interior rings the opposite orientation), and province
outlines are derived from the city borders by dropping the border segments shared by two cities
of the same province. This needs topologically consistent boundaries (shared borders with
identical vertices, as in ``sim/data/yrd_cities.geojson``); otherwise every city border is also
drawn as a province border, which is ugly but not wrong.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import matplotlib
import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from sim.runs.atomic import write_atomic

if TYPE_CHECKING:
    from sim.core.data import RegionData
    from sim.core.run import SimulationResult

# Select the non-interactive backend only when nobody has chosen one yet: switching backends after
# pyplot has been imported would close the caller's figures, and MPLBACKEND is an explicit choice.
# (None of the imports above loads pyplot.) The figures below never use pyplot anyway: they are
# drawn on an Agg canvas attached explicitly, so they render identically under any backend.
if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

__all__ = [
    "plot_headline_timeseries",
    "plot_net_migration",
    "plot_population_change_map",
    "write_run_figures",
]

# --------------------------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------------------------

PNG_DPI = 200
"""Resolution of the PNG files."""

BASE_FONT_SIZE = 9.0
"""Smallest font size (pt) used anywhere; figures are never scaled after saving."""

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
_OTHER_PROVINCE_COLOR = "#999999"

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
"""Margin (inches) around the tight bounding box of a saved figure."""


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


# --------------------------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------------------------


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


def _year_span(first: int, last: int) -> str:
    return f"{first}\u2013{last}" if first != last else f"{first}"


def short_name(name: str) -> str:
    """Shorten "Suzhou (Jiangsu)" to "Suzhou (JS)" for map labels."""
    for full, short in PROVINCE_ABBREVIATIONS.items():
        name = name.replace(f"({full})", f"({short})")
    return name


# --------------------------------------------------------------------------------------------
# Geometry helpers (pure numpy)
# --------------------------------------------------------------------------------------------


def geometry_polygons(geometry: dict) -> list[list[np.ndarray]]:
    """Return the polygons of a GeoJSON geometry as lists of rings (exterior first)."""
    if not geometry:
        return []
    kind = geometry.get("type")
    coords = geometry.get("coordinates", [])
    if kind == "Polygon":
        polys = [coords]
    elif kind == "MultiPolygon":
        polys = coords
    elif kind == "GeometryCollection":
        return [p for g in geometry.get("geometries", []) for p in geometry_polygons(g)]
    else:
        return []
    out = []
    for poly in polys:
        rings = [np.asarray(r, dtype=float)[:, :2] for r in poly if len(r) >= 3]
        if rings:
            out.append(rings)
    return out


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _ring_centroid(ring: np.ndarray) -> tuple[float, float]:
    """Area centroid of a simple ring (falls back to the vertex mean for degenerate rings)."""
    x, y = ring[:, 0], ring[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-12:
        return float(x.mean()), float(y.mean())
    return float(((x + xn) * cross).sum() / (6 * area)), float(
        ((y + yn) * cross).sum() / (6 * area)
    )


def label_point(rings: list[np.ndarray]) -> tuple[float, float]:
    """Label anchor: centroid of the largest exterior ring, moved inside if it falls outside.

    For concave rings whose centroid lies outside, the anchor is the midpoint of the widest
    horizontal chord through the centroid's latitude (or through the ring's mid-latitude).
    """
    exteriors = [p[0] for p in rings]
    ring = max(exteriors, key=lambda r: abs(_signed_area(r)))
    cx, cy = _ring_centroid(ring)
    if MplPath(ring).contains_point((cx, cy)):
        return cx, cy
    for y in (cy, 0.5 * (ring[:, 1].min() + ring[:, 1].max())):
        xs = _chord_crossings(ring, y)
        if len(xs) >= 2:
            pairs = list(zip(xs[::2], xs[1::2], strict=False))
            a, b = max(pairs, key=lambda ab: ab[1] - ab[0])
            return 0.5 * (a + b), y
    return cx, cy


def _chord_crossings(ring: np.ndarray, y: float) -> list[float]:
    """Sorted x-coordinates where the horizontal line at ``y`` crosses the ring."""
    p, q = ring, np.roll(ring, -1, axis=0)
    y0, y1 = p[:, 1], q[:, 1]
    hit = (y0 <= y) != (y1 <= y)
    t = (y - y0[hit]) / (y1[hit] - y0[hit])
    return sorted((p[hit, 0] + t * (q[hit, 0] - p[hit, 0])).tolist())


def compound_path(polys: list[list[np.ndarray]]) -> MplPath:
    """One matplotlib Path for a (multi)polygon; interior rings are reversed to cut holes."""
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for rings in polys:
        for i, ring in enumerate(rings):
            ccw = _signed_area(ring) > 0
            # Exterior counter-clockwise, holes clockwise: holes stay empty under both the
            # non-zero and the even-odd fill rule.
            if (i == 0) != ccw:
                ring = ring[::-1]
            if not np.allclose(ring[0], ring[-1]):
                ring = np.vstack([ring, ring[:1]])
            c = np.full(len(ring), MplPath.LINETO, dtype=MplPath.code_type)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            vertices.append(ring)
            codes.append(c)
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _point_segment_distance(points: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Distance from each point (n, 2) to the nearest of the segments (m, 2, 2)."""
    a, b = seg[None, :, 0, :], seg[None, :, 1, :]
    ab = b - a
    ap = points[:, None, :] - a
    denom = np.maximum((ab * ab).sum(-1), 1e-18)
    t = np.clip((ap * ab).sum(-1) / denom, 0.0, 1.0)
    d = ap - t[..., None] * ab
    return np.sqrt((d * d).sum(-1)).min(axis=1)


def province_border_segments(features: Sequence[dict], tolerance: float = 0.02) -> np.ndarray:
    """Border segments that separate provinces (or face the outside), shape (n, 2, 2).

    A segment is an internal (same-province) border, and is dropped, if it also belongs to the
    boundary of another city of the same province: either exactly (same two vertices) or, for
    boundaries whose shared borders were simplified independently, if its midpoint lies within
    ``tolerance`` degrees of that city's boundary.
    """
    city_segments: list[np.ndarray] = []
    city_province: list[str] = []
    owners: dict[tuple[tuple[float, float], tuple[float, float]], set[int]] = defaultdict(set)
    for feature in features:
        props = feature.get("properties") or {}
        segs = []
        for rings in geometry_polygons(feature.get("geometry") or {}):
            for ring in rings:
                r = np.round(ring, 6)
                segs.append(np.stack([r[:-1], r[1:]], axis=1))
        if not segs:
            continue
        seg = np.concatenate(segs)
        seg = seg[(seg[:, 0] != seg[:, 1]).any(axis=1)]
        k = len(city_segments)
        city_segments.append(seg)
        city_province.append(str(props.get("province", "")))
        for a, b in seg:
            owners[_key(a, b)].add(k)

    keep: list[np.ndarray] = []
    for k, seg in enumerate(city_segments):
        internal = np.zeros(len(seg), dtype=bool)
        loose = np.zeros(len(seg), dtype=bool)
        for i, (a, b) in enumerate(seg):
            others = owners[_key(a, b)] - {k}
            if others:
                # Exactly shared: draw it once (from the lower index) if the provinces differ.
                j = min(others)
                internal[i] = city_province[j] == city_province[k] or j < k
            else:
                loose[i] = True
        # Segments not shared exactly: do they run along a same-province neighbour's border?
        if loose.any():
            mid = seg[loose].mean(axis=1)
            lo, hi = mid.min(axis=0) - tolerance, mid.max(axis=0) + tolerance
            near = np.zeros(len(mid), dtype=bool)
            for j, other in enumerate(city_segments):
                if j == k or city_province[j] != city_province[k]:
                    continue
                box = other.reshape(-1, 2)
                if (box.max(axis=0) < lo).any() or (box.min(axis=0) > hi).any():
                    continue
                near |= _point_segment_distance(mid, other) < tolerance
            idx = np.flatnonzero(loose)
            internal[idx[near]] = True
        keep.append(seg[~internal])
    if not keep:
        return np.empty((0, 2, 2))
    return np.concatenate(keep)


def _key(a: np.ndarray, b: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    ta, tb = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
    return (ta, tb) if ta < tb else (tb, ta)


# --------------------------------------------------------------------------------------------
# Figure 1: population change map
# --------------------------------------------------------------------------------------------


@dataclass
class _MapCity:
    city_id: str
    label: str
    path: MplPath
    anchor: tuple[float, float]
    value: float


#: Candidate label offsets (points) around a marker, nearest first.
_LABEL_CANDIDATES = [
    (dx * r, dy * r)
    for r in (1.0, 2.0, 3.2, 4.6, 6.2)
    for dx, dy in ((4, 0), (-4, 0), (3, 3), (-3, 3), (3, -3), (-3, -3), (0, 4), (0, -4))
]


def place_labels_beside_markers(ax: Axes, annotations: list[Any]) -> None:
    """Move each label of a scatter plot beside its marker, clear of other markers and labels.

    ``annotations`` are ``ax.annotate(name, xy, textcoords="offset points")`` labels; each is
    moved to the candidate offset (nearest first) that overlaps least with the markers and the
    labels already placed, and one moved far from its marker gets a leader line. Call it once
    the axes' limits and layout are final. (Map labels, centred on their polygons, are spread
    by :func:`repel_labels` instead.)

    Greedy: labels are placed one by one, each at the first candidate (nearest first) with the
    least overlap in display space with the markers and with the labels already placed.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_display = ax.transData.transform
    markers = [to_display(a.xy) for a in annotations]
    placed: list[Any] = []

    def overlap(box: Any) -> float:
        area = sum(
            max(0.0, min(box.x1, b.x1) - max(box.x0, b.x0))
            * max(0.0, min(box.y1, b.y1) - max(box.y0, b.y0))
            for b in placed
        )
        pad = 4.0 * fig.dpi / 72
        hits = sum(
            box.x0 - pad < mx < box.x1 + pad and box.y0 - pad < my < box.y1 + pad
            for mx, my in markers
        )
        return area + hits * 1e4

    for annotation in annotations:
        best, best_cost = None, np.inf
        for dx, dy in _LABEL_CANDIDATES:
            annotation.set_position((dx, dy))
            annotation.set_ha("left" if dx > 0 else "right" if dx < 0 else "center")
            annotation.set_va("bottom" if dy > 0 else "top" if dy < 0 else "center")
            box = annotation.get_window_extent(renderer)
            cost = overlap(box)
            if cost < best_cost:
                best, best_cost = (dx, dy, annotation.get_ha(), annotation.get_va()), cost
            if cost == 0:
                break
        assert best is not None
        annotation.set_position(best[:2])
        annotation.set_ha(best[2])
        annotation.set_va(best[3])
        if max(abs(best[0]), abs(best[1])) > 6:  # a label moved away gets a leader line
            ax.annotate(
                "",
                annotation.xy,
                xytext=best[:2],
                textcoords="offset points",
                arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.4, "shrinkA": 0},
            )
        placed.append(annotation.get_window_extent(renderer))


def city_labels(ax: Axes, anchors: np.ndarray, labels: Sequence[str], fontsize: float) -> list:
    """Draw map labels centred on ``anchors`` with a white halo; returns the text artists.

    After the figure's layout is fixed (``fig.canvas.draw()``), :func:`repel_labels` moves
    overlapping ones apart.
    """
    halo = [path_effects.withStroke(linewidth=2.2 * fontsize / BASE_FONT_SIZE, foreground="white")]
    return [
        ax.text(
            x,
            y,
            label,
            fontsize=fontsize,
            ha="center",
            va="center",
            color="#111111",
            path_effects=halo,
            zorder=5,
        )
        for (x, y), label in zip(anchors, labels, strict=True)
    ]


def repel_labels(
    ax: Axes,
    texts: list[Any],
    anchors: np.ndarray,
    iterations: int = 200,
    pad_px: float = 1.5,
) -> None:
    """Nudge overlapping labels apart (simple pairwise repulsion in display space).

    Labels move only as far as needed; a thin leader line is drawn for labels that end up
    noticeably far from their anchor.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_disp = ax.transData
    to_data = ax.transData.inverted()
    pos = to_disp.transform(anchors)  # label centres in display pixels
    start = pos.copy()
    sizes = []
    for t in texts:
        bb = t.get_window_extent(renderer=renderer)
        sizes.append((bb.width + 2 * pad_px, bb.height + 2 * pad_px))
    wh = np.asarray(sizes)
    n = len(texts)
    for _ in range(iterations):
        moved = False
        shift = np.zeros_like(pos)
        for i in range(n):
            for j in range(i + 1, n):
                dx = pos[j, 0] - pos[i, 0]
                dy = pos[j, 1] - pos[i, 1]
                ox = 0.5 * (wh[i, 0] + wh[j, 0]) - abs(dx)
                oy = 0.5 * (wh[i, 1] + wh[j, 1]) - abs(dy)
                if ox > 0 and oy > 0:
                    moved = True
                    # Separate along the axis of least overlap (usually vertical).
                    if oy <= ox:
                        s = (oy / 2 + 0.5) * (1 if dy >= 0 else -1)
                        shift[i, 1] -= s
                        shift[j, 1] += s
                    else:
                        s = (ox / 2 + 0.5) * (1 if dx >= 0 else -1)
                        shift[i, 0] -= s
                        shift[j, 0] += s
        if not moved:
            break
        # Weak spring back to the anchor keeps labels close to their city.
        pos += 0.6 * shift + 0.02 * (start - pos)
    for t, p, s, size in zip(texts, pos, start, wh, strict=True):
        t.set_position(to_data.transform(p))
        if np.hypot(*(p - s)) > 0.6 * size[1]:
            xy = to_data.transform(np.vstack([s, p]))
            ax.add_line(Line2D(xy[:, 0], xy[:, 1], color="#333333", linewidth=0.5, zorder=4))


@styled
def plot_population_change_map(cities: pd.DataFrame, boundaries: dict, stem: Path) -> list[Path]:
    """Choropleth map of the population change (%) of each city over the run.

    The change is measured between the first and the last year in ``cities``. Colours use a
    diverging colour-blind-safe map (ColorBrewer RdBu: red = decline, blue = growth) with limits
    symmetric around 0, so equal colour intensity means an equal absolute change; the colour bar
    is cropped to the observed range. Cities without data (missing in ``cities`` or with zero
    initial population) are drawn in light grey and listed in the legend as "No data".

    Args:
        cities: One row per (year, city_id) with at least ``year``, ``city_id`` and
            ``population``; ``name_en`` (label) and ``province`` are used if present.
        boundaries: GeoJSON FeatureCollection of the city polygons (lon/lat degrees); each
            feature's ``properties.id`` matches ``city_id`` and ``properties.province`` (optional)
            is used for the thicker province outlines.
        stem: Output path without suffix.

    Returns:
        Paths of the written PNG and PDF files.

    Raises:
        ValueError: If ``cities`` lacks required columns or ``boundaries`` has no polygons.
    """
    change, first, last = _population_change(cities)
    names = change["name"].to_dict()
    pct = change["change_pct"].to_dict()
    provinces = change["province"].dropna().astype(str).to_dict()

    # Province of each polygon: from the GeoJSON, else from ``cities``.
    features = [
        {
            "geometry": f["geometry"],
            "properties": {
                **(f.get("properties") or {}),
                "province": (f.get("properties") or {}).get("province")
                or provinces.get(str((f.get("properties") or {}).get("id", ""))),
            },
        }
        for f in boundaries.get("features", [])
        if f.get("geometry")
    ]
    has_provinces = any(f["properties"]["province"] for f in features)
    drawn: list[_MapCity] = []
    for feature in features:
        props = feature.get("properties") or {}
        city_id = str(props.get("id", ""))
        polys = geometry_polygons(feature["geometry"])
        if not polys:
            continue
        name = names.get(city_id) or props.get("name_en") or city_id
        drawn.append(
            _MapCity(
                city_id=city_id,
                label=short_name(str(name)),
                path=compound_path(polys),
                anchor=label_point(polys),
                value=float(pct.get(city_id, np.nan)),
            )
        )
    if not drawn:
        raise ValueError("boundaries contains no Polygon/MultiPolygon features")

    all_xy = np.concatenate([c.path.vertices for c in drawn])
    (x0, y0), (x1, y1) = all_xy.min(axis=0), all_xy.max(axis=0)
    mean_lat = 0.5 * (y0 + y1)
    aspect = 1.0 / math.cos(math.radians(mean_lat))

    values = np.array([c.value for c in drawn])
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    vmax = max(abs(lo), abs(hi))
    if vmax == 0:
        vmax = 1.0
    norm = mcolors.Normalize(vmin=-vmax, vmax=vmax)
    cmap = matplotlib.colormaps[DIVERGING_CMAP]

    width_in = 7.0
    map_height = width_in * 0.86 * (y1 - y0) * aspect / (x1 - x0)
    fig = new_figure((width_in, map_height))
    ax = fig.add_subplot()
    for c in drawn:
        has_data = bool(np.isfinite(c.value))
        ax.add_patch(
            PathPatch(
                c.path,
                facecolor=cmap(norm(c.value)) if has_data else NO_DATA_COLOR,
                edgecolor="#8c8c8c",
                linewidth=0.35,
                hatch=None if has_data else NO_DATA_HATCH,
                zorder=1,
            )
        )
    segments = province_border_segments(features) if has_provinces else np.empty((0, 2, 2))
    if len(segments):
        ax.add_collection(
            LineCollection(
                segments,
                colors="#222222",
                linewidths=1.0,
                capstyle="round",
                joinstyle="round",
                zorder=2,
            )
        )

    pad_x, pad_y = 0.02 * (x1 - x0), 0.02 * (y1 - y0)
    ax.set_xlim(x0 - pad_x, x1 + pad_x)
    ax.set_ylim(y0 - pad_y, y1 + pad_y)
    ax.set_aspect(aspect)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}\u00b0E"))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}\u00b0N"))
    ax.xaxis.set_major_locator(ticker.MultipleLocator(2))
    ax.yaxis.set_major_locator(ticker.MultipleLocator(2))
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)

    texts = city_labels(
        ax, np.array([c.anchor for c in drawn]), [c.label for c in drawn], BASE_FONT_SIZE
    )

    mappable = ScalarMappable(norm=norm, cmap=cmap)
    cbar = fig.colorbar(mappable, ax=ax, shrink=0.7, aspect=30, pad=0.02)
    cbar.set_label(f"Population change {_year_span(first, last)} (%)")
    if lo == hi == 0.0:
        cbar.ax.set_ylim(-vmax, vmax)
    else:
        cbar.ax.set_ylim(min(lo, 0.0), max(hi, 0.0))
    cbar.ax.axhline(0.0, color="#222222", linewidth=0.6)
    cbar.outline.set_linewidth(0.5)

    handles = [
        Line2D([], [], color="#8c8c8c", linewidth=0.6, label="City border"),
    ]
    if len(segments):
        handles.insert(0, Line2D([], [], color="#222222", linewidth=1.0, label="Province border"))
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

    fig.canvas.draw()  # fix the layout before measuring label extents
    fig.set_layout_engine("none")
    repel_labels(ax, texts, np.array([c.anchor for c in drawn]))
    return save_figure(fig, stem)


# --------------------------------------------------------------------------------------------
# Figure 2: headline indicators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Indicator:
    column: str
    title: str
    ylabel: str
    scale: float = 1.0
    flow: bool = False


#: Headline indicators in display order: column, panel title, y label (unit), scale factor.
HEADLINE_INDICATORS: tuple[_Indicator, ...] = (
    _Indicator("population", "Population", "Million persons", 1e-6),
    _Indicator("gdp", "GDP", "RMB trillion", 1e-3),
    _Indicator("gdp_per_capita", "GDP per capita", "Thousand RMB per person", 1e-3),
    _Indicator("migrants", "Inter-city migrants", "Thousand persons per year", 1e-3, flow=True),
    _Indicator("innovations", "Innovations", "Count per year", 1.0, flow=True),
    _Indicator("voucher_spend", "Voucher spending", "RMB million per year", 1.0, flow=True),
    _Indicator(
        "voucher_cross_region_share",
        "Cross-region vouchers",
        "Share of spending (%)",
        100.0,
        flow=True,
    ),
    _Indicator("mean_travel_time_min", "Mean travel time", "Minutes"),
    _Indicator("theil_gdp_per_capita", "GDP p.c. inequality", "Theil index"),
    _Indicator("central_area_gdppc_ratio", "Central area GDP p.c.", "Ratio to whole region"),
    _Indicator(
        "share_pop_within_60min_shanghai",
        "\u2264 60 min from Shanghai",
        "Share of population (%)",
        100.0,
    ),
)

CENTRAL_AREA_TARGET = 1.2
"""Upper bound of the central-area GDP-per-capita ratio in the 2019 YRD Outline (2025 target)."""


def year_locator(first: int, last: int) -> ticker.Locator:
    """Year ticks at a round step (1, 2, 5, 10, ...) giving at most about five labels."""
    span = max(last - first, 1)
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if span / s <= 5), 100)
    return ticker.MultipleLocator(step)


def _panel_no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", va="center", color="#666666")
    ax.set_yticks([])


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
    fig = new_figure((7.2, 0.4 + 2.05 * nrows))
    fig.get_layout_engine().set(w_pad=0.06, h_pad=0.06, wspace=0.08, hspace=0.1)
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
            _panel_no_data(ax)
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


def plain_formatter() -> ticker.ScalarFormatter:
    """Tick labels with a common number of decimals, no offset and no scientific notation."""
    fmt = ticker.ScalarFormatter(useOffset=False)
    fmt.set_scientific(False)
    return fmt


# --------------------------------------------------------------------------------------------
# Figure 3: population change by city
# --------------------------------------------------------------------------------------------


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

    fig = new_figure((6.0, 1.0 + 0.2 * max(n, 5)))
    ax = fig.add_subplot()
    ypos = np.arange(n)
    colors = [PROVINCE_COLORS.get(p, _OTHER_PROVINCE_COLOR) for p in change["province"]]
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
    ax.set_yticks(ypos, labels=change["name"].tolist())
    ax.tick_params(axis="y", length=0, pad=3)
    ax.set_ylim(-0.7, n - 0.3)
    ax.axvline(0.0, color="#333333", linewidth=0.7, zorder=4)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    ax.xaxis.set_major_formatter(plain_formatter())
    ax.set_xlabel(f"Population change {_year_span(first, last)} (thousand persons)")
    lo, hi = ax.get_xlim()
    ax.set_xlim(min(lo, 0.0), max(hi, 0.0))

    order = _province_order(change["province"])
    handles = [
        Patch(facecolor=PROVINCE_COLORS.get(p, _OTHER_PROVINCE_COLOR), label=p) for p in order
    ]
    if order == ["Other"]:  # no province information: a one-entry legend says nothing
        return save_figure(fig, stem)
    ax.legend(
        handles=handles,
        title="Province",
        loc="best",
        frameon=True,
        framealpha=0.95,
        edgecolor="none",
        title_fontsize=BASE_FONT_SIZE,
    )
    return save_figure(fig, stem)


# --------------------------------------------------------------------------------------------
# All figures of a run
# --------------------------------------------------------------------------------------------


def write_run_figures(
    metrics: pd.DataFrame, cities: pd.DataFrame, boundaries: dict, figures_dir: Path
) -> list[Path]:
    """Write all figures of one run into ``figures_dir``.

    Writes ``population_change_map``, ``headline_indicators`` and ``population_change_by_city``,
    each as PNG and PDF.

    Args:
        metrics: Headline indicators, one row per year (see :func:`plot_headline_timeseries`).
        cities: City panel, one row per (year, city_id) (see :func:`plot_population_change_map`).
        boundaries: GeoJSON FeatureCollection of the city polygons.
        figures_dir: Output directory; created if missing.

    Returns:
        All written file paths.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    written += plot_population_change_map(cities, boundaries, figures_dir / "population_change_map")
    written += plot_headline_timeseries(metrics, figures_dir / "headline_indicators")
    written += plot_net_migration(cities, figures_dir / "population_change_by_city")
    return written


def run_figure_writer(
    result: SimulationResult, data: RegionData
) -> Callable[[Path], list[Path]]:
    """What :func:`sim.runs.output.write_run` calls to draw a run's figures into its folder."""
    return lambda figures_dir: write_run_figures(
        result.metrics, result.cities, data.boundaries, figures_dir
    )
