"""Global sensitivity of the headline 2035 outcomes: Morris screening, then Sobol indices.

Factors are behavioural parameters (uncertainties) and lever intensities of the
``integrated`` scenario (:data:`FACTORS`); each is varied uniformly between its bounds around
the project's (calibrated) defaults. Outcomes (:data:`OUTCOMES`), from a run 2020 -> 2035:

* ``theil_gdppc_2035``: Theil index of GDP per capita across the population (``metrics.csv``).
* ``theil_population_2035``: Theil index of the population distribution over the 41 cities,
  ``sum_i s_i ln(41 s_i)`` (0 when all cities are equally large).
* ``innovations_2021_2035``: innovations of all firms over 2021-2035.
* ``central_gdppc_ratio_2035``: central-area GDP per capita relative to the region.

Morris elementary effects (``mu_star`` with bootstrap confidence intervals) screen all factors;
Sobol first-order and total indices (Saltelli sampling, bootstrap confidence intervals) are
then computed for the few factors that matter. Runs go through :func:`sim.simulate` with
configurations validated by :func:`sim.validate_config`; no Hydra here.

References:
    Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
    Technometrics 33(2).
    Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. Environmental Modelling & Software 22(10).
    Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
    Physics Communications 181(2).
    Herman, J. & Usher, W. (2017). SALib: an open-source Python library for sensitivity
    analysis. Journal of Open Source Software 2(9).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.config.schema import validate_config
from sim.core.data import RegionData

SIZE_CLASSES = ("megacity", "super_large", "large_1", "large_2", "medium", "small")


@dataclass(frozen=True)
class Factor:
    """One uncertain input.

    Attributes:
        name: Short name (table column).
        low: Lower bound.
        high: Upper bound.
        kind: ``param`` (a ``params`` path) or ``lever`` (an intensity applied by ``apply``).
        description: What it is.
    """

    name: str
    low: float
    high: float
    kind: str
    description: str


#: Behavioural parameters (``params.<name>``) and lever intensities of ``integrated``.
FACTORS: tuple[Factor, ...] = (
    Factor("migration.real_wage_weight", 0.75, 3.0, "param", "migration elasticity to real income"),
    Factor("migration.moving_cost_per_hour", 0.1, 1.5, "param", "moving cost per hour of travel"),
    Factor("migration.size_elasticity", 0.0, 1.2, "param", "weight of log destination size"),
    Factor("labour.agglomeration_elasticity", 0.02, 0.10, "param", "TFP elasticity to population"),
    Factor(
        "labour.market_access_elasticity", 0.02, 0.2, "param", "TFP elasticity to market access"
    ),
    Factor(
        "innovation.knowledge_access_elasticity",
        0.1,
        0.5,
        "param",
        "innovation hazard elasticity to knowledge access",
    ),
    Factor(
        "innovation.project_value_log_mean",
        -0.8,
        -0.2,
        "param",
        "mean log value/cost of R&D-service projects",
    ),
    Factor("voucher_budget_multiplier", 0.5, 2.0, "lever", "x the yrd_platform voucher budgets"),
    Factor("voucher_subsidy_rate", 0.3, 0.7, "lever", "share of a project's cost a voucher pays"),
    Factor(
        "hukou_barrier_reduction",
        0.0,
        1.0,
        "lever",
        "settlement barriers of every class = rules_2019 x (1 - reduction)",
    ),
    Factor("transport_delay_years", 0.0, 10.0, "lever", "Action Plan projects open this late"),
)

#: The headline outcomes.
OUTCOMES: tuple[str, ...] = (
    "theil_gdppc_2035",
    "theil_population_2035",
    "innovations_2021_2035",
    "central_gdppc_ratio_2035",
)

#: The configuration varied (before the factors are applied).
BASE_OVERRIDES: tuple[str, ...] = (
    "scenario=integrated",
    "end_year=2035",
    "persons_per_agent=2000",
    "output.figures=false",
)


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem definition of ``factors``."""
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }


