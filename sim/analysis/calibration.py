"""Calibration out of sample: three global parameters, each fitted on its own data.

At most :data:`MAX_PARAMETERS` global parameters are calibrated, never one per city; today
three (:data:`PARAMETERS`, rows of the one table :mod:`sim.analysis.factors`). Each is fitted
on information other than the 2010 -> 2020 city populations wherever possible, so that the
2010 -> 2020 hindcast stays a test:

1. ``labour.tfp_convergence`` on the 2000 -> 2010 decade of city GDP per capita
   (:func:`fit_convergence`, closed form, no simulation): the population-weighted
   beta-convergence slope ``b`` of relative log GDP-per-capita growth 2000-10 on relative log
   GDP per capita 2000 gives the yearly rate ``kappa = -ln(1 + b) / 10``.
2. ``migration.moving_cost_fixed`` on an external moment (:func:`fit_moving_cost`): bisection
   until the share of YRD residents who move across a provincial border per year in the first
   years of the 2010 hindcast (inter-city moves across a province border plus departures to the
   rest of China, over the mean population) equals the 2010 census's inter-provincial migration
   rate, 4.10 % per five years (:data:`CROSS_BORDER_RATE`). The census rate is a rate of the
   movers' origin population, so arrivals from the rest of China (its residents' moves) are
   not counted in it.
3. ``migration.trend_decay``, the one parameter chosen on the 2010 -> 2020 hindcast
   (:func:`calibrate`, :func:`choose_decay`): a grid search minimising the squared error of
   relative log growth (each city's log growth minus the region's) plus the squared log error
   of the YRD total. The first years' migration depends on the trend's decay too, so at each
   grid value the moving cost is first set to the census moment (step 2): the pair chosen
   matches the moment and the hindcast is scored at it. :func:`leave_one_province_out` reports,
   for each province, the value chosen on the other three provinces' cities and the held-out
   province's error (and ``sim.analysis.validation.lopo_trend_decay`` is recorded beside it).

The stability of the dynamics is checked, not imposed (:func:`stability`): the derivative of
a city's destination utility with respect to its own log population, everything else fixed,
computed numerically from the model's city state at the start of the hindcast (population,
labour, and with them wages and housing cost, perturbed; ``location_inputs`` recomputed).

References:
    Barro, R. J. & Sala-i-Martin, X. (1992), JPE 100(2): beta-convergence across regions.
    Wang Guixin (2022), fx361.cc/page/2022/1024/10703870.shtml: 54,993,900 persons whose
    residence five years before the 2010 census was in another province (sim/data/SOURCES.md).
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from agents import city as city_decisions
from agents import demography
from agents import talent as talent_decisions
from sim.analysis.evaluation import run_points
from sim.analysis.factors import CALIBRATED, Factor, apply_factors
from sim.config.schema import CONFIG_DIR
from sim.core.data import BUNDLED_DATA_DIR, HISTORY_FILE, RegionData
from sim.runs.atomic import write_text_atomic

DEFAULTS_PATH = CONFIG_DIR / "params" / "default.yaml"
RECORD_PATH = CONFIG_DIR / "params" / "calibration_record.json"
HISTORY_PATH = BUNDLED_DATA_DIR / HISTORY_FILE
BEGIN_MARK = "# --- calibration (written by yrdsim-calibrate; do not edit by hand) ---"
END_MARK = "# --- end of calibration ---"

#: Most global parameters the calibration may fit (issue 11).
MAX_PARAMETERS = 8

#: The calibrated parameters (rows of :data:`sim.analysis.factors.FACTORS`).
PARAMETERS: tuple[Factor, ...] = CALIBRATED

#: The calibrated parameters by path.
BY_PATH: dict[str, Factor] = {p.path: p for p in PARAMETERS}

#: What each calibrated parameter is fitted on.
FITTED_ON: dict[str, str] = {
    "labour.tfp_convergence": "2000-2010 city GDP per capita (beta-convergence slope, "
    "population-weighted; sim/data/city_history_2020_boundaries.csv, Huai'an dropped: no 2000 "
    "GDP); closed form, no simulation",
    "migration.moving_cost_fixed": "external moment: share of residents crossing a provincial "
    "border per year, census 2010 (54,993,900 / 1,339,720,000 per five years; Wang Guixin "
    "2022), matched by bisection in the first years of the 2010 hindcast",
    "migration.trend_decay": "2010-2020 hindcast (grid search on the SSE of relative log "
    "growth plus the squared log error of the YRD total), with a leave-one-province-out report",
}

#: Persons whose residence five years before the 2010 census was in another province.
INTERPROVINCIAL_MIGRANTS_2005_2010 = 54_993_900
#: Population of the 2010 census (mainland China).
CENSUS_2010_POPULATION = 1_339_720_000
#: Yearly share of residents crossing a provincial border (4.10 % per five years / 5).
CROSS_BORDER_RATE = INTERPROVINCIAL_MIGRANTS_2005_2010 / CENSUS_2010_POPULATION / 5
MOMENT_SOURCE = (
    "census 2010: 54,993,900 persons whose residence five years earlier was in another "
    "province / 1,339,720,000 = 4.10 % per five years (Wang Guixin 2022, "
    "fx361.cc/page/2022/1024/10703870.shtml, via sim/data/SOURCES.md)"
)

#: Values of ``migration.trend_decay`` searched on the hindcast.
DECAY_GRID: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15)


# --- 1. convergence on 2000-2010 ------------------------------------------------------------


@dataclass(frozen=True)
class ConvergenceFit:
    """The beta-convergence fit of 2000-2010 city GDP per capita.

    Attributes:
        slope: Population-weighted (2000) least-squares slope of relative log growth of GDP
            per capita 2000-10 on relative log GDP per capita 2000.
        rate: Yearly convergence rate ``-ln(1 + slope) / years``.
        years: Length of the period.
        cities: Cities used.
        dropped: Cities dropped for missing data.
    """

    slope: float
    rate: float
    years: int
    cities: int
    dropped: list[str]


def load_history(path: Path = HISTORY_PATH) -> pd.DataFrame:
    """The city history on 2020 boundaries (GDP in RMB 100 million, census populations)."""
    return pd.read_csv(path)


def fit_convergence(history: pd.DataFrame, years: int = 10) -> ConvergenceFit:
    """Beta-convergence of GDP per capita from ``gdp_2000, pop_2000`` to ``gdp_2010, pop_2010``.

    ``g_i - g = b (y_i - y) + e_i`` by least squares weighted by 2000 population, with
    ``y_i`` log GDP per capita 2000, ``g_i`` its log growth to 2010 and ``y, g`` their
    population-weighted means (the intercept absorbs common growth and prices); the yearly rate
    is ``kappa = -ln(1 + b) / years``. Cities without 2000 or 2010 GDP are dropped.
    """
    needed = ["gdp_2000", "gdp_2010", "pop_2000", "pop_2010"]
    usable = history.dropna(subset=needed)
    usable = usable[(usable[needed] > 0).all(axis=1)]
    dropped = sorted(set(history["id"]) - set(usable["id"])) if "id" in history else []
    level = np.log(usable["gdp_2000"].to_numpy() / usable["pop_2000"].to_numpy())
    later = np.log(usable["gdp_2010"].to_numpy() / usable["pop_2010"].to_numpy())
    weight = usable["pop_2000"].to_numpy(dtype=float)
    x = level - np.average(level, weights=weight)
    growth = later - level
    y = growth - np.average(growth, weights=weight)
    slope = float(np.sum(weight * x * y) / np.sum(weight * x * x))
    return ConvergenceFit(slope, -float(np.log1p(slope)) / years, years, len(usable), dropped)


# --- 2. moving cost on the census migration rate --------------------------------------------


def cross_border_rate(result: sim.SimulationResult, province: Mapping[str, str]) -> float:
    """Yearly share of YRD residents who move across a provincial border in a run.

    Inter-city moves between cities of different provinces plus departures to the rest of
    China, summed over the simulated years, over the sum of each year's mean population (mean
    of its start and end): a rate of the origin population, as the census's (arrivals from the
    rest of China are moves of its residents).
    """
    flows = result.flows
    across = flows["origin"].map(province) != flows["destination"].map(province)
    moves = float(flows.loc[across, "migrants"].sum())
    metrics = result.metrics.sort_values("year")
    moves += float(metrics["emigrants"].iloc[1:].sum())
    population = metrics["population"].to_numpy(dtype=float)
    person_years = float(((population[1:] + population[:-1]) / 2).sum())
    return moves / person_years


def simulated_cross_border_rate(
    data: RegionData, config: sim.SimConfig, seeds: Sequence[int]
) -> float:
    """Mean over ``seeds`` of :func:`cross_border_rate` of ``config``."""
    rates = run_points([{"seed": s} for s in seeds], config, data, _run_cross_border_rate)
    return float(np.mean(rates))


def _run_cross_border_rate(result: sim.SimulationResult, data: RegionData) -> float:
    """:func:`cross_border_rate` of a run (a batch reducer, run in the worker)."""
    province = dict(zip(data.city_ids, data.cities["province"], strict=True))
    return cross_border_rate(result, province)


def _run_end_population(result: sim.SimulationResult, data: RegionData) -> np.ndarray:
    """End-year population of each city in the data's order (a batch reducer)."""
    end = result.config.end_year
    frame = result.cities[result.cities["year"] == end].set_index("city_id")
    return frame.loc[data.city_ids, "population"].to_numpy(dtype=float)


