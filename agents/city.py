"""City agents: labour markets, housing, output and voucher budgets of the 41 cities.

City state lives in :class:`CityState` (one entry per city); each :class:`CityAgent` indexes
into it. The model updates all cities at once with the functions below.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from agents.base import IndexedAgent, StateField


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
