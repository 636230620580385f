"""Figure of the global sensitivity study: Morris mu* and Sobol indices with their CIs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import OUTCOMES


def plot_indices(morris_table: pd.DataFrame, sobol_table: pd.DataFrame | None, path) -> None:  # noqa: ANN001
    """One row of panels per method: Morris mu*/mean and Sobol S1, ST with 95 % CIs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 2 if sobol_table is not None else 1
    fig, axes = plt.subplots(rows, len(OUTCOMES), figsize=(4.2 * len(OUTCOMES), 4.2 * rows + 1))
    axes = np.atleast_2d(axes)
    for col, outcome in enumerate(OUTCOMES):
        ax = axes[0, col]
        part = morris_table[morris_table["outcome"] == outcome].sort_values("mu_star_relative")
        scale = part["mu_star"] / part["mu_star_relative"]
        ax.barh(
            part["factor"],
            part["mu_star_relative"],
            xerr=part["mu_star_conf"] / scale,
            color="#4c72b0",
            ecolor="0.3",
            capsize=2,
        )
        ax.set_title(f"Morris: {outcome}", fontsize=9)
        ax.set_xlabel("μ* / mean |outcome|", fontsize=8)
        ax.tick_params(labelsize=7)
        if sobol_table is not None:
            ax = axes[1, col]
            part = sobol_table[sobol_table["outcome"] == outcome]
            y = np.arange(len(part))
            ax.barh(
                y - 0.2,
                part["S1"],
                0.4,
                xerr=part["S1_conf"],
                label="S1 (first order)",
                color="#55a868",
                ecolor="0.3",
                capsize=2,
            )
            ax.barh(
                y + 0.2,
                part["ST"],
                0.4,
                xerr=part["ST_conf"],
                label="ST (total)",
                color="#c44e52",
                ecolor="0.3",
                capsize=2,
            )
            ax.set_yticks(y, part["factor"])
            ax.set_title(f"Sobol: {outcome}", fontsize=9)
            ax.set_xlabel("index (95 % CI)", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.axvline(0, color="k", lw=0.5)
            if col == 0:
                ax.legend(fontsize=7)
    fig.suptitle("Sensitivity of the 2035 headline outcomes (integrated scenario)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=170)
    plt.close(fig)
