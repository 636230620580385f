"""Label placement: short city names, labels beside markers, and labels repelled on a map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.patheffects as path_effects
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath

from sim.figures.style import BASE_FONT_SIZE, PROVINCE_ABBREVIATIONS

if TYPE_CHECKING:
    pass




def short_name(name: str) -> str:
    """Shorten "Suzhou (Jiangsu)" to "Suzhou (JS)" for map labels."""
    for full, short in PROVINCE_ABBREVIATIONS.items():
        name = name.replace(f"({full})", f"({short})")
    return name


@dataclass
class MapCity:
    """A city on a map: its id, label, outline, label anchor and the value it is coloured by."""

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
