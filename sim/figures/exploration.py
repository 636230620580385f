"""Figures of a scenario discovery: PRIM's trade-off curve, the chosen box, feature scores."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.figures.style import new_figure, save_figure, styled

if TYPE_CHECKING:
    from sim.analysis.exploration import Discovery


@styled
def plot_tradeoff(found: Discovery, stem: Path) -> list[Path]:
    """Coverage against density of every box of the peeling trajectory; the chosen one ringed."""
    t = found.trajectory
    fig = new_figure((5.2, 4.0))
    ax = fig.add_subplot()
    points = ax.scatter(
        t["coverage"], t["density"], c=t["restricted_dims"], cmap="viridis", s=22, zorder=3
    )
    chosen = t.iloc[found.chosen]
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=130,
        facecolors="none",
        edgecolors="crimson",
        linewidths=1.6,
        zorder=4,
        label=f"chosen box {found.chosen}",
    )
    ax.set_xlabel("Coverage (share of the cases inside the box)")
    ax.set_ylabel("Density (share of the box's points that are cases)")
    ax.set_title(f"PRIM trade-off: {found.condition}", fontsize=9)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize=8)
    bar = fig.colorbar(points, ax=ax)
    bar.set_label("Restricted inputs")
    return save_figure(fig, stem)


@styled
def plot_box(found: Discovery, stem: Path) -> list[Path]:
    """The chosen box's limits on each restricted input, as a share of the sampled range."""
    limits = found.limits
    rows = max(len(limits), 1)
    fig = new_figure((6.4, 0.6 * rows + 1.4))
    ax = fig.add_subplot()
    for y, row in enumerate(limits.itertuples(index=False)):
        ax.plot([0, 1], [y, y], color="0.8", linewidth=6, solid_capstyle="butt")
        if row.values:
            label = f"{{{row.values}}} of {{{row.range_values}}}"
            ax.text(0.5, y, label, ha="center", va="center", fontsize=8)
            continue
        span = row.range_high - row.range_low
        low = (row.low - row.range_low) / span if span else 0.0
        high = (row.high - row.range_low) / span if span else 1.0
        ax.plot([low, high], [y, y], color="tab:blue", linewidth=6, solid_capstyle="butt")
        ax.text(low, y + 0.28, f"{row.low:.3g}", ha="center", fontsize=7)
        ax.text(high, y + 0.28, f"{row.high:.3g}", ha="center", fontsize=7)
    ax.set_yticks(np.arange(len(limits)))
    ax.set_yticklabels([f"{r.factor} ({r.kind})" for r in limits.itertuples(index=False)])
    ax.set_ylim(-0.7, rows - 0.3)
    ax.invert_yaxis()
    ax.set_xlim(-0.05, 1.05)
    ax.set_xlabel("Position in the sampled range (0 = lower bound, 1 = upper bound)")
    s = found.summary()
    ax.set_title(
        f"Box {found.chosen} for {found.condition}: coverage {s['coverage']:.2f}, "
        f"density {s['density']:.2f}",
        fontsize=9,
    )
    return save_figure(fig, stem)


@styled
def plot_scores(found: Discovery, stem: Path) -> list[Path]:
    """Feature scores of every input: for the condition and for each outcome (heat map)."""
    table = found.scores.set_index("factor")
    values = table.to_numpy(dtype=float)
    fig = new_figure((1.0 + 0.62 * table.shape[1], 0.36 * table.shape[0] + 2.6))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="viridis", aspect="auto", vmin=0)
    ax.set_xticks(np.arange(table.shape[1]))
    ax.set_xticklabels(table.columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(np.arange(table.shape[0]))
    ax.set_yticklabels(table.index, fontsize=7)
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6, color="white")
    ax.set_title("Extra-trees feature scores (first column: the condition)", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.6)
    return save_figure(fig, stem)


def write_discovery_figures(folder: Path, found: Discovery) -> list[Path]:
    """The three figures of a discovery, PNG and PDF, in ``folder``."""
    folder = Path(folder)
    return [
        *plot_tradeoff(found, folder / "prim_tradeoff"),
        *plot_box(found, folder / "prim_box"),
        *plot_scores(found, folder / "feature_scores"),
    ]
