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
        alive: Whether the agent lives in the YRD (False once it has died or moved to the rest
            of China; its row is kept so that rows keep their random numbers).
    """

    city: np.ndarray
    hukou: np.ndarray
    high_skill: np.ndarray
    years_in_city: np.ndarray
    alive: np.ndarray

    def __len__(self) -> int:
        return len(self.city)

    def extend(self, city: np.ndarray, hukou: np.ndarray, high_skill: np.ndarray) -> np.ndarray:
        """Append new living agents (born or arrived this year); returns their rows."""
        first = len(self.city)
        self.city = np.concatenate((self.city, city.astype(self.city.dtype)))
        self.hukou = np.concatenate((self.hukou, hukou.astype(self.hukou.dtype)))
        self.high_skill = np.concatenate((self.high_skill, high_skill.astype(bool)))
        self.years_in_city = np.concatenate(
            (self.years_in_city, np.zeros(len(city), dtype=self.years_in_city.dtype))
        )
        self.alive = np.concatenate((self.alive, np.ones(len(city), dtype=bool)))
        return np.arange(first, len(self.city))


@dataclass(frozen=True)
class LocationInputs:
    """The city-level terms of one year's location choice (the arguments of the kernel).

    See :func:`location_utilities` for how they combine.

    Attributes:
        destination_utility: ``(2, n + 1)`` utility of living in each city by skill; the last
            column is the rest of China.
        public_service_penalty: ``(n,)`` yearly utility loss of living in a city without its
            hukou (public services closed to non-hukou residents).
        entry_barrier: ``(n,)`` settlement barrier paid by a mover into a city where it holds
            no hukou (an entry cost: residents who stay do not pay it again).
        moving_cost: ``(n + 1, n + 1)`` cost of moving from origin to destination (zero
            diagonal; the last row and column are the rest of China).
        home_bias: Utility of living in one's hukou city.
        flexible_talent: High-skill talent with a YRD hukou is exempt from the penalty.
    """

    destination_utility: np.ndarray
    public_service_penalty: np.ndarray
    entry_barrier: np.ndarray
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
    public_service_penalty: np.ndarray,
    entry_barrier: np.ndarray,
    moving_cost: np.ndarray,
    home_bias: float,
    flexible_talent: bool,
) -> np.ndarray:
    """Utility of every destination for every (origin, hukou, skill) group.

    Locations ``0 .. n-1`` are the cities and ``n`` the rest of China, as an origin, a hukou
    and a destination. ``U[o, h, s, d] = destination_utility[s, d] + home_bias [d == h]
    - public_service_penalty[d] [d != h] - entry_barrier[d] [d != h and d != o]
    - moving_cost[o, d]``, the two penalties being zero for the rest of China; with
    ``flexible_talent`` high-skill talent with a YRD hukou pays neither. The settlement barrier
    is an entry cost: paid once, by a mover into a city whose hukou it does not hold, not each
    year by the residents who stay.

    Args:
        destination_utility: ``(2, n + 1)`` utility of living in each location by skill (0
            other, 1 high): weighted log real wage, opportunity mass and amenity.
        public_service_penalty: ``(n,)`` yearly utility loss of a resident without the city's
            hukou (lost public services).
        entry_barrier: ``(n,)`` settlement barrier of each city, paid on entry.
        moving_cost: ``(n + 1, n + 1)`` cost of moving between locations (zero diagonal).
        home_bias: Utility of living in one's hukou location.
        flexible_talent: Exempt high-skill talent with a YRD hukou from both penalties.

    Returns:
        Array of shape ``(n + 1, n + 1, 2, n + 1)``: origin, hukou, skill, destination.

    References:
        Tombe & Zhu (2019), AER 109(5): location choice with migration costs and hukou.
    """
    m = moving_cost.shape[0]  # n + 1 locations
    n = m - 1
    own = np.eye(m, dtype=bool)  # (h, d): the hukou is the destination
    services = np.where(own, 0.0, np.append(public_service_penalty, 0.0)[None, :])  # (h, d)
    barrier = np.append(entry_barrier, 0.0)
    entry = np.where(own[None, :, :], 0.0, barrier[None, None, :])  # (1, h, d)
    entry = np.repeat(entry, m, axis=0)  # (o, h, d)
    entry[np.arange(m), :, np.arange(m)] = 0.0  # staying costs no entry
    services_by_skill = np.repeat(services[:, None, :], 2, axis=1)  # (h, s, d)
    entry_by_skill = np.repeat(entry[:, :, None, :], 2, axis=2)  # (o, h, s, d)
    if flexible_talent:
        services_by_skill[:n, 1, :] = 0.0
        entry_by_skill[:, :n, 1, :] = 0.0
    home = np.where(own, home_bias, 0.0)  # (h, d)
    per_group = destination_utility[None, :, :] + home[:, None, :] - services_by_skill
    return per_group[None, :, :, :] - entry_by_skill - moving_cost[:, None, None, :]


def moving_costs(
    distance_km: np.ndarray,
    same_province: np.ndarray,
    fixed: float,
    per_log_distance: float,
    border: float,
) -> np.ndarray:
    """Utility cost of moving between two locations: fixed, distance and provincial border.

    ``m[o, d] = fixed + per_log_distance * ln(1 + km / 100) + border [provinces differ]``,
    zero on the diagonal. The cost does not depend on travel time, so it does not swing when a
    new line opens; transport acts on location choice through wages (market access) instead.

    Args:
        distance_km: ``(m, m)`` great-circle distances between locations.
        same_province: ``(m, m)`` whether two locations are in one province.
        fixed: Cost of any move between cities.
        per_log_distance: Cost per unit of ``ln(1 + km / 100)``.
        border: Extra cost of a move across a provincial border (hukou administration,
            dialect, networks).

    References:
        Tombe & Zhu (2019), AER 109(5): migration costs rise with distance and are higher
        across provincial borders.
    """
    cost = fixed + per_log_distance * np.log1p(distance_km / 100.0) + border * ~same_province
    np.fill_diagonal(cost, 0.0)
    return cost


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
    """Living agents in each (origin, hukou, skill) group, shape ``(n, n + 1, 2)``."""
    size = n_cities * (n_cities + 1) * 2
    living = np.flatnonzero(talent.alive)
    counts = np.bincount(group_index(talent, n_cities)[living], minlength=size)
    return counts.reshape(n_cities, n_cities + 1, 2)


def expected_population(
    counts: np.ndarray,
    probabilities: np.ndarray | GroupProbabilities,
    reconsider_share: float,
    immigrants: np.ndarray | None = None,
) -> np.ndarray:
    """Expected agents per city after one round of location choice.

    Args:
        counts: ``(n, n + 1, 2)`` agents by origin, hukou, skill.
        probabilities: ``(n + 1, n + 1, 2, n + 1)`` choice probabilities, or those of the
            groups with agents (:class:`GroupProbabilities`).
        reconsider_share: Share of agents that reconsider.
        immigrants: ``(n,)`` expected arrivals from the rest of China (agents), if any.
    """
    n = counts.shape[0]
    staying = counts.sum(axis=(1, 2))
    if isinstance(probabilities, GroupProbabilities):
        # The kept groups in table order: the same products summed in the same order as over
        # the full table, whose other groups add exact zeros (no agents).
        living = probabilities.groups < counts.size
        weights = counts.ravel()[probabilities.groups[living]]
        choosing = np.einsum("r,rd->d", weights, probabilities.values[living, :n])
    else:
        choosing = np.einsum("ohs,ohsd->d", counts, probabilities[:n, :, :, :n])
    expected = (1 - reconsider_share) * staying + reconsider_share * choosing
    return expected if immigrants is None else expected + immigrants


def choose_locations(
    rng: np.random.Generator,
    talent: TalentArrays,
    probabilities: np.ndarray,
    reconsider_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Let a share of talent reconsider and draw their new locations; update the arrays.

    Two uniform numbers are drawn for every agent row (whether it reconsiders, and where it
    goes), so an agent's draws do not depend on the other agents' choices. An agent that
    chooses the rest of China (location ``n``) leaves the YRD (``alive`` becomes False).

    Args:
        rng: The model's random generator.
        talent: The talent arrays (updated in place).
        probabilities: ``(n + 1, n + 1, 2, n + 1)`` choice probabilities by origin, hukou,
            skill.
        reconsider_share: Probability that an agent reconsiders this year.

    Returns:
        ``(origins, destinations)`` of the agents that moved (destination ``n``: left).
    """
    m = probabilities.shape[0]  # n + 1 locations
    reconsider_uniform, choice_uniform = rng.random((len(talent), 2)).T
    reconsider = np.flatnonzero(talent.alive & (reconsider_uniform < reconsider_share))
    origin = talent.city[reconsider].astype(np.int64)
    group = (origin * m + talent.hukou[reconsider]) * 2 + talent.high_skill[reconsider]
    cumulative = np.cumsum(probabilities[: m - 1].reshape(-1, m), axis=1)
    destination = draw_categories(choice_uniform[reconsider], cumulative, group)
    moved = destination != origin
    movers = reconsider[moved]
    talent.years_in_city += 1
    left = destination[moved] == m - 1
    talent.city[movers[~left]] = destination[moved][~left]
    talent.alive[movers[left]] = False
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
    candidates = np.flatnonzero(talent.alive & (talent.hukou != talent.city))
    cities = talent.city[candidates]
    converted = candidates[uniform[candidates] < conversion_rate[cities]]
    talent.hukou[converted] = talent.city[converted]
    return len(converted)