@dataclass
class MomentFit:
    """The bisection of ``moving_cost_fixed`` on the cross-border migration rate.

    Attributes:
        value: The fitted cost.
        achieved: The model's rate at ``value``.
        target: The census rate.
        evaluations: ``(cost, rate)`` of every evaluation, in order.
        converged: Whether ``achieved`` is within the tolerance of ``target``.
    """

    value: float
    achieved: float
    target: float
    evaluations: list[tuple[float, float]] = field(default_factory=list)
    converged: bool = False


def bisect(
    rate: Callable[[float], float],
    target: float,
    low: float,
    high: float,
    tolerance: float = 0.01,
    max_evaluations: int = 16,
    width: float = 1e-3,
) -> MomentFit:
    """Bisection for a ``rate(cost)`` that falls with the cost, until ``rate = target``.

    Stops when the rate is within ``tolerance`` (relative) of ``target``, when the bracket is
    narrower than ``width``, or after ``max_evaluations``; returns the best point evaluated. If
    the target is outside ``[rate(high), rate(low)]`` the nearer bound is returned, not
    converged.
    """
    fit = MomentFit(value=low, achieved=float("nan"), target=target)

    def evaluate(cost: float) -> float:
        value = float(rate(cost))
        fit.evaluations.append((cost, value))
        return value

    def close(value: float) -> bool:
        return abs(value / target - 1.0) <= tolerance

    def best() -> MomentFit:
        cost, value = min(fit.evaluations, key=lambda e: abs(e[1] / target - 1.0))
        fit.value, fit.achieved, fit.converged = cost, value, close(value)
        return fit

    at_low = evaluate(low)
    if at_low <= target or close(at_low):
        return best()
    at_high = evaluate(high)
    if at_high >= target or close(at_high):
        return best()
    while len(fit.evaluations) < max_evaluations and high - low > width:
        middle = 0.5 * (low + high)
        value = evaluate(middle)
        if close(value):
            break
        if value > target:
            low = middle
        else:
            high = middle
    return best()


