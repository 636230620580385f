"""Figures of the hindcast validation: the model beside the naive forecasts it must beat.

- ``validation_population_2020``: simulated vs census 2020 population (log axes, seed range).
- ``validation_growth``: simulated vs census growth 2010-2020 (unscaled).
- ``validation_competitors``: predicted vs observed relative log growth, one panel for the model
  and one per naive forecast, each titled with its R² of relative growth and MAE.
- ``validation_scores``: R² of relative log growth and MAE per forecast, the model highlighted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.ticker
import numpy as np
import pandas as pd

from sim.figures.labels import spread_labels
from sim.figures.style import (
    OKABE_ITO,
    SMALL_FONT_SIZE,
    TWO_COLUMN,
    new_figure,
    save_figure,
    styled,
)
from sim.figures.style import PROVINCE_COLORS as colours

#: Colour of the model in the comparison figures; the naive forecasts are grey.
MODEL_COLOUR = OKABE_ITO["purple"]
#: Colour of the best naive forecast drawn beside the model in the scatter figures.
NAIVE_COLOUR = "#7f7f7f"


def _signed(value: float) -> str:
    """A number with a typographic minus sign."""
    return f"{value:.2f}".replace("-", "\u2212")


def _relative_growth(table: pd.DataFrame, column: str) -> np.ndarray:
    """Relative log growth 2010 -> 2020 (log points x 100) of a column of 2020 populations."""
    start = table["census_2010"].to_numpy(float)
    end = table[column].to_numpy(float)
    return (np.log(end / start) - np.log(end.sum() / start.sum())) * 100.0


def _best_naive(report: dict[str, Any], key: str, lower: bool) -> tuple[str, float]:
    """The naive forecast with the best ``key`` (lowest if ``lower``)."""
    items = [(name, b[key]) for name, b in report["baselines"].items()]
    return min(items, key=lambda t: t[1]) if lower else max(items, key=lambda t: t[1])


@styled
def plot_validation(table: pd.DataFrame, report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write the module's four figures (PNG and PDF, each atomically) to ``out_dir``.

    In the two scatter figures the best naive forecast (by MAE, resp. by R² of relative
    growth) is drawn beside the model, as open grey circles, so the model's points are read
    against what a forecast without a model does.

    Args:
        table: :attr:`sim.analysis.validation.ValidationResult.table`.
        report: :attr:`sim.analysis.validation.ValidationResult.report`.
        out_dir: Destination folder.

    Returns:
        The written files.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    labels: list[list[Any]] = []

    def finish(fig, ax, name: str) -> list[Path]:  # noqa: ANN001
        ax.legend(loc="upper left", fontsize=SMALL_FONT_SIZE - 0.5)
        fig.get_layout_engine().execute(fig)  # final layout before the labels are spread
        fig.set_layout_engine("none")
        spread_labels(ax, labels[-1])
        return save_figure(fig, out_dir / name)  # PNG and PDF, each written atomically

    def scatter(ax, x, y, xerr=None, naive=None, naive_name="") -> None:  # noqa: ANN001
        if naive is not None:
            ax.scatter(
                x,
                naive,
                s=14,
                facecolors="none",
                edgecolors=NAIVE_COLOUR,
                linewidths=0.7,
                label=f"best naive: {naive_name.replace('_', ' ')}",
                zorder=2,
            )
        for province, colour in colours.items():
            member = (table["province"] == province).to_numpy()
            ax.scatter(x[member], y[member], s=14, color=colour, label=province, zorder=3)
        if xerr is not None:
            ax.errorbar(x, y, yerr=xerr, fmt="none", ecolor="0.6", lw=0.7, zorder=2)
        labels.append(
            [
                ax.text(xi, yi, name, fontsize=SMALL_FONT_SIZE - 2, color="0.2", zorder=4)
                for xi, yi, name in zip(x, y, table["name_en"], strict=True)
            ]
        )

    best_mae = _best_naive(report, "mae_pct", lower=True)
    best_r2 = _best_naive(report, "r2_rel", lower=False)

    # 1. Population 2020, log axes.
    fig = new_figure((TWO_COLUMN * 0.75, TWO_COLUMN * 0.75))
    ax = fig.add_subplot()
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
    naive = table[f"{best_mae[0]}_2020"].to_numpy() / 1e6
    scatter(ax, obs, simulated, err, naive, best_mae[0])
    lo = 0.8 * min(obs.min(), simulated.min(), naive.min())
    hi = 1.2 * max(obs.max(), simulated.max(), naive.max())
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--", label="45° line", zorder=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("census 2020 population (million, log scale)")
    ax.set_ylabel("forecast 2020 population (million, log scale; bars: seed range)")
    ax.set_title(
        "Hindcast 2010→2020: population by city (unscaled)\n"
        f"MAE {report['mae_pct']:.1f} % (no change "
        f"{report['baselines']['no_change']['mae_pct']:.1f} %, best naive: "
        f"{best_mae[0].replace('_', ' ')} {best_mae[1]:.1f} %); "
        f"YRD total {report['total_err_pct']:+.1f} %".replace("-", "\u2212"),
    )
    written += finish(fig, ax, "validation_population_2020")

    # 2. Growth 2010-2020, unscaled.
    fig = new_figure((TWO_COLUMN * 0.75, TWO_COLUMN * 0.75))
    ax = fig.add_subplot()
    x = table["growth_observed_pct"].to_numpy()
    y = table["growth_simulated_pct"].to_numpy()
    naive = (table[f"{best_r2[0]}_2020"] / table["census_2010"] - 1).to_numpy() * 100
    scatter(ax, x, y, naive=naive, naive_name=best_r2[0])
    lo = min(x.min(), y.min(), naive.min()) - 3
    hi = max(x.max(), y.max(), naive.max()) + 3
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8, ls="--", label="45° line", zorder=1)
    regional = (table["census_2020"].sum() / table["census_2010"].sum() - 1) * 100
    simulated_regional = (table["simulated_2020"].sum() / table["census_2010"].sum() - 1) * 100
    ax.axvline(regional, color="0.5", lw=0.6, ls=":", label="region, census")
    ax.axhline(simulated_regional, color=MODEL_COLOUR, lw=0.6, ls=":", label="region, simulated")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("census growth 2010–2020 (%)")
    ax.set_ylabel("forecast growth 2010–2020 (%; model unscaled)")
    ax.set_title(
        "Hindcast 2010→2020: population growth by city\n"
        f"R² of relative log growth {_signed(report['r2_rel'])} (best naive: "
        f"{best_r2[0].replace('_', ' ')} {_signed(best_r2[1])})",
    )
    written += finish(fig, ax, "validation_growth")

    # 3. One panel per forecast: predicted vs observed relative log growth.
    panels = [("model (mean of seeds)", "simulated_2020", report["model"])] + [
        (name.replace("_", " "), f"{name}_2020", b) for name, b in report["baselines"].items()
    ]
    ncols = 4
    nrows = -(-len(panels) // ncols)
    fig = new_figure((TWO_COLUMN, 0.5 + 1.85 * nrows))
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    observed = _relative_growth(table, "census_2020")
    predicted = {column: _relative_growth(table, column) for _, column, _ in panels}
    values = np.concatenate([observed, *predicted.values()])
    lo, hi = values.min() - 3, values.max() + 3
    for k, (title, column, m) in enumerate(panels):
        ax = axes.flat[k]
        is_model = column == "simulated_2020"
        for province, colour in colours.items():
            member = (table["province"] == province).to_numpy()
            ax.scatter(
                observed[member],
                predicted[column][member],
                s=9,
                color=colour,
                label=province,
                zorder=3,
            )
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.6, ls="--", zorder=1)
        ax.axhline(0, color="0.7", lw=0.5)
        ax.axvline(0, color="0.7", lw=0.5)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_title(
            f"{title}\nR² rel {_signed(m['r2_rel'])}, MAE {m['mae_pct']:.1f} %",
            color=MODEL_COLOUR if is_model else "0.1",
        )
        if is_model:
            for spine in ax.spines.values():
                spine.set_edgecolor(MODEL_COLOUR)
                spine.set_linewidth(1.5)
        if k % ncols == 0:
            ax.set_ylabel("predicted relative growth\n(log points)")
        if k >= len(panels) - ncols:
            ax.set_xlabel("census relative growth\n2010–20 (log points)")
        ax.tick_params(labelbottom=True)
    for k in range(len(panels), nrows * ncols):
        axes.flat[k].set_axis_off()
    axes.flat[0].legend(fontsize=SMALL_FONT_SIZE - 1, loc="upper left", handletextpad=0.2)
    fig.suptitle(
        "Hindcast 2010→2020: relative log growth (city minus region), model and naive forecasts",
        fontsize=SMALL_FONT_SIZE + 1,
    )
    written += save_figure(fig, out_dir / "validation_competitors")

    # 4. Scores per forecast, the model highlighted; forecasts using 2020 data hatched.
    names = ["model", *report["baselines"]]
    scores = [report["model"], *report["baselines"].values()]
    uses_2020 = [False] + ["uses 2020" in b.get("info", "") for b in report["baselines"].values()]
    fig = new_figure((TWO_COLUMN, 0.8 + 0.22 * len(names)))
    ax_r2, ax_mae = fig.subplots(1, 2, sharey=True)
    ypos = np.arange(len(names))[::-1]
    for ax, key, label in (
        (ax_r2, "r2_rel", "R² of relative log growth (higher is better)"),
        (ax_mae, "mae_pct", "MAE, % of the 2020 census (lower is better)"),
    ):
        vals = [s[key] for s in scores]
        bars = ax.barh(
            ypos,
            vals,
            color=[MODEL_COLOUR if n == "model" else "0.65" for n in names],
            hatch=None,
            edgecolor="white",
        )
        for bar, hatched in zip(bars, uses_2020, strict=True):
            if hatched:
                bar.set_hatch("///")
                bar.set_edgecolor("0.35")
        for yi, v in zip(ypos, vals, strict=True):
            ax.annotate(
                _signed(v) if key == "r2_rel" else f"{v:.2f}",
                (v, yi),
                xytext=(3 if v >= 0 else -3, 0),
                textcoords="offset points",
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=SMALL_FONT_SIZE - 0.5,
            )
        ax.axvline(scores[0][key], color=MODEL_COLOUR, lw=0.8, ls="--")
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlabel(label)
        lo, hi = min(0.0, *vals), max(0.0, *vals)
        pad = 0.18 * (hi - lo)
        ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)
    ax_r2.set_yticks(ypos)
    ax_r2.set_yticklabels([n.replace("_", " ") for n in names])
    fig.suptitle(
        "Hindcast 2010→2020: model vs naive forecasts (hatched: uses 2020 census data of "
        "other cities)",
        fontsize=SMALL_FONT_SIZE + 1,
    )
    written += save_figure(fig, out_dir / "validation_scores")
    return written
