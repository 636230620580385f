"""Figures of the hindcast validation: simulated vs observed 2020 population and growth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _signed(value: float) -> str:
    """A number with a typographic minus sign."""
    return f"{value:.2f}".replace("-", "\u2212")


def plot_validation(table: pd.DataFrame, report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Simulated vs observed 2020 population (log axes) and 2010-2020 growth, PNG and PDF."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.figures.labels import place_labels_beside_markers
    from sim.figures.style import PROVINCE_COLORS as colours
    from sim.figures.style import save_figure

    written: list[Path] = []
    labels: list[list[Any]] = []

    def finish(fig, ax, name: str) -> list[Path]:  # noqa: ANN001
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        place_labels_beside_markers(ax, labels[-1])
        paths = save_figure(fig, out_dir / name)  # PNG and PDF, each written atomically
        plt.close(fig)
        return paths

    def scatter(ax, x, y, xerr=None) -> None:  # noqa: ANN001
        for province, colour in colours.items():
            member = (table["province"] == province).to_numpy()
            ax.scatter(x[member], y[member], s=18, color=colour, label=province, zorder=3)
        if xerr is not None:
            ax.errorbar(x, y, yerr=xerr, fmt="none", ecolor="0.6", lw=0.8, zorder=2)
        labels.append(
            [
                ax.annotate(
                    name,
                    (xi, yi),
                    xytext=(4, 0),
                    textcoords="offset points",
                    fontsize=5.5,
                    color="0.2",
                )
                for xi, yi, name in zip(x, y, table["name_en"], strict=True)
            ]
        )

    fig, ax = plt.subplots(figsize=(7, 7))
    ax.set_xscale("log")
    ax.set_yscale("log")
    obs = table["census_2020"].to_numpy() / 1e6
    simulated = table["simulated_2020"].to_numpy() / 1e6
    err = np.vstack(
        (
            simulated - table["simulated_2020_min"].to_numpy() / 1e6,
            table["simulated_2020_max"].to_numpy() / 1e6 - simulated,
        )
    )
    scatter(ax, obs, simulated, err)
    lo, hi = 0.8 * min(obs.min(), simulated.min()), 1.2 * max(obs.max(), simulated.max())
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--", label="45° line", zorder=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("census 2020 population (million, log scale)")
    ax.set_ylabel("simulated 2020 population (million, log scale)")
    ax.set_title(
        "Hindcast 2010→2020: population by city\n"
        f"MAE {report['mae_pct']:.1f} % (no change "
        f"{report['baselines']['no_change']['mae_pct']:.1f} %, province average "
        f"{report['baselines']['province_average']['mae_pct']:.1f} %)",
        fontsize=10,
    )
    written += finish(fig, ax, "validation_population_2020")

    fig, ax = plt.subplots(figsize=(7, 7))
    x = table["growth_observed_pct"].to_numpy()
    y = table["growth_simulated_pct"].to_numpy()
    scatter(ax, x, y)
    lo, hi = min(x.min(), y.min()) - 3, max(x.max(), y.max()) + 3
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--", label="45° line", zorder=1)
    regional = (table["census_2020"].sum() / table["census_2010"].sum() - 1) * 100
    ax.axhline(regional, color="0.5", lw=0.6, ls=":", label="region (uniform growth)")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("census growth 2010–2020 (%)")
    ax.set_ylabel("simulated growth 2010–2020 (%, scaled to the regional total)")
    ax.set_title(
        "Hindcast 2010→2020: population growth by city\n"
        f"R² of log growth {_signed(report['r2_log_growth'])} (province average "
        f"{_signed(report['baselines']['province_average']['r2_log_growth'])})",
        fontsize=10,
    )
    written += finish(fig, ax, "validation_growth")
    return written
