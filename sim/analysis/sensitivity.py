"""Global sensitivity of the headline 2035 outcomes: Morris screening, then Sobol indices.

Factors are behavioural parameters (uncertainties) and lever intensities of the
``integrated`` scenario (:data:`FACTORS`, from the one table :mod:`sim.analysis.factors`); each is
varied uniformly between its bounds around the project's (calibrated) defaults. Outcomes
(:data:`OUTCOMES`), from a run 2020 -> 2035:

* ``theil_gdppc_2035``: Theil index of GDP per capita across the population (``metrics.csv``).
* ``theil_population_2035``: Theil index of the population distribution over the 41 cities,
  ``sum_i s_i ln(41 s_i)`` (0 when all cities are equally large).
* ``innovations_2021_2035``: innovations of all firms over 2021-2035.
* ``central_gdppc_ratio_2035``: central-area GDP per capita relative to the region.

Morris elementary effects (``mu_star`` with bootstrap confidence intervals) screen all factors;
Sobol first-order and total indices (Saltelli sampling, bootstrap confidence intervals) are
then computed for the few factors that matter. Runs go through :func:`sim.simulate` with the
base configuration (typed, composed once by the caller: the ``integrated`` scenario at
``persons_per_agent`` 2000) with each sample's factor values applied
(:func:`sim.analysis.factors.apply_factors`); no Hydra here.

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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.analysis.evaluation import evaluate_batch
from sim.analysis.factors import SENSITIVITY, Factor, apply_factors
from sim.analysis.problem import PROBLEM
from sim.analysis.problem import outcomes as problem_outcomes
from sim.config.schema import SimConfig
from sim.core.data import RegionData

#: The factors varied (:data:`sim.analysis.factors.SENSITIVITY`).
FACTORS: tuple[Factor, ...] = SENSITIVITY

#: The headline outcomes.
OUTCOMES: tuple[str, ...] = (
    "theil_gdppc_2035",
    "theil_population_2035",
    "innovations_2021_2035",
    "central_gdppc_ratio_2035",
)


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem definition of ``factors`` (from the problem specification)."""
    return PROBLEM.salib([f.name for f in factors])


#: Each headline outcome's name in the problem specification (:mod:`sim.analysis.problem`).
SPEC_NAMES: dict[str, str] = {
    "theil_gdppc_2035": "theil_gdp_per_capita",
    "theil_population_2035": "theil_population",
    "innovations_2021_2035": "innovations",
    "central_gdppc_ratio_2035": "central_area_gdp_pc_ratio",
}


def outcomes(result: sim.SimulationResult, data: RegionData) -> dict[str, float]:
    """The headline outcomes of one run (from the problem's outcomes)."""
    named = problem_outcomes(result, data)
    return {name: named[spec] for name, spec in SPEC_NAMES.items()}


def evaluate(
    base: SimConfig, names: Sequence[str], row: np.ndarray, data: RegionData
) -> dict[str, float]:
    """Run one sample point (the factor values ``row`` applied to ``base``); its outcomes."""
    config = apply_factors(base, dict(zip(names, map(float, row), strict=True)))
    return outcomes(sim.simulate(config, data=data), data)


def run_samples(
    samples: np.ndarray,
    factors: Sequence[Factor],
    data: RegionData,
    base: SimConfig,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Outcomes of every sample row (``base``'s seed: common random numbers), in sample order.

    The rows run through the batch path (:func:`sim.analysis.evaluation.evaluate_batch`: data
    loaded once, amenities reused where a row's start is another's, ``n_jobs`` processes,
    all cores when ``None``); the outcomes are those of running each row alone.
    """
    names = [f.name for f in factors]
    points = [dict(zip(names, map(float, row), strict=True)) for row in samples]
    table = evaluate_batch(points, base, data, n_jobs=n_jobs, progress=progress)
    frame = pd.DataFrame({name: table[spec] for name, spec in SPEC_NAMES.items()})
    return pd.concat([pd.DataFrame(samples, columns=names), frame], axis=1)


def morris(
    factors: Sequence[Factor],
    data: RegionData,
    base: SimConfig,
    trajectories: int = 8,
    levels: int = 4,
    seed: int = 0,
    n_jobs: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening: the runs and, per outcome and factor, mu*, its CI, mu and sigma."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    spec = problem(factors)
    samples = morris_sample.sample(spec, trajectories, num_levels=levels, seed=seed)
    runs = run_samples(samples, factors, data, base, n_jobs=n_jobs)
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
    base: SimConfig,
    base_samples: int = 64,
    seed: int = 0,
    n_jobs: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol first-order and total indices with bootstrap CIs (Saltelli sampling)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    spec = problem(factors)
    samples = sobol_sample.sample(spec, base_samples, calc_second_order=False, seed=seed)
    runs = run_samples(samples, factors, data, base, n_jobs=n_jobs)
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
