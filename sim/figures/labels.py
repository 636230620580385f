"""Labels: short city names, and labels moved clear of each other by adjustText.

Map labels start at each city's label point (:func:`sim.figures.geometry.label_point`) and
scatter labels beside their marker; :func:`spread_labels` (adjustText) then moves overlapping
ones apart and draws a thin leader line to any label moved away from its point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.patheffects as path_effects
import numpy as np
from matplotlib.axes import Axes

from sim.figures.style import PROVINCE_ABBREVIATIONS, SMALL_FONT_SIZE


def short_name(name: str) -> str:
    """Shorten "Suzhou (Jiangsu)" to "Suzhou (JS)" for map labels."""
    for full, short in PROVINCE_ABBREVIATIONS.items():
        name = name.replace(f"({full})", f"({short})")
    return name


def city_labels(
    ax: Axes,
    anchors: np.ndarray,
    labels: Sequence[str],
    fontsize: float = SMALL_FONT_SIZE,
    **text_props: Any,
) -> list:
    """Draw labels centred on ``anchors`` with a white halo; returns the text artists.

    Once the figure's layout is final, :func:`spread_labels` moves overlapping ones apart.
    ``text_props`` are passed to :meth:`~matplotlib.axes.Axes.text` (e.g. a font family).
    """
    halo = [path_effects.withStroke(linewidth=2.0, foreground="white")]
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
            **text_props,
        )
        for (x, y), label in zip(np.asarray(anchors).reshape(-1, 2), labels, strict=True)
    ]


def spread_labels(ax: Axes, texts: list[Any], anchors: np.ndarray | None = None) -> None:
    """Move overlapping labels apart (adjustText), with leader lines to moved labels.

    Call it once the axes' limits and the figure's layout are final (e.g. after
    ``fig.get_layout_engine().execute(fig)``).

    Args:
        ax: The axes holding the labels.
        texts: The text artists (positioned at the points they label).
        anchors: The points to keep labels off (default: the texts' own positions).
    """
    if len(texts) < 2:
        return
    from adjustText import adjust_text  # imports pyplot: only when labels are spread

    points = (
        np.asarray([t.get_position() for t in texts])
        if anchors is None
        else np.asarray(anchors).reshape(-1, 2)
    )
    fig = ax.get_figure(root=True)
    # adjust_text begins with a full (non-rendering) draw of the figure, only to settle artist
    # sizes and the axes' aspect; the layout is final here, so applying the aspect suffices
    # (the draw cost a fifth of the map's time).
    ax.apply_aspect()
    fig.draw_without_rendering = _no_draw  # type: ignore[method-assign]
    try:
        _adjust(adjust_text, ax, texts, points)
    finally:
        del fig.draw_without_rendering


def _no_draw() -> None:
    """Stands in for ``Figure.draw_without_rendering`` while adjustText runs."""


#: adjustText's iterations: a fixed number, not a time limit, so a figure's labels sit at the
#: same places on a busy machine as on a quiet one (the same figure, byte for byte). Its forces
#: settle within ~35 iterations into a two-step oscillation, on the step with fewer overlaps
#: at an odd count on the run maps.
LABEL_ITERATIONS = 41


def _adjust(adjust_text: Any, ax: Axes, texts: list[Any], points: np.ndarray) -> None:
    # adjustText measures in pixels: its steps, pull threshold and shortest leader line are
    # given for 100 dpi and scaled to the figure's resolution, so labels move as far on paper
    # whatever the resolution the layout is computed at.
    scale = ax.get_figure(root=True).dpi / 100.0
    adjust_text(
        texts,
        x=points[:, 0],
        y=points[:, 1],
        target_x=points[:, 0],
        target_y=points[:, 1],
        ax=ax,
        force_text=(0.2, 0.3),
        force_static=(0.05, 0.1),
        expand=(1.08, 1.25),
        ensure_inside_axes=True,
        min_arrow_len=14 * scale,
        max_move=(10 * scale, 10 * scale),
        pull_threshold=10 * scale,
        iter_lim=LABEL_ITERATIONS,
        prevent_crossings=False,
        arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.4, "shrinkA": 0, "shrinkB": 0},
    )
