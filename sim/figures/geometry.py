"""Map geometry: GeoJSON polygons (shapely), label points, matplotlib paths, province outlines.

shapely does the geometry (polygons, the point inside each city where its label goes, the union
of a province's cities); this module only turns its results into matplotlib paths and lines.
:func:`map_geometry` prepares a boundaries file once per process, since every map of a run or a
comparison draws the same cities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from matplotlib.path import Path as MplPath
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


def geometry_polygons(geometry: dict) -> list[list[np.ndarray]]:
    """Return the polygons of a GeoJSON geometry as lists of rings (exterior first)."""
    if not geometry:
        return []
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return []
    return [
        [np.asarray(poly.exterior.coords)[:, :2]]
        + [np.asarray(ring.coords)[:, :2] for ring in poly.interiors]
        for poly in _polygons(geom)
    ]


def _polygons(geom: BaseGeometry) -> list[shapely.Polygon]:
    """The non-empty polygons of a (multi)polygon or geometry collection."""
    if isinstance(geom, shapely.Polygon):
        return [geom] if not geom.is_empty and len(geom.exterior.coords) >= 4 else []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def label_point(rings: list[list[np.ndarray]]) -> tuple[float, float]:
    """Where a city's label goes: the pole of inaccessibility of its largest polygon.

    That point (shapely's ``polylabel``) lies inside the polygon, as far as possible from its
    border, so a label sits in the city even where the city is concave or a ring of islands.
    """
    polygons = [shapely.Polygon(p[0], p[1:]) for p in rings]
    largest = max(polygons, key=lambda p: p.area)
    if not largest.is_valid:
        largest = shapely.make_valid(largest)
        largest = max(_polygons(largest), key=lambda p: p.area)
    span = max(np.ptp(np.asarray(largest.exterior.coords), axis=0))
    point = shapely.ops.polylabel(largest, tolerance=max(span / 200.0, 1e-9))
    return float(point.x), float(point.y)


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


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


def province_outlines(features: Sequence[dict], snap: float = 0.005) -> list[np.ndarray]:
    """The outline of each province: the boundary of the union of its cities' polygons.

    Args:
        features: GeoJSON features with ``properties.province`` (features without one are
            left out).
        snap: Cities are grown by this many degrees before the union and shrunk after, so
            borders simplified independently (tiny gaps or overlaps) still merge.

    Returns:
        The outline rings as ``(n, 2)`` arrays (lon, lat), for a ``LineCollection``.
    """
    by_province: dict[str, list[BaseGeometry]] = defaultdict(list)
    for feature in features:
        province = (feature.get("properties") or {}).get("province")
        if not province or not feature.get("geometry"):
            continue
        try:
            geom = shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
            continue
        by_province[str(province)].append(shapely.make_valid(geom))
    lines: list[np.ndarray] = []
    for parts in by_province.values():
        union = shapely.union_all([p.buffer(snap, join_style="mitre") for p in parts])
        union = union.buffer(-snap, join_style="mitre")
        for poly in _polygons(union):
            if poly.area < snap * snap * 4:  # a sliver the snapping left
                continue
            lines.append(np.asarray(poly.exterior.coords)[:, :2])
            lines += [np.asarray(r.coords)[:, :2] for r in poly.interiors if r.length > 8 * snap]
    return lines


@dataclass(frozen=True)
class MapGeometry:
    """The cities of a boundaries file ready to draw.

    Attributes:
        paths: City id -> matplotlib path of its polygons.
        anchors: City id -> label point (lon, lat).
        names: City id -> (English name, Chinese name) from the GeoJSON properties.
        provinces: City id -> province (``""`` if the file has none).
        outlines: Province outlines (see :func:`province_outlines`).
        extent: ``(x0, y0, x1, y1)`` of all cities.
        aspect: Axes aspect (1 / cos of the mean latitude) for a locally true shape.
    """

    paths: dict[str, MplPath]
    anchors: dict[str, tuple[float, float]]
    names: dict[str, tuple[str, str]]
    provinces: dict[str, str]
    outlines: list[np.ndarray]
    extent: tuple[float, float, float, float]
    aspect: float


_CACHE: list[tuple[dict, dict, MapGeometry]] = []


def map_geometry(boundaries: dict, provinces: dict[str, str] | None = None) -> MapGeometry:
    """Prepare the cities of a GeoJSON FeatureCollection for drawing (cached per object).

    Args:
        boundaries: FeatureCollection whose features have ``properties.id`` and, optionally,
            ``name_en``, ``name_zh`` and ``province``.
        provinces: City id -> province for features whose properties lack one.

    Raises:
        ValueError: No feature holds a polygon.
    """
    provinces = dict(provinces or {})
    for cached, cached_provinces, geometry in _CACHE:
        if cached is boundaries and cached_provinces == provinces:
            return geometry
    paths, anchors, names, of_province = {}, {}, {}, {}
    features = []
    for feature in boundaries.get("features", []):
        polys = geometry_polygons(feature.get("geometry") or {})
        if not polys:
            continue
        props = feature.get("properties") or {}
        city_id = str(props.get("id", ""))
        province = str(props.get("province") or provinces.get(city_id) or "")
        paths[city_id] = compound_path(polys)
        anchors[city_id] = label_point(polys)
        names[city_id] = (str(props.get("name_en") or city_id), str(props.get("name_zh") or ""))
        of_province[city_id] = province
        features.append(
            {"geometry": feature["geometry"], "properties": {**props, "province": province}}
        )
    if not paths:
        raise ValueError("boundaries contains no Polygon/MultiPolygon features")
    xy = np.concatenate([p.vertices for p in paths.values()])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    geometry = MapGeometry(
        paths=paths,
        anchors=anchors,
        names=names,
        provinces=of_province,
        outlines=province_outlines(features) if any(of_province.values()) else [],
        extent=(float(x0), float(y0), float(x1), float(y1)),
        aspect=1.0 / float(np.cos(np.radians(0.5 * (y0 + y1)))),
    )
    _CACHE[:] = [*_CACHE[-3:], (boundaries, provinces, geometry)]
    return geometry