def fit_moving_cost(
    data: RegionData,
    config: sim.SimConfig,
    seeds: Sequence[int] = (0,),
    target: float = CROSS_BORDER_RATE,
    bounds: tuple[float, float] | None = None,
    tolerance: float = 0.01,
    max_evaluations: int = 16,
    log: Callable[[float, float], None] | None = None,
    known: Mapping[float, float] | None = None,
) -> MomentFit:
    """``migration.moving_cost_fixed`` at which ``config`` matches the cross-border rate.

    Args:
        data: The region's data.
        config: A short hindcast (e.g. 2010 -> 2013) with the other calibrated values set.
        seeds: Seeds averaged per evaluation (common random numbers).
        target: The yearly cross-border rate to match.
        bounds: Bracket of the bisection (default: the factor's bounds).
        tolerance: Relative tolerance on the rate.
        max_evaluations: Most evaluations.
        log: Called with ``(cost, rate)`` of each evaluation.
        known: Rates already simulated at some costs (not run again).
    """
    factor = BY_PATH["migration.moving_cost_fixed"]
    low, high = bounds if bounds is not None else (factor.low, factor.high)

    rate = _rate_at_cost(data, config, seeds, log, dict(known or {}))
    return bisect(rate, target, low, high, tolerance, max_evaluations)


def _rate_at_cost(
    data: RegionData,
    config: sim.SimConfig,
    seeds: Sequence[int],
    log: Callable[[float, float], None] | None,
    known: dict[float, float],
) -> Callable[[float], float]:
    """The cross-border rate as a function of the fixed moving cost, each cost simulated once.

    ``known`` holds the rates already simulated (filled as new costs are run).
    """
    path = BY_PATH["migration.moving_cost_fixed"].path

    def rate(cost: float) -> float:
        if cost not in known:
            config_at = apply_factors(config, {path: cost})
            known[cost] = simulated_cross_border_rate(data, config_at, seeds)
            if log is not None:
                log(cost, known[cost])
        return known[cost]

    return rate


