"""The explorer's drawings as SVG text: the city map and line charts (with bands).

Drawn as SVG in Python, the page needs no plotting library in the browser and no network, a
redraw after a step costs a few milliseconds, and what is drawn can be read back from the
page: every city is a ``<path class="city" data-city=ID data-value=...>``, every link a
``<polyline class="link STATE" data-link=ID>``, every series a ``<polyline class="series"
data-name=... data-values=...>``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.core.data import RegionData
from sim.figures.geometry import geometry_polygons

#: Diverging colours (negative, zero, positive): a blue-white-red ramp.
DIVERGING: tuple[str, ...] = (
    "#2166ac",
    "#67a9cf",
    "#d1e5f0",
    "#f7f7f7",
    "#fddbc7",
    "#ef8a62",
    "#b2182b",
)
#: Sequential colours (low to high).
SEQUENTIAL: tuple[str, ...] = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c", "#00441b")
#: Colours of series by position (scenario first), and of the baseline.
SERIES_COLOURS: tuple[str, ...] = ("#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
BASELINE_COLOUR = "#555555"
MISSING_COLOUR = "#dddddd"


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def ramp(colours: Sequence[str], t: float) -> str:
    """The colour at ``t`` (0..1, clipped) along a ramp of evenly spaced colours."""
    t = min(max(float(t), 0.0), 1.0) * (len(colours) - 1)
    k = min(int(t), len(colours) - 2)
    mix = _hex(colours[k]) * (1 - (t - k)) + _hex(colours[k + 1]) * (t - k)
    return "#" + "".join(f"{round(float(c)):02x}" for c in mix)


@dataclass(frozen=True)
class ColourScale:
    """How values map to colours.

    Attributes:
        low: Value at the low end.
        high: Value at the high end.
        diverging: Centred on zero with :data:`DIVERGING` (else :data:`SEQUENTIAL`).
    """

    low: float
    high: float
    diverging: bool = False

    @classmethod
    def for_values(cls, values: Sequence[float], *, diverging: bool = False) -> ColourScale:
        """A scale spanning the finite values (symmetric about zero when diverging)."""
        finite = [v for v in values if v is not None and math.isfinite(v)]
        if not finite:
            return cls(-1.0, 1.0, diverging) if diverging else cls(0.0, 1.0)
        if diverging:
            extent = max(abs(min(finite)), abs(max(finite))) or 1.0
            return cls(-extent, extent, True)
        low, high = min(finite), max(finite)
        return cls(low, high if high > low else low + 1.0)

    def colour(self, value: float | None) -> str:
        """The fill of ``value`` (grey when missing or not finite)."""
        if value is None or not math.isfinite(value):
            return MISSING_COLOUR
        t = (value - self.low) / (self.high - self.low)
        return ramp(DIVERGING if self.diverging else SEQUENTIAL, t)


@dataclass(frozen=True)
class MapGeometry:
    """The cities projected onto the page (equirectangular about the region's mid-latitude).

    Attributes:
        width: Drawing width (px).
        height: Drawing height (px).
        paths: SVG path data of each city's boundary by city id.
        centres: Each city's centre (x, y) by city id.
        names: English names by city id.
    """

    width: float
    height: float
    paths: dict[str, str]
    centres: dict[str, tuple[float, float]]
    names: dict[str, str]


#: Projected geometries by (id of the data, width), with the data they belong to.
_GEOMETRIES: dict[tuple[int, float], tuple[RegionData, MapGeometry]] = {}


def _geometry(data: RegionData, width: float) -> MapGeometry:
    polygons = {
        str(f["properties"]["id"]): geometry_polygons(f.get("geometry") or {})
        for f in data.boundaries["features"]
    }
    rings = [r for polys in polygons.values() for rings in polys for r in rings]
    points = np.concatenate(rings)
    lon0, lon1 = points[:, 0].min(), points[:, 0].max()
    lat0, lat1 = points[:, 1].min(), points[:, 1].max()
    squeeze = math.cos(math.radians(0.5 * (lat0 + lat1)))
    margin = 6.0
    k = (width - 2 * margin) / ((lon1 - lon0) * squeeze)
    height = (lat1 - lat0) * k + 2 * margin

    def xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return margin + (lon - lon0) * squeeze * k, margin + (lat1 - lat) * k

    paths = {}
    for city, polys in polygons.items():
        parts = []
        for poly in polys:
            for ring in poly:
                x, y = xy(ring[:, 0], ring[:, 1])
                coords = " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
                parts.append(f"M{coords} Z")
        paths[city] = " ".join(parts)
    frame = data.cities
    cx, cy = xy(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    centres = {c: (float(a), float(b)) for c, a, b in zip(frame["id"], cx, cy, strict=True)}
    names = dict(zip(frame["id"], frame["name_en"], strict=True))
    return MapGeometry(width, height, paths, centres, names)


def map_geometry(data: RegionData, width: float = 560.0) -> MapGeometry:
    """The projected boundaries of ``data``'s cities (computed once per data and width)."""
    known = _GEOMETRIES.get((id(data), width))
    if known is None or known[0] is not data:
        known = _GEOMETRIES[(id(data), width)] = (data, _geometry(data, width))
    return known[1]


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}"