def location_inputs(
    cities: CityState,
    amenity: np.ndarray,
    migration: MigrationParams,
    distance_km: np.ndarray,
    same_province: np.ndarray,
    *,
    outside_utility: np.ndarray,
    settlement_barrier: np.ndarray,
    public_service_access: np.ndarray,
    flexible_talent: bool,
) -> LocationInputs:
    """The terms of this year's location choice (see :class:`LocationInputs`).

    Args:
        cities: The city state (wages, housing cost, population).
        amenity: ``(n,)`` calibrated city amenities.
        migration: The migration parameters.
        distance_km: ``(n + 1, n + 1)`` distances between locations (the rest of China last).
        same_province: ``(n + 1, n + 1)`` whether two locations are in one province.
        outside_utility: ``(2,)`` utility of living in the rest of China by skill
            (:func:`outside_utility`).
        settlement_barrier: ``(n,)`` utility cost of entering a city without its hukou.
        public_service_access: ``(n,)`` share of public services open to non-hukou residents.
        flexible_talent: High-skill talent with a YRD hukou is exempt from the penalties.
    """
    mp = migration
    c = cities
    return LocationInputs(
        destination_utility=destination_utility(
            destination_base(c, mp), amenity, c.population, outside_utility
        ),
        public_service_penalty=mp.public_service_weight * (1.0 - public_service_access),
        entry_barrier=np.asarray(settlement_barrier, dtype=float),
        moving_cost=moving_costs(
            distance_km,
            same_province,
            mp.moving_cost_fixed,
            mp.moving_cost_per_log_distance,
            mp.province_border_cost,
        ),
        home_bias=mp.home_bias,
        flexible_talent=flexible_talent,
    )