# --- 3. trend decay on the hindcast, left out province by province --------------------------


def end_populations(data: RegionData, config: sim.SimConfig, seeds: Sequence[int]) -> np.ndarray:
    """Seed-mean end-year population of each city (persons) of ``config``."""
    runs = run_points([{"seed": s} for s in seeds], config, data, _run_end_population)
    return np.mean(runs, axis=0)


def hindcast_error(
    simulated: np.ndarray,
    start: np.ndarray,
    observed: np.ndarray,
    subset: np.ndarray | None = None,
) -> float:
    """SSE of relative log growth plus the squared log error of the total, over ``subset``.

    ``sum_i [(ln(S_i/P_i) - ln(S/P)) - (ln(O_i/P_i) - ln(O/P))]^2 + [ln(S/O)]^2`` with
    ``S, P, O`` the simulated, start and observed totals of the cities in ``subset`` (all
    cities when omitted): the pattern within the subset and its total, each judged once.
    """
    keep = np.ones(len(start), dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    s, p, o = simulated[keep], start[keep], observed[keep]
    total_sim, total_obs = np.log(s.sum() / p.sum()), np.log(o.sum() / p.sum())
    relative = (np.log(s / p) - total_sim) - (np.log(o / p) - total_obs)
    return float((relative**2).sum() + (total_sim - total_obs) ** 2)


def growth_statistics(simulated: np.ndarray, start: np.ndarray, observed: np.ndarray) -> dict:
    """R2 of relative log growth, MAE (% of the census) and the error of the total (%)."""
    g_sim = np.log(simulated / start) - np.log(simulated.sum() / start.sum())
    g_obs = np.log(observed / start) - np.log(observed.sum() / start.sum())
    sst = float(((g_obs - g_obs.mean()) ** 2).sum())
    return {
        "r2_relative_log_growth": 1.0 - float(((g_sim - g_obs) ** 2).sum()) / sst,
        "mae_pct": float(np.mean(np.abs(simulated - observed) / observed) * 100),
        "total_error_pct": float((simulated.sum() / observed.sum() - 1.0) * 100),
    }


def moving_cost_near(
    data: RegionData,
    config: sim.SimConfig,
    seeds: Sequence[int],
    tolerance: float,
    guess: float | None,
    step: float = 1.0,
    log: Callable[[float, float], None] | None = None,
) -> MomentFit:
    """:func:`fit_moving_cost` started from ``guess``: bracket by steps, then bisect.

    From ``guess`` the cost moves by ``step`` (doubling) towards the target until the rate
    crosses it or a bound is reached; the bisection then runs in that bracket, reusing the
    rates already simulated. Without a guess the bracket is the factor's bounds.
    """
    factor = BY_PATH["migration.moving_cost_fixed"]
    if guess is None:
        return fit_moving_cost(data, config, seeds, tolerance=tolerance, log=log)
    known: dict[float, float] = {}
    rate = _rate_at_cost(data, config, seeds, log, known)
    target = CROSS_BORDER_RATE

    def close(value: float) -> bool:
        return abs(value / target - 1.0) <= tolerance

    near, near_rate = guess, rate(guess)
    far = near
    above = near_rate > target
    direction = 1.0 if above else -1.0  # a higher cost lowers the rate
    while not close(near_rate):
        step_to = float(np.clip(far + direction * step, factor.low, factor.high))
        if step_to == far:
            break  # at a bound: not bracketed (bisect returns the bound)
        far = step_to
        if close(rate(far)) or (rate(far) > target) != above:
            break
        near, near_rate, step = far, rate(far), 2 * step
    bracket = (min(near, far), max(near, far))
    return fit_moving_cost(
        data, config, seeds, bounds=bracket, tolerance=tolerance, log=log, known=known
    )


def choose_decay(
    grid: Sequence[float],
    runs: np.ndarray,
    start: np.ndarray,
    observed: np.ndarray,
    subset: np.ndarray | None = None,
    valid: Sequence[bool] | None = None,
) -> tuple[float, list[float]]:
    """The grid value with the smallest :func:`hindcast_error` over ``subset``, and all errors.

    Values not ``valid`` (e.g. where the moving cost could not match the census moment) are
    scored but not chosen.
    """
    errors = [hindcast_error(row, start, observed, subset) for row in runs]
    allowed = np.ones(len(errors), dtype=bool) if valid is None else np.asarray(valid, bool)
    if not allowed.any():
        raise ValueError("no valid value of the grid")
    return float(grid[int(np.argmin(np.where(allowed, errors, np.inf)))]), errors


def leave_one_province_out(
    grid: Sequence[float],
    runs: np.ndarray,
    start: np.ndarray,
    observed: np.ndarray,
    provinces: Sequence[str],
    valid: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """For each province: the decay chosen on the other provinces and the held-out error.

    The grid runs are reused across folds (a fold only changes which cities are scored). The
    held-out error is that of the province's cities at the fold's value: their SSE of log
    growth, their MAE (% of the census) and :func:`hindcast_error` over them; the same at the
    value chosen on all provinces is given for comparison.
    """
    provinces = np.asarray(provinces)
    chosen_all, _ = choose_decay(grid, runs, start, observed, valid=valid)
    row_all = runs[list(grid).index(chosen_all)]
    table = []
    for province in sorted(set(provinces)):
        held_out = provinces == province
        chosen, errors = choose_decay(grid, runs, start, observed, ~held_out, valid)
        row = runs[list(grid).index(chosen)]

        def scores(simulated: np.ndarray, held_out: np.ndarray = held_out) -> dict[str, float]:
            s, p, o = simulated[held_out], start[held_out], observed[held_out]
            return {
                "sse_log_growth": float(((np.log(s / p) - np.log(o / p)) ** 2).sum()),
                "mae_pct": float(np.mean(np.abs(s - o) / o) * 100),
                "hindcast_error": hindcast_error(simulated, start, observed, held_out),
            }

        table.append(
            {
                "province": province,
                "held_out_cities": int(held_out.sum()),
                "trend_decay": chosen,
                "training_errors": dict(zip(map(str, grid), errors, strict=True)),
                "held_out": scores(row),
                "held_out_at_all_provinces_value": scores(row_all),
            }
        )
    return table


def validation_lopo(
    data: RegionData, config: sim.SimConfig, grid: Sequence[float], seeds: Sequence[int]
) -> dict[str, Any] | None:
    """The leave-one-province-out report of ``sim.analysis.validation.lopo_trend_decay``.

    The validation module's own test of ``trend_decay`` (relative log growth only, held-out
    predictions pooled), run beside :func:`leave_one_province_out` so that the two agree on
    record; ``None`` where that function does not exist, its error where it fails.
    """
    from sim.analysis import validation

    lopo = getattr(validation, "lopo_trend_decay", None)
    if lopo is None:
        return None
    try:
        return lopo(data, config, list(grid), list(seeds))
    except Exception as error:  # recorded; the calibration goes on
        return {"error": repr(error)}


# --- 4. stability ---------------------------------------------------------------------------


@dataclass
class Stability:
    """Own-size elasticity of utility at the start of a run.

    Attributes:
        elasticity: ``(n,)`` d destination utility / d ln own population (low skill; high
            skill is the same up to the wage level), numerically.
        size_term: The part from the opportunity mass (``size_elasticity``).
        wage_housing_term: The part through wages, agglomeration and housing cost.
        step: Log step of the central difference.
        spectral_radius: Largest modulus of the eigenvalues of :func:`expected_response` (the
            one-year map of expected log populations; above 1 a deviation grows).
    """

    elasticity: np.ndarray
    size_term: float
    wage_housing_term: np.ndarray
    step: float
    spectral_radius: float = float("nan")

    def summary(self) -> dict[str, Any]:
        """Median, largest and smallest elasticity, and its two parts."""
        return {
            "elasticity_median": float(np.median(self.elasticity)),
            "elasticity_max": float(self.elasticity.max()),
            "elasticity_min": float(self.elasticity.min()),
            "size_term": self.size_term,
            "wage_housing_term_median": float(np.median(self.wage_housing_term)),
            "negative": bool(self.elasticity.max() < 0),
            "step": self.step,
            "one_year_map_spectral_radius": self.spectral_radius,
        }


def stability(data: RegionData, config: sim.SimConfig, step: float = 0.01) -> Stability:
    """``d U_d / d ln P_d`` of each city at the start of ``config``, numerically.

    One city at a time, its residents (population, workers, high skill, efficiency labour) are
    scaled by ``exp(+-step)``, production is recomputed (TFP with agglomeration, GDP, wages,
    housing cost; market access, amenities and the rest of China fixed) and so are the
    location inputs; the elasticity is the central difference of the city's destination
    utility. The wage-and-housing part is the same difference with the population term left out.
    The spectral radius of the one-year map of expected populations is reported beside it.
    """
    model = sim.YRDModel(config, data=data)
    n = model.n_cities
    base_cities = copy.deepcopy(model.cities)
    base_output = model.firms.output.copy(), model.firms.employment.copy()
    elasticity = np.zeros(n)
    size = model.params.migration.size_elasticity
    for i in range(n):
        utility = []
        for sign in (1.0, -1.0):
            model.cities = copy.deepcopy(base_cities)
            factor = float(np.exp(sign * step))
            for name in ("population", "workers", "high_skill", "efficiency_labour", "non_hukou"):
                getattr(model.cities, name)[i] *= factor
            city_decisions.produce(
                model.cities, model.firms, model.year, model.start, model.params.labour
            )
            utility.append(model.location_inputs().destination_utility[0, i])
        elasticity[i] = (utility[0] - utility[1]) / (2 * step)
    model.cities = base_cities
    model.firms.output[:], model.firms.employment[:] = base_output
    radius = float(np.abs(np.linalg.eigvals(expected_response(model, step))).max())
    return Stability(elasticity, size, elasticity - size, step, radius)


def expected_response(model: sim.YRDModel, step: float = 0.01) -> np.ndarray:
    """Jacobian of expected next-year log populations on this year's, at the model's state.

    A diagnostic beside :func:`stability`: column ``i`` is the response of every city's
    expected population after one round of location choice to ``ln P_i`` (residents of ``i``
    scaled, production and location probabilities recomputed). Unused by the fit.
    """
    n = model.n_cities
    base = copy.deepcopy(model.cities)
    counts = talent_decisions.group_counts(model.talent, n).astype(float)
    share = model.params.migration.reconsider_share

    def expected(i: int, factor: float) -> np.ndarray:
        model.cities = copy.deepcopy(base)
        for name in ("population", "workers", "high_skill", "efficiency_labour", "non_hukou"):
            getattr(model.cities, name)[i] *= factor
        city_decisions.produce(
            model.cities, model.firms, model.year, model.start, model.params.labour
        )
        chances = talent_decisions.location_probabilities(model.location_inputs())
        scaled = counts.copy()
        scaled[i] *= factor
        arrivals = (
            demography.expected_immigrants(model.rest, chances, share).sum(axis=0)
            / model.config.persons_per_agent
        )
        return np.log(talent_decisions.expected_population(scaled, chances, share, arrivals))

    jacobian = np.column_stack(
        [(expected(i, np.exp(step)) - expected(i, np.exp(-step))) / (2 * step) for i in range(n)]
    )
    model.cities = base
    return jacobian


# --- the record and the defaults file -------------------------------------------------------


def check_parameters(parameters: Sequence[Factor] = PARAMETERS) -> None:
    """Refuse more than :data:`MAX_PARAMETERS` parameters or a non-global one."""
    if len(parameters) > MAX_PARAMETERS:
        raise ValueError(f"at most {MAX_PARAMETERS} global parameters may be calibrated")
    for p in parameters:
        if p.kind != "uncertainty" or p.path.count(".") != 1:
            raise ValueError(f"{p.name} is not a global behavioural parameter")


def rounded(values: dict[str, float], digits: int = 3) -> dict[str, float]:
    """Values rounded to ``digits`` significant digits (what is written to the defaults)."""
    return {k: float(f"{v:.{digits}g}") for k, v in values.items()}


def set_yaml_values(
    text: str, values: dict[str, float], comments: Mapping[str, str] | None = None
) -> str:
    """Replace ``section: key: value`` lines of a two-level YAML file, keeping comments.

    Args:
        text: The YAML text.
        values: New value by ``section.key``.
        comments: New end-of-line comment by ``section.key`` (the old one is kept otherwise).

    Raises:
        KeyError: A key is not found in its section.
    """
    comments = comments or {}
    lines = text.splitlines(keepends=True)
    for path, value in values.items():
        section, key = path.split(".")
        inside = found = False
        for n, line in enumerate(lines):
            if re.match(rf"^{re.escape(section)}:\s*(#.*)?$", line):
                inside = True
                continue
            if inside and re.match(r"^\S", line):
                break
            match = re.match(rf"^(  {re.escape(key)}:)(\s*)([^#\n]*?)(\s*#.*)?(\n?)$", line)
            if inside and match:
                head, space, _, comment, newline = match.groups()
                new = f"{head}{space}{value!r}"
                if path in comments:
                    comment = "# " + comments[path]
                if comment:
                    column = line.index("#") if "#" in line else len(new) + 1
                    new += " " * max(1, column - len(new)) + comment.strip()
                lines[n] = new + newline
                found = True
                break
        if not found:
            raise KeyError(f"{path} not found in the defaults file")
    return "".join(lines)


def set_comment_block(text: str, block: list[str]) -> str:
    """Put ``block`` (comment lines) between the calibration marks, replacing what was there."""
    body = "".join(f"# {line}\n" if line else "#\n" for line in block)
    section = f"{BEGIN_MARK}\n{body}{END_MARK}\n"
    if BEGIN_MARK in text:
        before, rest = text.split(BEGIN_MARK, 1)
        after = rest.split(END_MARK, 1)[1].lstrip("\n")
        return before + section + after
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    return "".join(lines[:n]) + section + "".join(lines[n:])


def write_defaults(
    values: dict[str, float],
    block: list[str],
    path: Path = DEFAULTS_PATH,
    comments: Mapping[str, str] | None = None,
) -> Path:
    """Write fitted values and the comment block into the defaults file, atomically.

    The file is read just before it is written, and only the lines of ``values`` and the
    marked comment block change.
    """
    text = set_yaml_values(path.read_text(encoding="utf-8"), values, comments)
    return write_text_atomic(path, set_comment_block(text, block))


def factor_record(factor: Factor) -> dict[str, Any]:
    """A calibrated factor's row with what it was fitted on."""
    return {**asdict(factor), "fitted_on": FITTED_ON.get(factor.path, "")}


def dump_json(payload: dict, path: Path) -> Path:
    """Write ``payload`` as indented JSON, atomically."""
    return write_text_atomic(path, json.dumps(payload, indent=2, default=float) + "\n")


@dataclass
class Calibration:
    """The three fits and the checks, as recorded.

    Attributes:
        values: Fitted values (unrounded) by parameter path.
        convergence: The 2000-2010 convergence fit.
        moment: The moving-cost bisection at the chosen ``trend_decay``.
        moments: The bisection at each value of the grid.
        grid: The trend-decay grid.
        grid_errors: :func:`hindcast_error` at each grid value (all cities).
        grid_statistics: :func:`growth_statistics` at each grid value.
        lopo: :func:`leave_one_province_out`.
        lopo_validation: :func:`validation_lopo` (the validation module's own report).
        stability: :meth:`Stability.summary` at the fitted values.
        moment_at_values: The cross-border rate at the fitted (rounded) values.
        settings: Seeds, scale, years.
        seconds: Wall time.
    """

    values: dict[str, float]
    convergence: ConvergenceFit
    moment: MomentFit
    moments: list[MomentFit]
    grid: list[float]
    grid_errors: list[float]
    grid_statistics: list[dict[str, float]]
    lopo: list[dict[str, Any]]
    lopo_validation: dict[str, Any] | None
    stability: dict[str, Any]
    moment_at_values: float
    settings: dict[str, Any]
    seconds: float = 0.0


def calibrate(
    data: RegionData,
    config: sim.SimConfig,
    seeds: Sequence[int] = (0, 1),
    moment_years: int = 3,
    grid: Sequence[float] = DECAY_GRID,
    tolerance: float = 0.01,
    history: pd.DataFrame | None = None,
    log: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit the three parameters in turn and run the checks.

    Args:
        data: The region's data.
        config: The hindcast configuration at the calibration's scale (2010 -> 2020).
        seeds: Seeds of every simulated evaluation (common random numbers).
        moment_years: Years of the short runs of the moving-cost bisection.
        grid: Values of ``trend_decay`` searched.
        tolerance: Relative tolerance on the cross-border rate.
        history: The 2000-2010 city history (default: the bundled file).
        log: Called with a line of progress.
    """
    check_parameters()
    say = log or (lambda line: None)
    clock = time.perf_counter()
    convergence = fit_convergence(history if history is not None else load_history())
    say(f"tfp_convergence = {convergence.rate:.4f} (slope {convergence.slope:.4f} per decade)")
    values = {"labour.tfp_convergence": convergence.rate}
    fitted = apply_factors(config, values)
    start = data.census_population(2010).astype(float)
    observed = data.census_population(2020).astype(float)
    # For each trend_decay of the grid, the moving cost that matches the census moment (the
    # first years' flows depend on both), then the hindcast at that pair.
    moments: list[MomentFit] = []
    runs = []
    for decay in grid:
        at_decay = apply_factors(fitted, {"migration.trend_decay": decay})
        short = at_decay.model_copy(update={"end_year": config.start_year + moment_years})
        moment = moving_cost_near(
            data,
            short,
            seeds,
            tolerance,
            moments[-1].value if moments else None,
            log=lambda cost, rate, d=decay: say(
                f"trend_decay {d}: moving_cost_fixed {cost:.4f}: {rate * 100:.3f} %/yr"
            ),
        )
        moments.append(moment)
        population = end_populations(
            data, apply_factors(at_decay, {"migration.moving_cost_fixed": moment.value}), seeds
        )
        runs.append(population)
        say(
            f"trend_decay {decay}: moving_cost_fixed {moment.value:.4f} "
            f"({moment.achieved * 100:.3f} %/yr), hindcast error "
            f"{hindcast_error(population, start, observed):.4f}"
        )
    runs = np.array(runs)
    valid = [m.converged for m in moments]
    chosen, errors = choose_decay(grid, runs, start, observed, valid=valid)
    moment = moments[list(grid).index(chosen)]
    values["migration.moving_cost_fixed"] = moment.value
    values["migration.trend_decay"] = chosen
    fitted = apply_factors(config, values)
    lopo = leave_one_province_out(grid, runs, start, observed, list(data.cities["province"]), valid)
    lopo_validation = validation_lopo(data, fitted, grid, seeds)
    at_values = apply_factors(config, rounded(values))
    check = stability(data, at_values).summary()
    moment_at_values = simulated_cross_border_rate(
        data, at_values.model_copy(update={"end_year": config.start_year + moment_years}), seeds
    )
    return Calibration(
        values=values,
        convergence=convergence,
        moment=moment,
        moments=moments,
        grid=list(grid),
        grid_errors=errors,
        grid_statistics=[growth_statistics(row, start, observed) for row in runs],
        lopo=lopo,
        lopo_validation=lopo_validation,
        stability=check,
        moment_at_values=moment_at_values,
        settings={
            "seeds": list(seeds),
            "persons_per_agent": config.persons_per_agent,
            "hindcast_years": [config.start_year, config.end_year],
            "moment_years": [config.start_year, config.start_year + moment_years],
            "tolerance": tolerance,
        },
        seconds=time.perf_counter() - clock,
    )


def record(result: Calibration, command: str, commit: str | None) -> dict[str, Any]:
    """The machine-readable record of a calibration (``calibration_record.json``)."""
    index = result.grid.index(result.values["migration.trend_decay"])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git_commit": commit,
        "values": rounded(result.values),
        "values_unrounded": result.values,
        "parameters": [factor_record(p) for p in PARAMETERS],
        "tfp_convergence": {
            "data": str(HISTORY_PATH.relative_to(CONFIG_DIR.parent)),
            "method": "WLS (weights: 2000 population) of relative log growth of GDP per capita "
            "2000-10 on relative log GDP per capita 2000; kappa = -ln(1 + slope) / 10",
            **asdict(result.convergence),
        },
        "moving_cost_fixed": {
            "moment": "yearly share of YRD residents crossing a provincial border: inter-city "
            "moves across a province border + immigrants from + emigrants to the rest of China, "
            "over the mean population",
            "source": MOMENT_SOURCE,
            "target": result.moment.target,
            "achieved": result.moment.achieved,
            "converged": result.moment.converged,
            "achieved_at_written_values": result.moment_at_values,
            "evaluations": [list(e) for e in result.moment.evaluations],
            "by_trend_decay": [
                {
                    "trend_decay": d,
                    "moving_cost_fixed": m.value,
                    "achieved": m.achieved,
                    "converged": m.converged,
                }
                for d, m in zip(result.grid, result.moments, strict=True)
            ],
        },
        "trend_decay": {
            "objective": "sum over cities of squared error of relative log growth 2010-20 (log "
            "growth minus the region's) + squared log error of the YRD total, seed-mean; at "
            "each grid value moving_cost_fixed is set to the census moment first",
            "grid": result.grid,
            "errors": result.grid_errors,
            "statistics": result.grid_statistics,
            "fit_at_chosen_value": result.grid_statistics[index],
            "leave_one_province_out": result.lopo,
            "leave_one_province_out_validation": result.lopo_validation,
        },
        "stability": {
            "definition": "d destination utility / d ln own population, everything else fixed "
            "(wages, agglomeration and housing recomputed), at the 2010 start with the written "
            "values; must be clearly negative",
            **result.stability,
        },
        **result.settings,
        "wall_minutes": result.seconds / 60,
    }