@dataclass(frozen=True)
class LinkDrawing:
    """A link as the map draws it.

    Attributes:
        link_id: The link's id.
        name: Its English name (the id for a new link of a scenario).
        stops: City ids along it.
        state: ``open``, ``new`` (opened this year) or ``planned`` (opens later in the run).
        year: Its opening year in the run (``None``: never).
    """

    link_id: str
    name: str
    stops: tuple[str, ...]
    state: str
    year: int | None = None


#: Stroke of each link state: colour, width, dash.
LINK_STYLES: dict[str, tuple[str, float, str]] = {
    "open": ("#444444", 1.2, ""),
    "planned": ("#888888", 1.0, "4 3"),
    "new": ("#ff00aa", 3.5, ""),
}


def map_svg(
    geometry: MapGeometry,
    values: Mapping[str, float],
    scale: ColourScale,
    *,
    title: str,
    unit: str,
    year: int,
    links: Sequence[LinkDrawing] = (),
    faded: Mapping[str, bool] | None = None,
    svg_id: str = "yrd-map",
) -> str:
    """The map: cities filled by ``values``, links on top, a legend and a title.

    Args:
        geometry: The projected boundaries.
        values: Value of each city by id (missing: grey).
        scale: Colour scale of the values.
        title: Title above the map.
        unit: Unit of the values (legend).
        year: The year shown (``data-year`` of the drawing).
        links: Links to draw (``new`` ones highlighted and named).
        faded: Cities drawn pale with a hatch (e.g. an interval that includes zero).
        svg_id: Id of the ``<svg>`` element.
    """
    legend_h = 46.0
    top = 22.0
    width, height = geometry.width, geometry.height + top + legend_h
    out = [
        f'<svg id="{svg_id}" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" data-year="{year}" '
        'style="font-family: sans-serif; font-size: 11px; max-width: 100%; height: auto">',
        f'<defs><pattern id="{svg_id}-hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="5" stroke="#777" '
        'stroke-width="1"/></pattern></defs>',
        f'<text x="4" y="15" font-size="13" font-weight="bold">{html.escape(title)}, {year}</text>',
        f'<g transform="translate(0,{top})">',
    ]
    for city, d in geometry.paths.items():
        value = values.get(city)
        fill = scale.colour(value)
        name = html.escape(geometry.names.get(city, city))
        out.append(
            f'<path class="city" data-city="{city}" data-value="{_fmt(value, 3)}" d="{d}" '
            f'fill="{fill}" fill-rule="evenodd" stroke="#9a9a9a" stroke-width="0.5">'
            f"<title>{name}: {_fmt(value)} {html.escape(unit)}</title></path>"
        )
        if faded and faded.get(city):
            out.append(
                f'<path class="hatched" d="{d}" fill="url(#{svg_id}-hatch)" fill-opacity="0.6"/>'
            )
    order = {"planned": 0, "open": 1, "new": 2}
    for link in sorted(links, key=lambda lk: order.get(lk.state, 1)):
        colour, stroke, dash = LINK_STYLES.get(link.state, LINK_STYLES["open"])
        points = " ".join(
            f"{geometry.centres[s][0]:.1f},{geometry.centres[s][1]:.1f}"
            for s in link.stops
            if s in geometry.centres
        )
        when = "" if link.year is None else f" ({link.year})"
        out.append(
            f'<polyline class="link {link.state}" data-link="{html.escape(link.link_id)}" '
            f'points="{points}" fill="none" stroke="{colour}" stroke-width="{stroke}" '
            f'stroke-dasharray="{dash}" stroke-linecap="round" opacity="0.85">'
            f"<title>{html.escape(link.name)}{when}</title></polyline>"
        )
    for link in links:
        stops = [geometry.centres[s] for s in link.stops if s in geometry.centres]
        if link.state == "new" and stops:
            x, y = max(stops, key=lambda p: p[0])  # beside its eastern end, pointing inwards
            anchor, dx = ("end", -6) if x > 0.55 * width else ("start", 6)
            out.append(
                f'<text class="new-link-label" x="{x + dx:.1f}" y="{y - 6:.1f}" '
                f'text-anchor="{anchor}" fill="#b0007a" font-weight="bold" stroke="#ffffff" '
                f'stroke-width="3" paint-order="stroke">new: {html.escape(link.name)}</text>'
            )
    out.append("</g>")
    out.append(_legend(scale, unit, 26.0, geometry.height + top + 8, min(300.0, width - 120)))
    out.append("</svg>")
    return "".join(out)


