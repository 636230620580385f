"""Talent agents: residents who choose where to live and work.

One :class:`TalentAgent` stands for ``persons_per_agent`` residents. Their state lives in
:class:`TalentArrays` (one entry per agent) that the agent objects index into, so that the
yearly decisions of 10^5-10^6 agents are made in bulk with numpy: the location choice is a
multinomial logit whose probabilities depend only on (current city, hukou city, skill), so they
are computed once per group and each reconsidering agent draws from its group's distribution.

The talent's yearly decisions are :func:`relocate` (who reconsiders and where they go, from the
utilities of :func:`location_inputs`) and :func:`convert_hukou`; the model calls them in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.base import IndexedAgent, StateField
from agents.sampling import draw_categories

if TYPE_CHECKING:
    from agents.city import CityState
    from sim.config.parameters import MigrationParams


@dataclass
class TalentArrays:
    """State of all talent agents, one entry per agent (the agent's ``index``).

    Attributes:
        city: Index of the current city.
        hukou: Index of the hukou (registration) city; ``n_cities`` means outside the 41 cities.
        high_skill: Whether the agent is high-skill (tertiary educated).
        years_in_city: Years since the agent last moved.
    """

    city: np.ndarray
    hukou: np.ndarray
    high_skill: np.ndarray
    years_in_city: np.ndarray

    def __len__(self) -> int:
        return len(self.city)


@dataclass(frozen=True)
class LocationInputs:
    """The city-level terms of one year's location choice (the arguments of the kernel).

    See :func:`location_utilities` for how they combine.

    Attributes:
        destination_utility: ``(2, n)`` utility of living in each city by skill.
        non_hukou_penalty: ``(n,)`` penalty of living in a city without its hukou.
        moving_cost: ``(n, n)`` cost of moving from origin to destination (zero diagonal).
        home_bias: Utility of living in one's hukou city.
        flexible_talent: High-skill talent with a YRD hukou is exempt from the penalty.
    """

    destination_utility: np.ndarray
    non_hukou_penalty: np.ndarray
    moving_cost: np.ndarray
    home_bias: float
    flexible_talent: bool


class TalentAgent(IndexedAgent):
    """``persons_per_agent`` residents who share a current city, hukou city and skill.

    The agent's state is its row of the model's :class:`TalentArrays`; its yearly decisions
    (relocation, hukou conversion) are taken for all agents at once by the model through
    :func:`choose_locations` and :func:`convert_hukou`.

    Attributes:
        city: Index of the city the agent lives in.
        hukou: Index of the agent's hukou city (``n_cities``: outside the YRD).
        high_skill: Whether the agent is high-skill.
        years_in_city: Years since the agent last moved.
    """

    city = StateField("talent", int)
    hukou = StateField("talent", int)
    high_skill = StateField("talent", bool)
    years_in_city = StateField("talent", int)

    @property
    def has_local_hukou(self) -> bool:
        """Whether the agent holds the hukou of the city it lives in."""
        return self.city == self.hukou


def location_utilities(
    destination_utility: np.ndarray,
    non_hukou_penalty: np.ndarray,
    moving_cost: np.ndarray,
    home_bias: float,
    flexible_talent: bool,
) -> np.ndarray:
    """Utility of every destination for every (origin, hukou, skill) group.

    ``U[o, h, s, d] = destination_utility[s, d] + home_bias [d == h]
    - non_hukou_penalty[d] [d != h, unless s is high skill, h in the YRD and flexible_talent]
    - moving_cost[o, d]``.

    Args:
        destination_utility: ``(2, n)`` utility of living in each city by skill (0 other,
            1 high): weighted log real wage, opportunity mass and amenity.
        non_hukou_penalty: ``(n,)`` settlement barrier plus lost public services of each city
            for a resident without its hukou.
        moving_cost: ``(n, n)`` cost of moving from origin to destination (zero diagonal).
        home_bias: Utility of living in one's hukou city.
        flexible_talent: Exempt high-skill talent with a YRD hukou from the penalty.

    Returns:
        Array of shape ``(n, n + 1, 2, n)``: origin, hukou (``n`` = outside), skill,
        destination.

    References:
        Tombe & Zhu (2019), AER 109(5): location choice with migration costs and hukou.
    """
    n = moving_cost.shape[0]
    hukou_is_dest = np.zeros((n + 1, n), dtype=bool)
    hukou_is_dest[np.arange(n), np.arange(n)] = True
    penalty = np.where(hukou_is_dest, 0.0, non_hukou_penalty[None, :])  # (h, d)
    penalty_by_skill = np.repeat(penalty[:, None, :], 2, axis=1)  # (h, s, d)
    if flexible_talent:
        penalty_by_skill[:n, 1, :] = 0.0
    home = np.where(hukou_is_dest, home_bias, 0.0)  # (h, d)
    per_group = destination_utility[None, :, :] + home[:, None, :] - penalty_by_skill  # (h,s,d)
    return per_group[None, :, :, :] - moving_cost[:, None, None, :]


def choice_probabilities(utilities: np.ndarray) -> np.ndarray:
    """Multinomial-logit probabilities over the last axis (numerically stable)."""
    shifted = utilities - utilities.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def group_index(talent: TalentArrays, n_cities: int) -> np.ndarray:
    """Flat (origin, hukou, skill) group of each agent, as rows of the choice table."""
    origin = talent.city.astype(np.int64)
    return (origin * (n_cities + 1) + talent.hukou) * 2 + talent.high_skill


def group_counts(talent: TalentArrays, n_cities: int) -> np.ndarray:
    """Agents in each (origin, hukou, skill) group, shape ``(n, n + 1, 2)``."""
    size = n_cities * (n_cities + 1) * 2
    counts = np.bincount(group_index(talent, n_cities), minlength=size)
    return counts.reshape(n_cities, n_cities + 1, 2)


def expected_population(
    counts: np.ndarray, probabilities: np.ndarray, reconsider_share: float
) -> np.ndarray:
    """Expected agents per city after one round of location choice.

    Args:
        counts: ``(n, n + 1, 2)`` agents by origin, hukou, skill.
        probabilities: ``(n, n + 1, 2, n)`` choice probabilities.
        reconsider_share: Share of agents that reconsider.
    """
    staying = counts.sum(axis=(1, 2))
    choosing = np.einsum("ohs,ohsd->d", counts, probabilities)
    return (1 - reconsider_share) * staying + reconsider_share * choosing


def choose_locations(
    rng: np.random.Generator,
    talent: TalentArrays,
    probabilities: np.ndarray,
    reconsider_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Let a share of talent reconsider and draw their new cities; update the arrays.

    Two uniform numbers are drawn for every agent (whether it reconsiders, and where it goes),
    so an agent's draws do not depend on the other agents' choices.

    Args:
        rng: The model's random generator.
        talent: The talent arrays (updated in place).
        probabilities: ``(n, n + 1, 2, n)`` choice probabilities by origin, hukou, skill.
        reconsider_share: Probability that an agent reconsiders this year.

    Returns:
        ``(origins, destinations)`` of the agents that moved.
    """
    n = probabilities.shape[0]
    reconsider_uniform, choice_uniform = rng.random((len(talent), 2)).T
    reconsider = np.flatnonzero(reconsider_uniform < reconsider_share)
    origin = talent.city[reconsider].astype(np.int64)
    group = (origin * (n + 1) + talent.hukou[reconsider]) * 2 + talent.high_skill[reconsider]
    cumulative = np.cumsum(probabilities.reshape(-1, n), axis=1)
    destination = draw_categories(choice_uniform[reconsider], cumulative, group)
    moved = destination != origin
    movers = reconsider[moved]
    talent.years_in_city += 1
    talent.city[movers] = destination[moved]
    talent.years_in_city[movers] = 0
    return origin[moved], destination[moved]


def convert_hukou(
    rng: np.random.Generator, talent: TalentArrays, conversion_rate: np.ndarray
) -> int:
    """Residents without local hukou obtain it at their city's yearly rate.

    Args:
        rng: The model's random generator.
        talent: The talent arrays (updated in place).
        conversion_rate: ``(n,)`` yearly conversion probability by city.

    Returns:
        Number of agents converted.
    """
    uniform = rng.random(len(talent))
    candidates = np.flatnonzero(talent.hukou != talent.city)
    cities = talent.city[candidates]
    converted = candidates[uniform[candidates] < conversion_rate[cities]]
    talent.hukou[converted] = talent.city[converted]
    return len(converted)


def location_inputs(
    cities: CityState,
    amenity: np.ndarray,
    migration: MigrationParams,
    travel_minutes: np.ndarray,
    *,
    settlement_barrier: np.ndarray,
    public_service_access: np.ndarray,
    flexible_talent: bool,
) -> LocationInputs:
    """The city-level terms of this year's location choice (see :class:`LocationInputs`).

    Args:
        cities: The city state (wages, housing cost, population).
        amenity: ``(n,)`` calibrated city amenities.
        migration: The migration parameters.
        travel_minutes: ``(n, n)`` travel times.
        settlement_barrier: ``(n,)`` utility cost of living without local hukou.
        public_service_access: ``(n,)`` share of public services open to non-hukou residents.
        flexible_talent: High-skill talent with a YRD hukou is exempt from the penalty.
    """
    mp = migration
    c = cities
    with np.errstate(divide="ignore", invalid="ignore"):
        housing = mp.housing_share * np.log(c.housing_cost)
        destination = (
            mp.real_wage_weight
            * np.vstack((np.log(c.wage_low) - housing, np.log(c.wage_high) - housing))
            + mp.size_elasticity * np.log(c.population)
            + amenity
        )
    # A city everybody has left offers no jobs or homes: nobody chooses it.
    destination = np.where(c.population > 0, destination, -np.inf)
    penalty = settlement_barrier + mp.public_service_weight * (1.0 - public_service_access)
    moving = mp.moving_cost_fixed + mp.moving_cost_per_hour * travel_minutes / 60.0
    np.fill_diagonal(moving, 0.0)
    return LocationInputs(
        destination_utility=destination,
        non_hukou_penalty=penalty,
        moving_cost=moving,
        home_bias=mp.home_bias,
        flexible_talent=flexible_talent,
    )


def location_probabilities(inputs: LocationInputs) -> np.ndarray:
    """Logit probabilities of every destination by (origin, hukou, skill) group."""
    utilities = location_utilities(
        inputs.destination_utility,
        inputs.non_hukou_penalty,
        inputs.moving_cost,
        inputs.home_bias,
        inputs.flexible_talent,
    )
    return choice_probabilities(utilities)


def relocate(
    rng: np.random.Generator,
    talent: TalentArrays,
    probabilities: np.ndarray,
    reconsider_share: float,
    persons_per_agent: int,
) -> np.ndarray:
    """A share of talent reconsiders its city and moves (:func:`choose_locations`).

    Returns:
        ``(n, n)`` migrants (persons) by origin and destination.
    """
    n = probabilities.shape[0]
    origin, destination = choose_locations(rng, talent, probabilities, reconsider_share)
    flows = np.bincount(origin * n + destination, minlength=n * n).reshape(n, n)
    return flows * float(persons_per_agent)
