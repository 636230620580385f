"""Calibration of city amenities to the start-year pattern of migration (model set-up)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from agents.talent import TalentArrays, expected_population, group_counts
from sim.config.parameters import MigrationParams
from sim.core.data import CENSUS_YEARS, RegionData


def calibrate_amenities(
    amenity: np.ndarray,
    population: np.ndarray,
    talent: TalentArrays,
    data: RegionData,
    census_year: int,
    persons_per_agent: int,
    migration: MigrationParams,
    status_quo_probabilities: Callable[[], np.ndarray],
    tolerance: float = 1e-10,
    max_rounds: int = 1000,
    warn_above: float = 1e-4,
) -> str:
    """Set city amenities so that the first year's expected populations hit their targets.

    Targets: the current populations (``steady_state``) or the populations grown at each
    city's 2010-2020 census growth relative to the region (``census_trend``). The expected
    populations are those under the status-quo settlement policy (``config.status_quo``),
    so that a scenario's residency lever acts against the calibrated start. Solved by
    fixed-point iteration on log expected population (the amenity of a city raises the
    expected population of that city at rate about ``reconsider_share``).

    Under ``steady_state`` the solved amenities are then multiplied by
    ``steady_state_amenity_share`` (1: the start is a stationary point of expected flows).

    Args:
        amenity: ``(n,)`` the amenities, solved in place (zeros on entry).
        population: ``(n,)`` start-year population.
        talent: The talent arrays.
        data: The region's data (census populations).
        census_year: The census the run starts from.
        persons_per_agent: Residents per talent agent.
        migration: The migration parameters (``amenities`` is the mode).
        status_quo_probabilities: Location-choice probabilities under the status-quo
            settlement policy with the current ``amenity``.
        tolerance: Largest error in log expected population at which the iteration stops.
        max_rounds: Most rounds of the iteration.
        warn_above: Largest error that is accepted without a warning when the rounds run
            out before ``tolerance`` is reached.

    Returns:
        The mode actually used (``census_trend`` falls back to ``steady_state`` for a start
        before the 2020 census; recorded in the run's provenance).
    """
    mode = migration.amenities
    if mode == "none":
        return mode
    target = population.copy()
    earlier = [y for y in CENSUS_YEARS if y < census_year]
    if mode == "census_trend" and not earlier:
        mode = "steady_state"
    if mode == "census_trend":
        first, last = earlier[-1], census_year
        before = data.census_population(first).astype(float)
        after = data.census_population(last).astype(float)
        years = last - first
        growth = (after / before) ** (1 / years) - (after.sum() / before.sum()) ** (1 / years)
        target = population * (1 + growth)
        target *= population.sum() / target.sum()
        # A city can lose at most the share that reconsiders in a year.
        floor = (1 - 0.8 * migration.reconsider_share) * population
        if (target < floor).any():
            cities = [data.city_ids[i] for i in np.flatnonzero(target < floor)]
            warnings.warn(
                f"census-trend decline of {cities} exceeds what reconsider_share "
                f"{migration.reconsider_share} allows in a year; their targets are limited",
                RuntimeWarning,
                stacklevel=2,
            )
            target = np.maximum(target, floor)
    counts = group_counts(talent, len(population))
    ppa = persons_per_agent
    step = 1.0 / migration.reconsider_share if migration.reconsider_share > 0 else 0.0
    for _ in range(max_rounds):
        probabilities = status_quo_probabilities()
        expected = expected_population(counts, probabilities, migration.reconsider_share) * ppa
        error = np.log(target) - np.log(expected)
        if np.abs(error).max() < tolerance:
            break
        amenity += 0.9 * step * error
        amenity -= amenity.mean()
    # Iterating on to ``tolerance`` is for exact reproducibility; an error in log
    # population below ``warn_above`` (0.01 % of a city) does not matter to any result.
    if np.abs(error).max() >= warn_above:
        warnings.warn(
            f"amenity calibration ({mode}) stopped after {max_rounds} rounds with a largest "
            f"error of {np.abs(error).max():.2e} in log population",
            RuntimeWarning,
            stacklevel=2,
        )
    if mode == "steady_state":
        # Only this share of the start-year pattern is amenity: the rest is disequilibrium
        # that the model's own terms (wages, size, costs, barriers) then act on.
        amenity *= migration.steady_state_amenity_share
    return mode
