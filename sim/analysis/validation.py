"""Hindcast 2010 -> 2020 against the census, scored beside the naive forecasts it must beat.

The hindcast is one configuration, ``experiment=hindcast_2010``: the 2010 census (on 2020
boundaries) as the start, links opening in their historical years, the settlement rules of 2010,
and amenities inverted from the 2000-2010 census decade (``census_trend``), which fade at
``params.migration.trend_decay``. The region is open (births, deaths, exchange with the rest of
China), so the YRD total in 2020 is an output: the simulated populations are compared with the
2020 census *unscaled*, and the error of the total is reported on its own.

Every metric (:func:`sim.analysis.forecasts.evaluate`: R² of relative and of absolute log
growth, MAE in % of the census, Spearman rank correlation, sign hits of relative growth, MAE by
province, error of the total) is computed for the mean of the seeds' simulated populations and
for each naive forecast of :func:`sim.analysis.forecasts.all_forecasts`. The report adds the
spread across seeds, two untargeted checks (migrant stocks in Zhejiang and Shanghai against
``migration_census_province.csv``; whether the region's non-hukou residents rise) and, on
request, a leave-one-province-out test of ``trend_decay`` (:func:`lopo_trend_decay`), the one
parameter chosen on the 2010-2020 hindcast.

The analysis takes the hindcast configuration typed (:func:`sim.hydra.compose.hindcast_config`
composes it once); each seed's run is that configuration with the seed replaced.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.analysis.forecasts import all_forecasts, evaluate, forecast_inputs
from sim.core.data import BUNDLED_DATA_DIR, RegionData
from sim.core.network import TransportNetwork
from sim.runs.atomic import write_text_atomic

#: Seeds of the validation runs (common random numbers across calibration evaluations).
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)

#: Values of ``params.migration.trend_decay`` tried by :func:`lopo_trend_decay`.
TREND_DECAY_GRID: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15)

#: Provincial migrant stocks of the censuses (copied, with sources, from the shared data).
MIGRATION_FILE = "migration_census_province.csv"


# ------------------------------------------------------------------------------------------
# Runs
# ------------------------------------------------------------------------------------------


def simulated_cities(config: sim.SimConfig, data: RegionData) -> pd.DataFrame:
    """Run ``config`` and return its ``cities`` table (one row per year and city)."""
    return sim.simulate(config, data=data).cities


def populations_in(cities: pd.DataFrame, data: RegionData, year: int) -> np.ndarray:
    """Each city's population (persons) in ``year`` from a ``cities`` table, in data order."""
    frame = cities[cities["year"] == year].set_index("city_id")
    return frame.loc[data.city_ids, "population"].to_numpy(dtype=float)


def simulated_populations(
    config: sim.SimConfig, data: RegionData, year: int | None = None
) -> np.ndarray:
    """Run ``config`` and return each city's population (persons) in ``year`` (default: end)."""
    year = config.end_year if year is None else year
    return populations_in(simulated_cities(config, data), data, year)


def run_hindcast(
    data: RegionData, config: sim.SimConfig, seeds: Sequence[int] = DEFAULT_SEEDS
) -> np.ndarray:
    """Simulated end-year populations of ``config`` run with each seed.

    Args:
        data: The region's data.
        config: The hindcast configuration (e.g. from :func:`sim.hydra.compose.hindcast_config`).
        seeds: The seeds; each run is ``config`` with that seed.

    Returns:
        One row per seed (shape ``(len(seeds), n_cities)``).
    """
    return np.array(
        [simulated_populations(config.model_copy(update={"seed": seed}), data) for seed in seeds]
    )


def with_trend_decay(config: sim.SimConfig, value: float) -> sim.SimConfig:
    """``config`` with ``params.migration.trend_decay`` replaced (validated again)."""
    dumped = config.model_dump()
    dumped["params"]["migration"]["trend_decay"] = float(value)
    return type(config).model_validate(dumped)


# ------------------------------------------------------------------------------------------
# Fit statistics (kept for the calibration and for callers of the earlier versions)
# ------------------------------------------------------------------------------------------