def destination_base(cities: CityState, migration: MigrationParams) -> np.ndarray:
    """``(2, n)`` utility of living in each city by skill, before its amenity.

    The weighted log real wage plus the weighted log population (the opportunity mass).
    """
    mp = migration
    c = cities
    with np.errstate(divide="ignore", invalid="ignore"):
        housing = mp.housing_share * np.log(c.housing_cost)
        return mp.real_wage_weight * np.vstack(
            (np.log(c.wage_low) - housing, np.log(c.wage_high) - housing)
        ) + mp.size_elasticity * np.log(c.population)


def destination_utility(
    base: np.ndarray, amenity: np.ndarray, population: np.ndarray, outside: np.ndarray
) -> np.ndarray:
    """``(2, n + 1)`` utility of each location by skill: :func:`destination_base` plus amenity.

    A city everybody has left offers no jobs or homes: nobody chooses it (``-inf``). The last
    column is the rest of China (``outside``, :func:`outside_utility`).
    """
    with np.errstate(invalid="ignore"):
        destination = base + amenity
    destination = np.where(population > 0, destination, -np.inf)
    return np.column_stack((destination, outside))


def outside_utility(
    income: float, population: float, high_skill_efficiency: float, migration: MigrationParams
) -> np.ndarray:
    """Utility of living in the rest of China, by skill, ``(2,)``.

    Its log income (GDP per capita; a high-skill worker earns ``high_skill_efficiency`` times
    as much, as in the cities) and its log population as the opportunity mass, with the same
    weights as the cities'. Its amenity is the zero against which the cities' are solved.
    """
    wage = np.log([income, income * high_skill_efficiency])
    return migration.real_wage_weight * wage + migration.size_elasticity * np.log(population)


def location_probabilities(inputs: LocationInputs) -> np.ndarray:
    """Logit probabilities of every destination by (origin, hukou, skill) group."""
    utilities = location_utilities(
        inputs.destination_utility,
        inputs.public_service_penalty,
        inputs.entry_barrier,
        inputs.moving_cost,
        inputs.home_bias,
        inputs.flexible_talent,
    )
    return choice_probabilities(utilities)


