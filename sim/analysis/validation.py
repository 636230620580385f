"""Hindcast 2010 -> 2020 against the census, with naive forecasts as the benchmark.

The hindcast is one configuration, ``experiment=hindcast_2010``: the 2010 census (on 2020
boundaries) as the start, the links of the data opening in their historical years, the
settlement rules of 2010 as status quo and scenario, and ``steady_state`` amenities, which use
no information after 2010. Simulated 2020 populations are compared with the 2020 census.

The model's region is closed (its total stays at the 2010 census total, 219 million) while the
census total grew by 7.3 % (natural increase and migration from the rest of China). The
headline statistics therefore scale the simulated populations to the census's regional total
of 2020 (one number, which the model does not represent); the unscaled figures are reported as
well. The naive forecasts are *no change* (2020 = 2010), *uniform growth* (every city at the
region's growth) and *province average* (every city at its province's growth).

The analysis takes the hindcast configuration typed (:func:`sim.hydra.compose.hindcast_config`
composes it once); each seed's run is that configuration with the seed replaced.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.core.data import RegionData
from sim.runs.atomic import write_text_atomic

#: Seeds of the validation runs (common random numbers across calibration evaluations).
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)


def simulated_populations(
    config: sim.SimConfig, data: RegionData, year: int | None = None
) -> np.ndarray:
    """Run ``config`` and return each city's population (persons) in ``year`` (default: end)."""
    result = sim.simulate(config, data=data)
    year = config.end_year if year is None else year
    frame = result.cities[result.cities["year"] == year].set_index("city_id")
    return frame.loc[data.city_ids, "population"].to_numpy(dtype=float)


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
        [
            simulated_populations(config.model_copy(update={"seed": seed}), data)
            for seed in seeds
        ]
    )


def scale_to_total(population: np.ndarray, total: float) -> np.ndarray:
    """Populations scaled so that they sum to ``total`` (shares kept)."""
    return population * (total / population.sum())


def r2_log_growth(predicted: np.ndarray, start: np.ndarray, observed: np.ndarray) -> float:
    """Coefficient of determination of log growth, ``1 - SSE / SST``.

    ``SSE = sum_i (ln(pred_i/start_i) - ln(obs_i/start_i))^2`` and ``SST`` is the sum of squares
    of observed log growth around its mean (a forecast of every city at the mean growth scores
    0; worse forecasts score below 0).
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


def naive_forecasts(data: RegionData) -> dict[str, np.ndarray]:
    """The naive 2020 forecasts: no change, uniform (regional) growth, provincial growth.

    ``province_average`` uses each province's 2010-2020 census growth (four numbers of 2020),
    ``uniform_growth`` the region's (one number): both know more about 2020 than the model.
    """
    cities = data.cities
    start = data.census_population(2010).astype(float)
    end = data.census_population(2020).astype(float)
    totals = cities.assign(p10=start, p20=end).groupby("province")[["p10", "p20"]].sum()
    province_growth = (totals["p20"] / totals["p10"]).loc[cities["province"]].to_numpy()
    return {
        "no_change": start.copy(),
        "uniform_growth": scale_to_total(start, end.sum()),
        "province_average": start * province_growth,
    }


@dataclass
class ValidationResult:
    """The hindcast's fit and the naive forecasts'.

    Attributes:
        simulated: Simulated 2020 populations, one row per seed (closed region).
        report: The numbers written to ``validation.json``.
        table: One row per city: census 2010 and 2020, simulated (scaled) mean and seed range,
            naive forecasts.
    """

    simulated: np.ndarray
    report: dict[str, Any]
    table: pd.DataFrame


def validate(
    data: RegionData,
    config: sim.SimConfig,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    overrides: Sequence[str] = (),
) -> ValidationResult:
    """Run the hindcast with ``seeds`` and compare it with the census and the naive forecasts.

    Args:
        data: The region's data.
        config: The hindcast configuration (e.g. from :func:`sim.hydra.compose.hindcast_config`).
        seeds: The seeds; each run is ``config`` with that seed.
        overrides: The overrides ``config`` was composed with, recorded in the report.
    """
    start = data.census_population(2010).astype(float)
    observed = data.census_population(2020).astype(float)
    runs = run_hindcast(data, config, seeds)
    closed = runs.mean(axis=0)
    scaled_runs = np.array([scale_to_total(r, observed.sum()) for r in runs])
    scaled = scaled_runs.mean(axis=0)
    per_seed = [fit(r, start, observed) for r in scaled_runs]
    naive = naive_forecasts(data)
    report: dict[str, Any] = {
        **fit(scaled, start, observed),
        "closed_region": fit(closed, start, observed),
        "per_seed": {
            "r2_log_growth": [s["r2_log_growth"] for s in per_seed],
            "mae_pct": [s["mae_pct"] for s in per_seed],
        },
        "baselines": {name: fit(p, start, observed) for name, p in naive.items()},
        "seeds": list(seeds),
        "overrides": list(overrides),
        "persons_per_agent": config.persons_per_agent,
        "start_year": config.start_year,
        "end_year": config.end_year,
        "amenities": config.params.migration.amenities,
        "n_cities": data.n_cities,
        "scaling": "simulated populations scaled to the 2020 census regional total "
        f"({observed.sum():.0f}); closed_region = unscaled",
        "correlation_log_growth": float(
            np.corrcoef(np.log(scaled / start), np.log(observed / start))[0, 1]
        ),
        "sd_log_growth": {
            "observed": float(np.log(observed / start).std()),
            "simulated": float(np.log(scaled / start).std()),
        },
        "params": config.params.migration.model_dump(),
    }
    table = pd.DataFrame(
        {
            "city_id": data.city_ids,
            "name_en": data.cities["name_en"].to_numpy(),
            "province": data.cities["province"].to_numpy(),
            "census_2010": start,
            "census_2020": observed,
            "simulated_2020": scaled,
            "simulated_2020_min": scaled_runs.min(axis=0),
            "simulated_2020_max": scaled_runs.max(axis=0),
            "simulated_2020_closed": closed,
            **{f"{name}_2020": p for name, p in naive.items()},
        }
    )
    table["growth_observed_pct"] = (observed / start - 1) * 100
    table["growth_simulated_pct"] = (scaled / start - 1) * 100
    table["error_pct"] = (scaled / observed - 1) * 100
    return ValidationResult(simulated=runs, report=report, table=table)


def write_validation(result: ValidationResult, out_dir: str | Path) -> Path:
    """Write ``validation.json`` and ``validation_cities.csv`` to ``out_dir``.

    The figures are :func:`sim.figures.validation.plot_validation`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / "validation_cities.csv", index=False)
    return write_text_atomic(
        out / "validation.json", json.dumps(result.report, indent=2, default=float) + "\n"
    )