def r2_log_growth(predicted: np.ndarray, start: np.ndarray, observed: np.ndarray) -> float:
    """Coefficient of determination of (absolute) log growth, ``1 - SSE / SST``.

    ``SSE = sum_i (ln(pred_i/start_i) - ln(obs_i/start_i))^2`` and ``SST`` is the sum of squares
    of observed log growth around its mean (a forecast of every city at the mean growth scores
    0; worse forecasts score below 0). This is ``r2_abs`` of
    :func:`sim.analysis.forecasts.evaluate`.
    """
    observed_growth = np.log(observed / start)
    predicted_growth = np.log(predicted / start)
    sse = float(((predicted_growth - observed_growth) ** 2).sum())
    sst = float(((observed_growth - observed_growth.mean()) ** 2).sum())
    return 1.0 - sse / sst


def mae_pct(predicted: np.ndarray, observed: np.ndarray) -> float:
    """Mean absolute error of the populations, in % of the observed value."""
    return float(np.mean(np.abs(predicted - observed) / observed) * 100.0)


def fit(predicted: np.ndarray, start: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """``r2_log_growth`` and ``mae_pct`` of one forecast."""
    return {
        "r2_log_growth": r2_log_growth(predicted, start, observed),
        "mae_pct": mae_pct(predicted, observed),
    }


# ------------------------------------------------------------------------------------------
# The competitors
# ------------------------------------------------------------------------------------------


def travel_minutes_2010(data: RegionData, config: sim.SimConfig) -> np.ndarray:
    """The model network's travel times (minutes) in the start year, for market access."""
    network = TransportNetwork(data, config.scenario.transport, config.params.transport)
    return network.travel_times(config.start_year)


def naive_forecasts(
    data: RegionData, travel_minutes: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The naive and statistical 2020 forecasts (:func:`sim.analysis.forecasts.all_forecasts`).

    Args:
        data: The region's data.
        travel_minutes: 2010 travel times for the regression's market-access covariate.

    Returns:
        Predicted 2020 populations (persons, in data order) by forecast name.
    """
    predictions = all_forecasts(forecast_inputs(data, travel_minutes)).predictions
    return {name: p.to_numpy(dtype=float) for name, p in predictions.items()}


# ------------------------------------------------------------------------------------------
# Untargeted checks
# ------------------------------------------------------------------------------------------


def migration_census(data: RegionData) -> pd.DataFrame:
    """Provincial migrant stocks (``province, year, measure, value_persons, source``).

    The data folder's ``migration_census_province.csv``, else the bundled one.
    """
    own = Path(data.source_dir) / MIGRATION_FILE
    return pd.read_csv(own if own.is_file() else BUNDLED_DATA_DIR / MIGRATION_FILE)


def migrant_check(
    runs: Sequence[pd.DataFrame], data: RegionData, start: int = 2010, end: int = 2020
) -> dict[str, Any]:
    """Simulated non-hukou residents against the census's migrant stocks (untargeted).

    The model's ``non_hukou`` residents of a province are those without hukou in their city of
    residence: for Shanghai (one city) that is the census's residents from other provinces;
    for Zhejiang it lies between those (out-of-province inflow) and the floating population
    (which also counts moves within a city). Levels and the 2010 -> 2020 ratio are reported.

    Args:
        runs: The ``cities`` tables of the seeds' runs.
        data: The region's data.
        start: First year compared.
        end: Last year compared.

    Returns:
        Per province the simulated (mean of seeds) and census stocks, and the region's.
    """
    census = migration_census(data)
    stacked = pd.concat(list(runs))
    by_province = stacked[stacked["year"].isin([start, end])].groupby(["province", "year"])[
        "non_hukou"
    ].sum() / len(runs)
    region = stacked[stacked["year"].isin([start, end])].groupby("year")["non_hukou"].sum() / len(
        runs
    )
    out: dict[str, Any] = {}
    for province in ("Zhejiang", "Shanghai"):
        sim_start = float(by_province.get((province, start), math.nan))
        sim_end = float(by_province.get((province, end), math.nan))
        entry: dict[str, Any] = {
            "simulated_non_hukou": {str(start): sim_start, str(end): sim_end},
            "simulated_ratio": sim_end / sim_start if sim_start > 0 else None,
            "census": {},
        }
        rows = census[census["province"] == province]
        for measure, group in rows.groupby("measure"):
            values = group.set_index("year")["value_persons"]
            if start in values.index and end in values.index:
                entry["census"][str(measure)] = {
                    str(start): float(values[start]),
                    str(end): float(values[end]),
                    "ratio": float(values[end] / values[start]),
                    "source": str(group["source"].iloc[-1]),
                }
        out[province] = entry
    out["region_non_hukou"] = {
        str(start): float(region.get(start, math.nan)),
        str(end): float(region.get(end, math.nan)),
        "rises": bool(region.get(end, math.nan) > region.get(start, math.nan)),
    }
    return out


def seed_spread(runs: np.ndarray) -> dict[str, Any]:
    """Spread of each city's simulated population across seeds (``runs``: seeds x cities)."""
    if len(runs) < 2:
        return {"n_seeds": len(runs), "median_cv_pct": None, "max_cv_pct": None}
    cv = runs.std(axis=0, ddof=1) / runs.mean(axis=0) * 100.0
    return {
        "n_seeds": len(runs),
        "median_cv_pct": float(np.median(cv)),
        "max_cv_pct": float(cv.max()),
        "median_sd_persons": float(np.median(runs.std(axis=0, ddof=1))),
    }


# ------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------


@dataclass
class ValidationResult:
    """The hindcast's fit and its competitors'.

    Attributes:
        simulated: Simulated 2020 populations (unscaled), one row per seed.
        report: The numbers written to ``validation.json``.
        table: One row per city: census 2010 and 2020, simulated mean, seed range and sd,
            each naive forecast.
    """

    simulated: np.ndarray
    report: dict[str, Any]
    table: pd.DataFrame


def _metrics(pred: np.ndarray, frame: pd.DataFrame) -> dict[str, Any]:
    """:func:`sim.analysis.forecasts.evaluate` with ``r2_log_growth`` (= ``r2_abs``) added."""
    m = evaluate(pred, frame)
    return {**m, "r2_log_growth": m["r2_abs"]}


def validate(
    data: RegionData,
    config: sim.SimConfig,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    overrides: Sequence[str] = (),
) -> ValidationResult:
    """Run the hindcast with ``seeds`` and score it and the naive forecasts against the census.

    Args:
        data: The region's data.
        config: The hindcast configuration (e.g. from :func:`sim.hydra.compose.hindcast_config`).
        seeds: The seeds; each run is ``config`` with that seed.
        overrides: The overrides ``config`` was composed with, recorded in the report.

    Returns:
        The per-seed populations, the report and the per-city table.
    """
    start = data.census_population(2010).astype(float)
    observed = data.census_population(2020).astype(float)
    tables = [simulated_cities(config.model_copy(update={"seed": seed}), data) for seed in seeds]
    runs = np.array([populations_in(t, data, config.end_year) for t in tables])
    mean = runs.mean(axis=0)
    frame = forecast_inputs(data, travel_minutes_2010(data, config))
    competitors = all_forecasts(frame)
    model = _metrics(mean, frame)
    per_seed = [_metrics(r, frame) for r in runs]
    baselines = {
        name: {"info": competitors.info[name], **_metrics(p.to_numpy(float), frame)}
        for name, p in competitors.predictions.items()
    }
    beaten = {
        name: {
            "r2_rel": model["r2_rel"] > b["r2_rel"],
            "mae_pct": model["mae_pct"] < b["mae_pct"],
        }
        for name, b in baselines.items()
    }
    report: dict[str, Any] = {
        "r2_rel": model["r2_rel"],
        "r2_log_growth": model["r2_abs"],
        "mae_pct": model["mae_pct"],
        "total_err_pct": model["total_err_pct"],
        "model": model,
        "per_seed": {
            key: [s[key] for s in per_seed]
            for key in ("r2_rel", "r2_abs", "mae_pct", "spearman", "sign_hits", "total_err_pct")
        },
        "seed_spread": seed_spread(runs),
        "yrd_total": {
            "census_2010": float(start.sum()),
            "census_2020": float(observed.sum()),
            "simulated_2020": float(mean.sum()),
            "error_pct": model["total_err_pct"],
        },
        "baselines": baselines,
        "model_beats": beaten,
        "forecast_fitted": competitors.fitted,
        "untargeted": migrant_check(tables, data, config.start_year, config.end_year),
        "correlation_log_growth": float(
            np.corrcoef(np.log(mean / start), np.log(observed / start))[0, 1]
        ),
        "sd_log_growth": {
            "observed": float(np.log(observed / start).std()),
            "simulated": float(np.log(mean / start).std()),
        },
        "seeds": list(seeds),
        "overrides": list(overrides),
        "persons_per_agent": config.persons_per_agent,
        "start_year": config.start_year,
        "end_year": config.end_year,
        "amenities": config.params.migration.amenities,
        "n_cities": data.n_cities,
        "scaling": "none: simulated populations are compared unscaled (the total is an output)",
        "params": config.params.migration.model_dump(),
    }
    table = pd.DataFrame(
        {
            "city_id": data.city_ids,
            "name_en": data.cities["name_en"].to_numpy(),
            "province": data.cities["province"].to_numpy(),
            "census_2000": data.census_population(2000).astype(float),
            "census_2010": start,
            "census_2020": observed,
            "simulated_2020": mean,
            "simulated_2020_min": runs.min(axis=0),
            "simulated_2020_max": runs.max(axis=0),
            "simulated_2020_sd": runs.std(axis=0, ddof=1) if len(runs) > 1 else np.nan,
            **{f"{name}_2020": p.to_numpy(float) for name, p in competitors.predictions.items()},
        }
    )
    table["growth_observed_pct"] = (observed / start - 1) * 100
    table["growth_simulated_pct"] = (mean / start - 1) * 100
    table["error_pct"] = (mean / observed - 1) * 100
    return ValidationResult(simulated=runs, report=report, table=table)


def lopo_trend_decay(
    data: RegionData,
    base_config: sim.SimConfig,
    grid: Sequence[float] = TREND_DECAY_GRID,
    seeds: Sequence[int] = DEFAULT_SEEDS,
) -> dict[str, Any]:
    """Leave-one-province-out test of ``params.migration.trend_decay``.

    The hindcast is run once per grid value (mean of ``seeds``); the runs are shared by the
    folds. For each province the value minimising the SSE of relative log growth
    (:mod:`sim.analysis.forecasts`: ``rh - r``) over the *other* provinces' cities is picked,
    and the held-out province's cities are scored with that value. The pooled score uses each
    city's held-out prediction.

    Args:
        data: The region's data.
        base_config: The hindcast configuration; only ``trend_decay`` and the seed change.
        grid: The values tried.
        seeds: The seeds of each value's runs.

    Returns:
        The values picked per province, the pooled held-out ``r2_rel`` and ``mae_pct`` (and
        MAE by province), and each grid value's in-sample scores.
    """
    frame = forecast_inputs(data)
    p10 = frame["pop_2010"].to_numpy(float)
    p20 = frame["pop_2020"].to_numpy(float)
    r = np.log(p20 / p10) - np.log(p20.sum() / p10.sum())
    provinces = frame["province"].to_numpy()
    means = {
        float(v): run_hindcast(data, with_trend_decay(base_config, v), seeds).mean(axis=0)
        for v in grid
    }
    residual = {v: np.log(q / p10) - np.log(q.sum() / p10.sum()) - r for v, q in means.items()}
    picked: dict[str, float] = {}
    held_resid = np.empty_like(r)
    held_pred = np.empty_like(r)
    for province in pd.unique(provinces):
        inside = provinces == province
        sse = {v: float((e[~inside] ** 2).sum()) for v, e in residual.items()}
        best = min(sse, key=sse.__getitem__)
        picked[str(province)] = best
        held_resid[inside] = residual[best][inside]
        held_pred[inside] = means[best][inside]
    ape = np.abs(held_pred - p20) / p20 * 100.0
    in_sample = {str(v): _metrics(q, frame) for v, q in means.items()}
    for scores in in_sample.values():
        scores.pop("mae_by_province")
    return {
        "grid": [float(v) for v in grid],
        "seeds": list(seeds),
        "picked": picked,
        "r2_rel": 1.0 - float((held_resid**2).sum()) / float(((r - r.mean()) ** 2).sum()),
        "mae_pct": float(ape.mean()),
        "mae_by_province": {
            str(k): float(v) for k, v in pd.Series(ape).groupby(provinces).mean().items()
        },
        "in_sample_best": min(means, key=lambda v: float((residual[v] ** 2).sum())),
        "in_sample": in_sample,
    }


def _finite(value: Any) -> Any:
    """NaN and infinities as None (strict JSON), recursively."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_validation(result: ValidationResult, out_dir: str | Path) -> Path:
    """Write ``validation.json`` and ``validation_cities.csv`` to ``out_dir``.

    The figures are :func:`sim.figures.validation.plot_validation`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "validation_cities.csv", result.table.to_csv(index=False))
    return write_text_atomic(
        out / "validation.json", json.dumps(_finite(result.report), indent=2) + "\n"
    )