@dataclass(frozen=True)
class GroupProbabilities:
    """Choice probabilities of some (origin, hukou, skill) groups: rows of the full table.

    Attributes:
        groups: ``(k,)`` flat indices of the groups in the ``(n + 1, n + 1, 2)`` table.
        values: ``(k, n + 1)`` their probabilities over the destinations.
    """

    groups: np.ndarray
    values: np.ndarray

    def block(self, origin: int, hukou: int) -> np.ndarray:
        """``(2, n + 1)`` rows of one origin and hukou, by skill (both must be kept)."""
        m = self.values.shape[1]
        first = (origin * m + hukou) * 2
        where = np.searchsorted(self.groups, [first, first + 1])
        if not np.array_equal(self.groups[where], [first, first + 1]):
            raise KeyError(f"group ({origin}, {hukou}) not kept")
        return self.values[where]


class GroupChoice:
    """Location-choice probabilities of some (origin, hukou, skill) groups, for many utilities.

    The same numbers as :func:`location_probabilities` for the rows it keeps, computed with the
    same operations in the same order, for callers that evaluate the choice many times with
    only ``destination_utility`` changing (the amenity solve at set-up): the terms that do not
    change (public-service penalty, entry barrier, moving cost, home bias) are laid out once,
    and only the groups asked for are computed. Every row's maximum, exponentials and sum are
    the row's own, so a kept row's probabilities are bit for bit those of the full table.

    Args:
        inputs: The terms of the choice (its ``destination_utility`` is not used).
        groups: Flat indices of the groups to compute in the ``(n + 1, n + 1, 2)`` table
            (origin, hukou, skill), as :func:`group_index` numbers them.
    """

    def __init__(self, inputs: LocationInputs, groups: np.ndarray) -> None:
        m = inputs.moving_cost.shape[0]
        n = m - 1
        self.shape = (m, m, 2, m)
        self.groups = np.asarray(groups, dtype=np.int64)
        origin, rest = np.divmod(self.groups, 2 * m)
        hukou, skill = np.divmod(rest, 2)
        own = np.eye(m, dtype=bool)
        services = np.where(own, 0.0, np.append(inputs.public_service_penalty, 0.0)[None, :])
        self._services = np.repeat(services[:, None, :], 2, axis=1)  # (h, s, d)
        barrier = np.append(np.asarray(inputs.entry_barrier, dtype=float), 0.0)
        entry = np.where(own[hukou], 0.0, barrier[None, :])  # (row, d)
        entry[np.arange(len(origin)), origin] = 0.0  # staying costs no entry
        if inputs.flexible_talent:
            self._services[:n, 1, :] = 0.0
            entry[(hukou < n) & (skill == 1)] = 0.0
        self._entry = entry
        self._moving = inputs.moving_cost[origin]
        self._home = np.where(own, inputs.home_bias, 0.0)
        self._hs = hukou * 2 + skill
        self._table: np.ndarray | None = None

    def probabilities(self, destination_utility: np.ndarray) -> np.ndarray:
        """``(len(groups), n + 1)`` probabilities of each kept group's destinations.

        The operations of :func:`location_utilities` and :func:`choice_probabilities`, in
        their order, done in place on one array.
        """
        per_group = destination_utility[None, :, :] + self._home[:, None, :] - self._services
        m = self.shape[0]
        u = per_group.reshape(2 * m, m)[self._hs]
        np.subtract(u, self._entry, out=u)
        np.subtract(u, self._moving, out=u)
        np.subtract(u, u.max(axis=-1, keepdims=True), out=u)
        np.exp(u, out=u)
        np.divide(u, u.sum(axis=-1, keepdims=True), out=u)
        return u

    def rows(self, destination_utility: np.ndarray) -> GroupProbabilities:
        """The kept groups' probabilities (:class:`GroupProbabilities`)."""
        return GroupProbabilities(self.groups, self.probabilities(destination_utility))

    def table(self, destination_utility: np.ndarray) -> np.ndarray:
        """The full ``(n + 1, n + 1, 2, n + 1)`` table with zeros in the groups not kept.

        The table is one buffer, overwritten by the next call: read it before calling again.
        """
        if self._table is None:
            self._table = np.zeros((self.shape[0] * self.shape[1] * 2, self.shape[3]))
        self._table[self.groups] = self.probabilities(destination_utility)
        return self._table.reshape(self.shape)


def relocate(
    rng: np.random.Generator,
    talent: TalentArrays,
    probabilities: np.ndarray,
    reconsider_share: float,
    persons_per_agent: int,
) -> np.ndarray:
    """A share of talent reconsiders its city and moves (:func:`choose_locations`).

    Returns:
        ``(n, n + 1)`` migrants (persons) by origin city and destination; the last column are
        those who left for the rest of China.
    """
    m = probabilities.shape[0]
    origin, destination = choose_locations(rng, talent, probabilities, reconsider_share)
    flows = np.bincount(origin * m + destination, minlength=(m - 1) * m).reshape(m - 1, m)
    return flows * float(persons_per_agent)
