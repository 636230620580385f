"""Births, deaths and exchange with the rest of China: the YRD's population is open.

Residents are born and die at their province's crude vital rates, scaled by each city's age
structure in the census of the start year (:func:`city_vital_rates`). The rest of China is one
location outside the 41 cities: YRD residents may move there (the last destination of the
talent's location choice) and its residents move into the 41 cities by the same logit
(:func:`expected_immigrants`). The rest of China is not made of agents: its population and
income are two numbers held by the model (:class:`RestOfChina`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def city_vital_rates(
    birth_rate: np.ndarray,
    death_rate: np.ndarray,
    child_share: np.ndarray,
    elderly_share: np.ndarray,
    population: np.ndarray,
    province: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Yearly birth and death rates of each city from its province's rates and age structure.

    ``b_c = b_p * children_c / children_p`` and ``d_c = d_p * elderly_c / elderly_p``, where
    ``children_p`` and ``elderly_p`` are the population-weighted shares over the province's
    cities: a city with more children than its province has more births, one with more elderly
    residents more deaths, and each province keeps its crude rates.

    Args:
        birth_rate: ``(n,)`` crude birth rate of each city's province (per person and year).
        death_rate: ``(n,)`` crude death rate of each city's province.
        child_share: ``(n,)`` share of residents aged 0-14.
        elderly_share: ``(n,)`` share of residents aged 65 and over.
        population: ``(n,)`` residents (the weights of the provincial means).
        province: ``(n,)`` province index of each city.

    Returns:
        ``(births, deaths)`` per resident and year, each ``(n,)``.
    """
    weights = np.bincount(province, weights=population)
    children = np.bincount(province, weights=population * child_share) / weights
    elderly = np.bincount(province, weights=population * elderly_share) / weights
    return (
        birth_rate * child_share / children[province],
        death_rate * elderly_share / elderly[province],
    )


@dataclass
class RestOfChina:
    """The rest of China (mainland China less the 41 cities) as one outside location.

    Attributes:
        population: Residents (persons).
        income: GDP per capita (RMB); its wage in the location choice moves with it.
        birth_rate: Crude birth rate (per person and year).
        death_rate: Crude death rate.
        high_skill_share: Share of its movers who are high-skill.
        convergence: Accumulated factor of income convergence (1 at the start).
    """

    population: float
    income: float
    birth_rate: float
    death_rate: float
    high_skill_share: float
    convergence: float = 1.0

    def income_in(self, years: int, tfp_growth: float) -> float:
        """GDP per capita ``years`` after the start: common growth and convergence (RMB)."""
        return self.income * self.convergence * (1 + tfp_growth) ** years

    def converge(self, rate: float, mean_log_income: float, income: float) -> None:
        """One year of convergence of its income towards ``mean_log_income`` (in place)."""
        self.convergence *= float(np.exp(rate * (mean_log_income - np.log(income))))

    def natural_increase(self) -> None:
        """One year of births less deaths at its vital rates (in place)."""
        self.population *= 1.0 + self.birth_rate - self.death_rate

    def exchange(self, emigrants: float, immigrants: float) -> None:
        """Receive the YRD's emigrants and send its immigrants (persons; in place)."""
        self.population += emigrants - immigrants


def deaths(
    rng: np.random.Generator, city: np.ndarray, alive: np.ndarray, death_rate: np.ndarray
) -> np.ndarray:
    """Rows of the agents who die this year (one uniform number per agent row).

    Args:
        rng: The year's stream of the process.
        city: ``(agents,)`` city of each agent.
        alive: ``(agents,)`` whether the agent lives in the YRD.
        death_rate: ``(n,)`` yearly death rate of each city.
    """
    uniform = rng.random(len(city))
    return np.flatnonzero(alive & (uniform < death_rate[np.minimum(city, len(death_rate) - 1)]))


def births(
    rng: np.random.Generator,
    city: np.ndarray,
    alive: np.ndarray,
    birth_rate: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Newborn agents of the year: their city and the row of the parent whose hukou they take.

    Each city's births are binomial in its living agents at its birth rate; each newborn's
    parent is drawn uniformly among the city's living agents (a child's hukou follows its
    parents').

    Returns:
        ``(city, parent)`` of each newborn agent.
    """
    n = len(birth_rate)
    living = np.flatnonzero(alive)
    counts = np.bincount(city[living], minlength=n)
    born = rng.binomial(counts, birth_rate)
    order = living[np.argsort(city[living], kind="stable")]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    new_city = np.repeat(np.arange(n), born)
    pick = np.floor(rng.random(len(new_city)) * counts[new_city]).astype(np.int64)
    parent = order[starts[new_city] + pick]
    return new_city, parent


def expected_immigrants(
    rest: RestOfChina, probabilities: np.ndarray, reconsider_share: float
) -> np.ndarray:
    """Expected movers from the rest of China into each city by skill, ``(2, n)`` persons.

    ``reconsider_share`` of the rest of China's residents reconsider; they hold its hukou
    and choose by the row ``probabilities[n, n, s, :]`` (origin and hukou outside).
    """
    n = probabilities.shape[-1] - 1
    return expected_immigrants_by_skill(rest, probabilities[n, n], reconsider_share)


def expected_immigrants_by_skill(
    rest: RestOfChina, choice: np.ndarray, reconsider_share: float
) -> np.ndarray:
    """:func:`expected_immigrants` from the rest of China's own rows, ``(2, n + 1)`` by skill."""
    n = choice.shape[-1] - 1
    skill = np.array([1.0 - rest.high_skill_share, rest.high_skill_share])
    movers = reconsider_share * rest.population * skill
    return movers[:, None] * choice[:, :n]


def draw_immigrants(
    rng: np.random.Generator, expected: np.ndarray, persons_per_agent: int
) -> tuple[np.ndarray, np.ndarray]:
    """Immigrant agents drawn from ``expected`` ``(2, n)`` persons: Poisson counts per cell.

    Returns:
        ``(city, high_skill)`` of each new agent.
    """
    counts = rng.poisson(expected / persons_per_agent)
    n = expected.shape[1]
    cells = np.repeat(np.arange(2 * n), counts.ravel())
    return cells % n, cells >= n
