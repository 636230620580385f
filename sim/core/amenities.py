"""City amenities: the utility the model's terms leave unexplained, solved at set-up.

Amenities are found by inverting the model at the start (Redding & Rossi-Hansberg 2017):
the amenity of each city is the value at which the expected first-year flows hit a target.
Under ``census_trend`` two such solutions are made, one for the last intercensal decade's
relative growth (the *trend*) and one for a stationary start; the amenities in force in year
``t`` of a run move from the first towards the second at the rate ``trend_decay``:
``a(t) = a_stationary + (a_trend - a_stationary) exp(-trend_decay t)``. Only census data dated
at or before the start year are used (the 2000 and 2010 censuses for a 2010 start).
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from agents.talent import GroupProbabilities, TalentArrays, expected_population, group_counts
from sim.config.parameters import MigrationParams
from sim.core.data import CENSUS_YEARS, HISTORY_CENSUS_YEARS, RegionData

#: Differences kept by the Anderson mixing of the amenity solve (see :func:`_solve`).
ANDERSON_MEMORY = 8


@dataclass(frozen=True)
class Amenities:
    """The solved amenities of a run and how they change over its years.

    Attributes:
        mode: The mode actually used (recorded in the run's provenance).
        trend: ``(n,)`` amenities at which the first year repeats the last decade's pattern.
        stationary: ``(n,)`` amenities at which the start is a stationary point (scaled by
            ``steady_state_amenity_share`` under ``steady_state``).
        decay: Yearly rate at which ``trend`` gives way to ``stationary``.
    """

    mode: str
    trend: np.ndarray
    stationary: np.ndarray
    decay: float

    def at(self, years_since_start: int) -> np.ndarray:
        """The amenities in force ``years_since_start`` years after the start."""
        weight = np.exp(-self.decay * years_since_start)
        return self.stationary + (self.trend - self.stationary) * weight


def _solve(
    target: np.ndarray,
    counts: np.ndarray,
    persons_per_agent: int,
    reconsider_share: float,
    probabilities: Callable[[np.ndarray], np.ndarray | GroupProbabilities],
    immigrants: Callable[[np.ndarray | GroupProbabilities], np.ndarray],
    tolerance: float,
    max_rounds: int,
    warn_above: float,
    mode: str,
) -> np.ndarray:
    """Amenities at which the expected first-year populations equal ``target``.

    Fixed-point iteration on log expected population (the amenity of a city raises the
    expected population of that city at rate about ``reconsider_share``), accelerated by
    Anderson mixing (type II, the last ``ANDERSON_MEMORY`` differences): the damped step
    ``g(a) = a + 0.9 error(a) / reconsider_share`` is the map, and each new amenity is the
    combination of its latest images whose residual is least in the least-squares sense. A
    step that does not reduce the residual (Euclidean norm) is undone: the iteration goes
    back to the previous amenities, takes the plain damped step from them and forgets its
    history, so an accelerated step is kept only when it improves on the last accepted one.
    The rounds (each one evaluation of the expected populations) are counted against
    ``max_rounds``, and the stopping rule is the one of the plain iteration: the largest
    error in log population below ``tolerance``. Nothing is random and the least-squares
    problems are tiny (at most ``n x ANDERSON_MEMORY``), so a seed gives the same amenities
    whatever the thread count.

    References:
        Walker, H. F. & Ni, P. (2011). Anderson acceleration for fixed-point iterations.
        SIAM Journal on Numerical Analysis 49(4), 1715-1735.
    """
    amenity = np.zeros(len(target))
    step = 0.9 / reconsider_share if reconsider_share > 0 else 0.0
    error = np.zeros(len(target))
    # The history of iterates and residuals (damped steps) of the Anderson mixing.
    iterates: list[np.ndarray] = []
    residuals: list[np.ndarray] = []
    for _ in range(max_rounds):
        chances = probabilities(amenity)
        arrivals = immigrants(chances)
        expected = (
            expected_population(counts, chances, reconsider_share, arrivals) * persons_per_agent
        )
        error = np.log(target) - np.log(expected)
        if np.abs(error).max() < tolerance:
            break
        # The rest of China's amenity is the zero of the scale (the region is open, so the
        # level of the cities' amenities sets the exchange with it).
        residual = step * error
        if iterates and np.linalg.norm(residual) > np.linalg.norm(residuals[-1]):
            # Safeguard: back to the last accepted amenities and their plain damped step.
            amenity = iterates[-1] + residuals[-1]
            iterates.clear()
            residuals.clear()
            continue
        iterates.append(amenity)
        residuals.append(residual)
        del iterates[: -(ANDERSON_MEMORY + 1)], residuals[: -(ANDERSON_MEMORY + 1)]
        amenity = amenity + residual
        if len(iterates) > 1:
            moves = np.diff(np.array(iterates), axis=0).T
            changes = np.diff(np.array(residuals), axis=0).T
            weights = np.linalg.lstsq(changes, residual, rcond=None)[0]
            amenity = amenity - (moves + changes) @ weights
    # Iterating on to ``tolerance`` is for exact reproducibility; an error in log
    # population below ``warn_above`` (0.01 % of a city) does not matter to any result.
    if np.abs(error).max() >= warn_above:
        warnings.warn(
            f"amenity calibration ({mode}) stopped after {max_rounds} rounds with a largest "
            f"error of {np.abs(error).max():.2e} in log population",
            RuntimeWarning,
            stacklevel=3,
        )
    return amenity


def calibrate_amenities(
    population: np.ndarray,
    talent: TalentArrays,
    data: RegionData,
    census_year: int,
    persons_per_agent: int,
    migration: MigrationParams,
    status_quo_probabilities: Callable[[np.ndarray], np.ndarray | GroupProbabilities],
    natural_increase: np.ndarray,
    immigrants: Callable[[np.ndarray | GroupProbabilities], np.ndarray],
    tolerance: float = 1e-10,
    max_rounds: int = 1000,
    warn_above: float = 1e-4,
) -> Amenities:
    """Solve the amenities of a run (see the module docstring).

    Targets are populations after one year of migration (arrivals from the rest of China
    included; births and deaths are apart): the current populations (``steady_state``, no net
    migration) or the populations grown at each city's yearly net migration rate over the
    intercensal decade before the start, its census growth less its natural increase
    (``census_trend``). The expected populations are those under the status-quo settlement
    policy (``config.status_quo``), so that a scenario's residency lever acts against the
    calibrated start.

    Args:
        population: ``(n,)`` start-year population.
        talent: The talent arrays.
        data: The region's data (census populations).
        census_year: The census the run starts from.
        persons_per_agent: Residents per talent agent.
        migration: The migration parameters (``amenities`` is the mode).
        status_quo_probabilities: Location-choice probabilities under the status-quo
            settlement policy at the given amenities: the full table, or the rows of the
            groups with agents and of the rest of China (:class:`GroupProbabilities`).
        natural_increase: ``(n,)`` yearly births less deaths per resident at the start.
        immigrants: Expected arrivals from the rest of China (agents, ``(n,)``) for given
            choice probabilities.
        tolerance: Largest error in log expected population at which the iteration stops.
        max_rounds: Most rounds of the iteration.
        warn_above: Largest error that is accepted without a warning when the rounds run
            out before ``tolerance`` is reached.

    Returns:
        The solved :class:`Amenities` (``census_trend`` falls back to ``steady_state`` when no
        census precedes the start).
    """
    mode = migration.amenities
    n = len(population)
    if mode == "none":
        return Amenities(mode, np.zeros(n), np.zeros(n), 0.0)
    earlier = [y for y in (*HISTORY_CENSUS_YEARS, *CENSUS_YEARS) if y < census_year]
    if mode == "census_trend" and not earlier:
        mode = "steady_state"
    counts = group_counts(talent, n)
    solve_args = (
        counts,
        persons_per_agent,
        migration.reconsider_share,
        status_quo_probabilities,
        immigrants,
        tolerance,
        max_rounds,
        warn_above,
    )
    stationary = _solve(population.copy(), *solve_args, mode)
    if mode == "steady_state":
        # Only this share of the start-year pattern is amenity: the rest is disequilibrium
        # that the model's own terms (wages, size, costs, barriers) then act on.
        stationary = stationary * migration.steady_state_amenity_share
        return Amenities(mode, stationary, stationary, 0.0)
    first, last = earlier[-1], census_year
    before = data.census_population(first).astype(float)
    after = data.census_population(last).astype(float)
    years = last - first
    net_migration = (after / before) ** (1 / years) - 1 - natural_increase
    target = population * (1 + net_migration)
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
    trend = _solve(target, *solve_args, mode)
    return Amenities(mode, trend, stationary, migration.trend_decay)


class AmenityCache:
    """Solved amenities kept by the content of everything the solve reads.

    A batch of runs that share their start (same seed, scale, behavioural parameters, status-quo
    settlement rules and start-year network; levers such as vouchers or the scenario's own
    residency rules may differ) solves the amenities once. The key is a digest of the solve's
    numeric inputs themselves (see :meth:`sim.core.model.YRDModel`), so a run that differs in
    anything the solve reads never finds another run's amenities; a hit returns the same
    numbers the solve would give, so the run's tables are unchanged.

    Args:
        size: Most solutions kept (least recently used dropped first).
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._solved: OrderedDict[str, Amenities] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(parts: Iterable[object]) -> str:
        """Digest of ``parts``: arrays by dtype, shape and bytes, anything else by ``repr``."""
        digest = hashlib.blake2b(digest_size=20)
        for part in parts:
            if isinstance(part, np.ndarray):
                array = np.ascontiguousarray(part)
                digest.update(f"{array.dtype}{array.shape}".encode())
                digest.update(array.tobytes())
            else:
                digest.update(repr(part).encode())
            digest.update(b"|")
        return digest.hexdigest()

    def get(self, key: str) -> Amenities | None:
        """The solution stored under ``key`` (counted as a hit or a miss)."""
        found = self._solved.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._solved.move_to_end(key)
        return found

    def put(self, key: str, amenities: Amenities) -> None:
        """Keep ``amenities`` under ``key`` (its arrays made read-only)."""
        for array in (amenities.trend, amenities.stationary):
            array.setflags(write=False)
        self._solved[key] = amenities
        self._solved.move_to_end(key)
        while len(self._solved) > self.size:
            self._solved.popitem(last=False)