def apply_factors(plain: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of a plain configuration with the factor ``values`` applied."""
    config = copy.deepcopy(plain)
    scenario = config["scenario"]
    for name, value in values.items():
        if name == "voucher_budget_multiplier":
            budgets = scenario["vouchers"]["budget_rmb_per_year_by_province"]
            for province in budgets:
                budgets[province] = budgets[province] * value
        elif name == "voucher_subsidy_rate":
            scenario["vouchers"]["subsidy_rate"] = value
        elif name == "hukou_barrier_reduction":
            status_quo = config["status_quo"]["residency"]["by_size_class"]
            for size_class in SIZE_CLASSES:
                barrier = status_quo[size_class]["settlement_barrier"] * (1.0 - value)
                scenario["residency"]["by_size_class"][size_class]["settlement_barrier"] = barrier
        elif name == "transport_delay_years":
            for project in scenario["transport"]["projects"]:
                project["year"] = int(project["year"] + round(value))
        else:
            section, key = name.split(".")
            config["params"][section][key] = value
    return config


def outcomes(result: sim.SimulationResult) -> dict[str, float]:
    """The headline outcomes of one run."""
    metrics = result.metrics.set_index("year")
    end = int(metrics.index.max())
    cities = result.cities[result.cities["year"] == end]
    shares = cities["population"].to_numpy(dtype=float)
    shares = shares / shares.sum()
    positive = shares[shares > 0]
    return {
        "theil_gdppc_2035": float(metrics.loc[end, "theil_gdp_per_capita"]),
        "theil_population_2035": float((positive * np.log(len(shares) * positive)).sum()),
        "innovations_2021_2035": float(
            metrics.loc[metrics.index > metrics.index.min(), "innovations"].sum()
        ),
        "central_gdppc_ratio_2035": float(metrics.loc[end, "central_area_gdppc_ratio"]),
    }


def base_plain(seed: int = 0, overrides: Sequence[str] = BASE_OVERRIDES) -> dict[str, Any]:
    """The base configuration as plain data (from :func:`sim.load_config`)."""
    config = sim.load_config([*overrides, f"seed={seed}"])
    return config.model_dump(mode="json", by_alias=True)


def evaluate(
    plain: dict[str, Any], names: Sequence[str], row: np.ndarray, data: RegionData
) -> dict[str, float]:
    """Run one sample point and return its outcomes."""
    config = validate_config(apply_factors(plain, dict(zip(names, map(float, row), strict=True))))
    return outcomes(sim.simulate(config, data=data))


def run_samples(
    samples: np.ndarray,
    factors: Sequence[Factor],
    data: RegionData,
    seed: int = 0,
    n_jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Outcomes of every sample row (same seed: common random numbers), in sample order."""
    plain = base_plain(seed)
    names = [f.name for f in factors]
    if n_jobs == 1:
        rows = []
        for k, row in enumerate(samples):
            rows.append(evaluate(plain, names, row, data))
            if progress is not None:
                progress(k + 1, len(samples))
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs, batch_size=4)(
            delayed(evaluate)(plain, names, row, data) for row in samples
        )
    frame = pd.DataFrame(rows, columns=list(OUTCOMES))
    return pd.concat([pd.DataFrame(samples, columns=names), frame], axis=1)


def morris(
    factors: Sequence[Factor],
    data: RegionData,
    trajectories: int = 8,
    levels: int = 4,
    seed: int = 0,
    n_jobs: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening: the runs and, per outcome and factor, mu*, its CI, mu and sigma."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    spec = problem(factors)
    samples = morris_sample.sample(spec, trajectories, num_levels=levels, seed=seed)
    runs = run_samples(samples, factors, data, n_jobs=n_jobs)
    tables = []
    for outcome in OUTCOMES:
        result = morris_analyze.analyze(
            spec, samples, runs[outcome].to_numpy(), num_levels=levels, seed=seed
        )
        frame = pd.DataFrame(
            {
                "outcome": outcome,
                "factor": result["names"],
                "mu_star": result["mu_star"],
                "mu_star_conf": result["mu_star_conf"],
                "mu": result["mu"],
                "sigma": result["sigma"],
            }
        )
        scale = np.abs(runs[outcome]).mean()
        frame["mu_star_relative"] = frame["mu_star"] / scale if scale else np.nan
        tables.append(frame)
    return runs, pd.concat(tables, ignore_index=True)


def top_factors(indices: pd.DataFrame, count: int = 4) -> list[str]:
    """Factors with the largest relative mu* in any outcome (ranked by their best rank)."""
    ranks = indices.assign(
        rank=indices.groupby("outcome")["mu_star_relative"].rank(ascending=False)
    )
    best = ranks.groupby("factor")["rank"].min().sort_values(kind="stable")
    mean = ranks.groupby("factor")["mu_star_relative"].mean()
    order = sorted(best.index, key=lambda f: (best[f], -mean[f]))
    return order[:count]


def sobol(
    factors: Sequence[Factor],
    data: RegionData,
    base_samples: int = 64,
    seed: int = 0,
    n_jobs: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol first-order and total indices with bootstrap CIs (Saltelli sampling)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    spec = problem(factors)
    samples = sobol_sample.sample(spec, base_samples, calc_second_order=False, seed=seed)
    runs = run_samples(samples, factors, data, n_jobs=n_jobs)
    tables = []
    for outcome in OUTCOMES:
        result = sobol_analyze.analyze(
            spec, runs[outcome].to_numpy(), calc_second_order=False, seed=seed
        )
        tables.append(
            pd.DataFrame(
                {
                    "outcome": outcome,
                    "factor": spec["names"],
                    "S1": result["S1"],
                    "S1_conf": result["S1_conf"],
                    "ST": result["ST"],
                    "ST_conf": result["ST_conf"],
                }
            )
        )
    return runs, pd.concat(tables, ignore_index=True)


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
