"""Figure of the global sensitivity study: Morris mu* and Sobol indices with their CIs.

One panel per outcome, factors in plain words (:data:`FACTOR_LABELS`) and in the same order in
every panel (most influential on average first), at two-column width, so the figure reads at
print size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import OUTCOMES
from sim.figures.style import (
    OKABE_ITO,
    SMALL_FONT_SIZE,
    TWO_COLUMN,
    new_figure,
    save_figure,
    styled,
)

#: Plain names of the factors (``sim.analysis.factors.FACTORS``) for figures.
FACTOR_LABELS: dict[str, str] = {
    "migration.real_wage_weight": "Weight of real wages in moving",
    "migration.moving_cost_fixed": "Fixed cost of moving",
    "migration.moving_cost_per_log_distance": "Moving cost per log distance",
    "migration.province_border_cost": "Cost of crossing a province border",
    "migration.size_elasticity": "Pull of city size",
    "migration.public_service_weight": "Weight of public services (hukou)",
    "migration.steady_state_amenity_share": "Amenity share kept in the long run",
    "migration.trend_decay": "Decay of the amenity trend",
    "labour.tfp_convergence": "Productivity convergence",
    "labour.agglomeration_elasticity": "Agglomeration elasticity",
    "labour.market_access_elasticity": "Market-access elasticity",
    "innovation.knowledge_access_elasticity": "Knowledge-access elasticity",
    "innovation.project_value_log_mean": "Value of R&D projects (log mean)",
    "voucher_budget_multiplier": "Voucher budget (multiple of plan)",
    "voucher_subsidy_rate": "Voucher subsidy rate",
    "hukou_barrier_reduction": "Hukou barrier reduction",
    "transport_delay_years": "Delay of transport projects (years)",
}

#: Plain names of the outcomes (:data:`sim.analysis.sensitivity.OUTCOMES`).
OUTCOME_LABELS: dict[str, str] = {
    "theil_gdppc_2035": "GDP per capita inequality, 2035 (Theil)",
    "theil_population_2035": "Population concentration, 2035 (Theil)",
    "innovations_2021_2035": "Innovations, 2021\u20132035",
    "central_gdppc_ratio_2035": "Central-area GDP per capita ratio, 2035",
}


def factor_label(name: str) -> str:
    """The plain name of a factor (its last path part in words if it has none)."""
    if name in FACTOR_LABELS:
        return FACTOR_LABELS[name]
    words = name.rsplit(".", 1)[-1].replace("_", " ")
    return words[:1].upper() + words[1:]


@styled
def plot_indices(
    morris_table: pd.DataFrame, sobol_table: pd.DataFrame | None, path: Path | str
) -> list[Path]:
    """Morris mu* (relative, with 95 % CI) and, if given, Sobol S1 and ST, per outcome.

    Args:
        morris_table: ``morris_indices.csv`` (outcome, factor, mu_star, mu_star_conf,
            mu_star_relative, ...).
        sobol_table: ``sobol_indices.csv`` (outcome, factor, S1, S1_conf, ST, ST_conf), or
            ``None``.
        path: The figure's path; its suffix is replaced by ``.png`` and ``.pdf``.

    Returns:
        The written PNG and PDF paths.
    """
    stem = Path(path).with_suffix("")
    outcomes = [o for o in OUTCOMES if o in set(morris_table["outcome"])]
    order = (
        morris_table.groupby("factor")["mu_star_relative"].mean().sort_values(ascending=True).index
    )
    n_factors = len(order)
    sobol_factors = (
        list(dict.fromkeys(sobol_table["factor"])) if sobol_table is not None else []
    )
    morris_height = 0.5 + 0.15 * n_factors
    sobol_height = 0.6 + 0.3 * len(sobol_factors) if sobol_factors else 0.0
    fig = new_figure((TWO_COLUMN, 2 * morris_height + 2 * sobol_height + 0.4))
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, wspace=0.04, hspace=0.06)
    if sobol_factors:
        top, bottom = fig.subfigures(2, 1, height_ratios=[morris_height, sobol_height])
    else:
        top, bottom = fig, None
    ncols = 2
    axes = top.subplots(int(np.ceil(len(outcomes) / ncols)), ncols, squeeze=False)
    labels = [factor_label(f) for f in order]
    ypos = np.arange(n_factors)
    letters = "abcdefghijklmnopqrstuvwxyz"
    for k, outcome in enumerate(outcomes):
        ax = axes.flat[k]
        part = morris_table[morris_table["outcome"] == outcome].set_index("factor").reindex(order)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = part["mu_star"] / part["mu_star_relative"]
            err = (part["mu_star_conf"] / scale).to_numpy(dtype=float)
        ax.barh(
            ypos,
            part["mu_star_relative"].to_numpy(dtype=float),
            xerr=np.nan_to_num(err),
            height=0.7,
            color=OKABE_ITO["blue"],
            ecolor="#444444",
            error_kw={"elinewidth": 0.6, "capsize": 1.5},
        )
        ax.set_yticks(ypos, labels=labels if k % ncols == 0 else [""] * n_factors)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-0.6, n_factors - 0.4)
        ax.set_title(f"({letters[k]}) {OUTCOME_LABELS.get(outcome, outcome)}", pad=3)
        ax.set_xlabel("Morris \u03bc* / mean |outcome| (95 % CI)")
        ax.grid(axis="x")
        ax.set_axisbelow(True)
    for k in range(len(outcomes), axes.size):
        axes.flat[k].set_axis_off()
    if bottom is not None and sobol_table is not None:
        saxes = bottom.subplots(int(np.ceil(len(outcomes) / ncols)), ncols, squeeze=False)
        spos = np.arange(len(sobol_factors))[::-1]
        slabels = [factor_label(f) for f in sobol_factors]
        for k, outcome in enumerate(outcomes):
            ax = saxes.flat[k]
            part = (
                sobol_table[sobol_table["outcome"] == outcome]
                .set_index("factor")
                .reindex(sobol_factors)
            )
            for shift, column, color, name in (
                (0.18, "S1", OKABE_ITO["green"], "First order (S1)"),
                (-0.18, "ST", OKABE_ITO["vermillion"], "Total (ST)"),
            ):
                ax.barh(
                    spos + shift,
                    part[column].to_numpy(dtype=float),
                    height=0.36,
                    xerr=np.nan_to_num(part[f"{column}_conf"].to_numpy(dtype=float)),
                    color=color,
                    ecolor="#444444",
                    error_kw={"elinewidth": 0.6, "capsize": 1.5},
                    label=name,
                )
            ax.axvline(0.0, color="#333333", linewidth=0.6)
            ax.set_yticks(spos, labels=slabels if k % ncols == 0 else [""] * len(spos))
            ax.tick_params(axis="y", length=0)
            ax.set_title(
                f"({letters[len(outcomes) + k]}) Sobol: {OUTCOME_LABELS.get(outcome, outcome)}",
                pad=3,
            )
            ax.set_xlabel("Sobol index (95 % CI)")
            ax.grid(axis="x")
            ax.set_axisbelow(True)
        for k in range(len(outcomes), saxes.size):
            saxes.flat[k].set_axis_off()
        handles, names = saxes.flat[0].get_legend_handles_labels()
        bottom.legend(
            handles, names, loc="outside lower left", ncols=2, fontsize=SMALL_FONT_SIZE
        )
    return save_figure(fig, stem)
