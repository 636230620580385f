"""Map geometry (pure numpy): GeoJSON polygons, label points, compound paths, province borders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.path import Path as MplPath

if TYPE_CHECKING:
    pass




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
