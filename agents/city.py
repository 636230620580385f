"""City agents: labour markets, housing, output and voucher budgets of the 41 cities.

City state lives in :class:`CityState` (one entry per city); each :class:`CityAgent` indexes
into it. The model updates all cities at once with the functions below: :func:`count_residents`
(population and labour from the talent), :func:`produce` (TFP, labour markets, firm output,
GDP, wages, housing) and the access and capacity indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.base import IndexedAgent, StateField
from agents.firm import FirmArrays, allocate_labour

if TYPE_CHECKING:
    from agents.talent import TalentArrays
    from sim.config.parameters import LabourParams


@dataclass
class CityState:
    """State of the cities, one entry per city index.

    Attributes:
        population: Residents (persons).
        high_skill: High-skill residents (persons).
        non_hukou: Residents without local hukou (persons).
        workers: Residents of working age (persons).
        efficiency_labour: Workers in efficiency units (high skill count more).
        tfp: City total factor productivity this year.
        gdp: Output (RMB).
        wage_low: Yearly wage of a low-skill worker (RMB).
        wage_high: Yearly wage of a high-skill worker (RMB).
        housing_cost: Housing-cost index (region's start-year density = 1).
        market_access: ``sum_j GDP_j exp(-T_ij / tau_m)`` (RMB).
        knowledge_access: ``sum_j R_j exp(-T_ij / tau_k)``.
        rd_capacity: R&D-service capacity index ``R``.
        voucher_budget: Voucher budget this year (RMB).
        voucher_spend: Voucher value redeemed this year, by issuing city (RMB).
        innovations: Innovations by the city's firms this year.
        firms: Active firm agents.
        in_migrants: Persons who moved in this year.
        out_migrants: Persons who moved out this year.
        births: Persons born this year.
        deaths: Persons who died this year.
        immigrants: Persons who arrived from the rest of China this year.
        emigrants: Persons who left for the rest of China this year.
    """

    population: np.ndarray
    high_skill: np.ndarray
    non_hukou: np.ndarray
    workers: np.ndarray
    efficiency_labour: np.ndarray
    tfp: np.ndarray
    gdp: np.ndarray
    wage_low: np.ndarray
    wage_high: np.ndarray
    housing_cost: np.ndarray
    market_access: np.ndarray
    knowledge_access: np.ndarray
    rd_capacity: np.ndarray
    voucher_budget: np.ndarray
    voucher_spend: np.ndarray
    innovations: np.ndarray
    firms: np.ndarray
    in_migrants: np.ndarray
    out_migrants: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    immigrants: np.ndarray
    emigrants: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> CityState:
        """A state of ``n`` cities with every quantity zero."""
        return cls(**{name: np.zeros(n) for name in cls.__dataclass_fields__})

    @property
    def gdp_per_capita(self) -> np.ndarray:
        """GDP per resident (RMB)."""
        return self.gdp / np.maximum(self.population, 1.0)

    @property
    def mean_wage(self) -> np.ndarray:
        """Mean yearly wage per worker (RMB)."""
        high = self.high_skill / np.maximum(self.population, 1.0)
        return self.wage_low * (1 - high) + self.wage_high * high


class CityAgent(IndexedAgent):
    """One of the 41 prefecture-level cities; its state is its row of :class:`CityState`.

    Args:
        model: The model the agent belongs to (it holds ``model.cities``).
        index: The city's index.
        city_id: The city's id in the data.
        province: The city's province.
        size_class: The city's State Council 2014 size class.

    Attributes:
        population: Residents (persons).
        gdp: Output this year (RMB).
        wage_low: Low-skill yearly wage (RMB).
        wage_high: High-skill yearly wage (RMB).
        housing_cost: Housing-cost index.
    """

    population = StateField("cities", float)
    gdp = StateField("cities", float)
    wage_low = StateField("cities", float)
    wage_high = StateField("cities", float)
    housing_cost = StateField("cities", float)

    def __init__(
        self, model: mesa.Model, index: int, city_id: str, province: str, size_class: str
    ) -> None:
        super().__init__(model, index)
        self.city_id = city_id
        self.province = province
        self.size_class = size_class


def wage_per_efficiency_unit(
    gdp: np.ndarray, efficiency_labour: np.ndarray, labour_elasticity: float
) -> np.ndarray:
    """Competitive wage: the labour share ``theta`` of output per efficiency unit.

    With ``Y = A Phi E^theta`` the wage ``theta Y / E`` falls as labour supply ``E`` rises
    (elasticity ``theta - 1``), which makes migration self-limiting.
    """
    return labour_elasticity * gdp / np.maximum(efficiency_labour, 1.0)


def housing_cost_index(
    population: np.ndarray, area_km2: np.ndarray, reference_density: float, elasticity: float
) -> np.ndarray:
    """Housing cost rising with density: ``(density / reference_density) ** elasticity``."""
    return (population / area_km2 / reference_density) ** elasticity


def access_index(mass: np.ndarray, travel_minutes: np.ndarray, decay_min: float) -> np.ndarray:
    """Gravity access ``A_i = sum_j mass_j exp(-T_ij / decay)`` (own city included, T_ii = 0).

    References:
        Donaldson & Hornbeck (2016), QJE 131(2): market access. Lin (2017), JUE 98.
    """
    return np.exp(-travel_minutes / decay_min) @ mass


def count_residents(
    cities: CityState,
    talent: TalentArrays,
    persons_per_agent: int,
    working_age_share: np.ndarray,
    high_skill_efficiency: float,
) -> None:
    """Population, high-skill and non-hukou residents, workers and efficiency labour by city."""
    n, ppa = len(cities.population), persons_per_agent
    living = np.flatnonzero(talent.alive)
    city = talent.city[living]
    c = cities
    c.population = np.bincount(city, minlength=n) * float(ppa)
    c.high_skill = np.bincount(city, weights=talent.high_skill[living], minlength=n) * float(ppa)
    c.non_hukou = (
        np.bincount(city, weights=talent.hukou[living] != city, minlength=n) * float(ppa)
    )
    c.workers = c.population * working_age_share
    high_workers = c.high_skill * working_age_share
    c.efficiency_labour = c.workers - high_workers + high_skill_efficiency * high_workers


def labour_allocation(
    cities: CityState, firms: FirmArrays, labour_elasticity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each active firm's share of its city's labour, and the cities' productivity aggregate."""
    alive = np.flatnonzero(firms.alive)
    return allocate_labour(
        firms.city[alive], firms.productivity[alive], cities.efficiency_labour, labour_elasticity
    )


@dataclass(frozen=True)
class StartYear:
    """The start-year references of production.

    Attributes:
        tfp_base: ``(n,)`` city TFP calibrated to start-year GDP.
        population: ``(n,)`` start-year population.
        market_access: ``(n,)`` start-year market access.
        year: The start year.
        area_km2: ``(n,)`` city areas.
        reference_density: Start-year residents per km2 of the region.
        convergence: ``(n,)`` accumulated TFP factor of convergence (1 at the start; updated
            once a year by :func:`converge`).
        innovation_index: ``(n,)`` accumulated productivity gain of the city's firms from
            their innovations (1 at the start; updated by :func:`accumulate_innovation`).
    """

    tfp_base: np.ndarray
    population: np.ndarray
    market_access: np.ndarray
    year: int
    area_km2: np.ndarray
    reference_density: float
    convergence: np.ndarray
    innovation_index: np.ndarray


def produce(
    cities: CityState, firms: FirmArrays, year: int, start: StartYear, labour: LabourParams
) -> None:
    """City TFP, labour allocation, firm output, city GDP, wages and housing cost (in place).

    City output is ``TFP * I * E^theta``: ``TFP`` (start-year level, agglomeration, market
    access, common growth and convergence), ``I`` the productivity gained through the city's
    innovations, ``E`` efficiency labour. The firms share the city's labour and output by their
    productivities (:func:`labour_allocation`); which firms enter and exit changes that
    sharing, not the city's output, so city GDP does not random-walk with firm turnover.
    """
    theta = labour.labour_elasticity
    c = cities
    years = year - start.year
    c.tfp = (
        start.tfp_base
        * (c.population / start.population) ** labour.agglomeration_elasticity
        * (c.market_access / start.market_access) ** labour.market_access_elasticity
        * (1 + labour.tfp_growth) ** years
        * start.convergence
        * start.innovation_index
    )
    alive = np.flatnonzero(firms.alive)
    share, _ = labour_allocation(cities, firms, theta)
    city = firms.city[alive]
    c.gdp = c.tfp * np.maximum(c.efficiency_labour, 0.0) ** theta
    firms.output[alive] = share * c.gdp[city]
    firms.employment[alive] = share * c.workers[city]
    c.wage_low = wage_per_efficiency_unit(c.gdp, c.efficiency_labour, theta)
    c.wage_high = c.wage_low * labour.high_skill_efficiency
    c.housing_cost = housing_cost_index(
        c.population, start.area_km2, start.reference_density, labour.housing_density_elasticity
    )
    c.firms = np.bincount(city, minlength=len(c.population)).astype(float)


def converge(cities: CityState, start: StartYear, rate: float, mean_log_income: float) -> None:
    """One year of TFP convergence: each city closes ``rate`` of its log income gap (in place).

    ``ln C_c += rate * (mean ln y - ln y_c)`` with ``y`` GDP per capita and ``mean ln y`` the
    population-weighted mean over mainland China (the 41 cities and the rest of China).

    References:
        Barro & Sala-i-Martin (1992), JPE 100(2): convergence across regions.
    """
    populated = cities.population > 0  # an emptied city has no income to converge
    log_income = np.log(cities.gdp[populated] / cities.population[populated])
    gain = np.ones(len(cities.population))
    gain[populated] = np.exp(rate * (mean_log_income - log_income))
    np.multiply(start.convergence, gain, out=start.convergence)


def accumulate_innovation(
    cities: CityState, firms: FirmArrays, start: StartYear, step: float, firms_per_agent: int
) -> None:
    """Raise each city's innovation index by its innovations per firm this year (in place).

    ``I_c *= 1 + step * innovations_c / real firms_c``: the mean productivity gain of the
    city's firms, each innovation raising its firm's productivity by ``step``.
    """
    alive = np.flatnonzero(firms.alive)
    agents = np.bincount(firms.city[alive], minlength=len(cities.population))
    real_firms = np.maximum(agents * float(firms_per_agent), 1.0)
    gain = 1.0 + step * cities.innovations / real_firms
    np.multiply(start.innovation_index, gain, out=start.innovation_index)