def _legend(scale: ColourScale, unit: str, x: float, y: float, width: float) -> str:
    steps = 24
    cells = []
    for k in range(steps):
        value = scale.low + (scale.high - scale.low) * (k + 0.5) / steps
        cells.append(
            f'<rect x="{x + k * width / steps:.1f}" y="{y:.1f}" width="{width / steps + 0.5:.1f}" '
            f'height="10" fill="{scale.colour(value)}"/>'
        )
    ticks = (scale.low, 0.5 * (scale.low + scale.high), scale.high)
    labels = [
        f'<text x="{x + width * t:.1f}" y="{y + 23:.1f}" text-anchor="middle">'
        f"{_fmt(v, 1 if abs(v) < 100 else 0)}</text>"
        for t, v in zip((0.0, 0.5, 1.0), ticks, strict=True)
    ]
    return (
        '<g class="legend">'
        + "".join(cells)
        + "".join(labels)
        + f'<text x="{x + width + 8:.1f}" y="{y + 9:.1f}">{html.escape(unit)}</text></g>'
    )


@dataclass(frozen=True)
class Series:
    """One line of a chart, with an optional band.

    Attributes:
        name: Legend name.
        x: Years.
        y: Values (NaN: a gap).
        colour: Stroke colour.
        dashed: Drawn dashed (e.g. the baseline).
        low: Lower edge of a band (same length as ``y``), or ``None``.
        high: Upper edge of a band, or ``None``.
    """

    name: str
    x: Sequence[float]
    y: Sequence[float]
    colour: str
    dashed: bool = False
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.ceil(low / step) * step
    return [start + k * step for k in range(int((high - start) / step + 1e-9) + 1)]


def _tick_label(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e4:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def line_chart_svg(
    title: str,
    unit: str,
    series: Sequence[Series],
    *,
    x_range: tuple[float, float],
    width: float = 300.0,
    height: float = 170.0,
    key: str = "",
) -> str:
    """A small line chart: axes with round ticks, bands under lines, a legend.

    Args:
        title: Title above the chart.
        unit: The y axis's unit.
        series: The lines (the first is drawn last, on top).
        x_range: The x axis's range (fixed so that the chart does not move as years pass).
        width: Width (px).
        height: Height (px).
        key: ``data-metric`` of the ``<svg>`` element.
    """
    left, right, top, bottom = 46.0, 16.0, 30.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [
        v
        for s in series
        for seq in (s.y, s.low or (), s.high or ())
        for v in seq
        if v is not None and math.isfinite(v)
    ]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high - low < 1e-12 * max(1.0, abs(high)):
        pad = abs(high) * 0.05 or 1.0
        low, high = low - pad, high + pad
    else:
        pad = 0.06 * (high - low)
        low, high = low - pad, high + pad
    x0, x1 = x_range
    x1 = x1 if x1 > x0 else x0 + 1

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + (high - y) / (high - low) * plot_h

    out = [
        f'<svg class="yrd-series" data-metric="{html.escape(key)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        'style="font-family: sans-serif; font-size: 10px; max-width: 100%; height: auto">',
        f'<text x="4" y="12" font-size="12" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="4" y="24" fill="#555">{html.escape(unit)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#bbb"/>',
    ]
    for tick in nice_ticks(low, high):
        y = py(tick)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end">{_tick_label(tick)}</text>'
        )
    for tick in nice_ticks(x0, x1, 3):
        if float(tick).is_integer():
            x = px(tick)
            out.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 12}" text-anchor="middle">{int(tick)}</text>'
            )
    for s in series:
        if s.low is None or s.high is None:
            continue
        pairs = [
            (x, lo, hi)
            for x, lo, hi in zip(s.x, s.low, s.high, strict=True)
            if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi)
        ]
        if len(pairs) >= 2:
            upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in pairs)
            lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(pairs))
            out.append(
                f'<polygon class="band" data-name="{html.escape(s.name)}" '
                f'points="{upper} {lower}" fill="{s.colour}" fill-opacity="0.18" stroke="none"/>'
            )
    for s in reversed(series):
        points = [
            (x, y) for x, y in zip(s.x, s.y, strict=True) if y is not None and math.isfinite(y)
        ]
        text = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        data = ",".join(f"{y:.6g}" for _, y in points)
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        out.append(
            f'<polyline class="series" data-name="{html.escape(s.name)}" data-values="{data}" '
            f'points="{text}" fill="none" stroke="{s.colour}" stroke-width="1.8"{dash}/>'
        )
        if len(points) == 1:
            x, y = points[0]
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{s.colour}"/>')
    x = left
    for s in series:
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        label = html.escape(s.name)
        out.append(
            f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{height - 8}" y2="{height - 8}" '
            f'stroke="{s.colour}" stroke-width="2"{dash}/>'
            f'<text x="{x + 17:.1f}" y="{height - 5}">{label}</text>'
        )
        x += 24 + 5.6 * len(s.name)
    out.append("</svg>")
    return "".join(out)
