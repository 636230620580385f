"""The start-year state of talent and firms, built from the census and the stated assumptions.

Populations are the census values rounded to whole agents. The census tables bundled with
yrdsim have neither hukou (registered) populations nor education shares, so residents without
local hukou and high-skill shares follow the rules of
:class:`sim.config.parameters.InitialConditionParams` (see ``docs/ODD.md``, Initialisation).
"""

from __future__ import annotations

import numpy as np

from agents.firm import FirmArrays, draw_firms
from agents.talent import TalentArrays
from sim.config.parameters import FirmParams, InitialConditionParams
from sim.core.data import RegionData


def agents_per_city(population: np.ndarray, persons_per_agent: int) -> np.ndarray:
    """Talent agents of each city: the census population rounded to whole agents."""
    return np.rint(population / persons_per_agent).astype(np.int64)


def high_skill_shares(
    data: RegionData,
    params: InitialConditionParams,
    population: np.ndarray,
    gdp_per_capita: np.ndarray,
) -> np.ndarray:
    """High-skill (tertiary-educated) share of each city's residents.

    ``share = base + a log(1 + universities) + b log(GDP per capita / regional mean)``, clipped
    to the bounds: universities and income are the two public proxies of human capital that
    the bundled data hold for all 41 cities. ``gdp_per_capita`` is the start census year's
    (:meth:`RegionData.gdp_per_capita`); the regional mean weights it by the start
    ``population``.
    """
    cities = data.cities
    gdp_pc = gdp_per_capita
    regional = (gdp_pc * population).sum() / population.sum()
    share = (
        params.high_skill_base
        + params.high_skill_per_log_heis * np.log1p(cities["n_heis"].to_numpy())
        + params.high_skill_per_log_gdppc * np.log(gdp_pc / regional)
    )
    low, high = params.high_skill_bounds
    return np.clip(share, low, high)


def hukou_origin_weights(
    travel_minutes: np.ndarray,
    decay_min: float,
    population: np.ndarray,
    gdp_per_capita: np.ndarray,
) -> np.ndarray:
    """``W[c, h]``: weight of city ``h`` as the hukou city of a non-hukou resident of ``c``.

    Gravity rule: proportional to ``h``'s start ``population``, inversely to its start-year GDP
    per capita (poorer cities send more migrants), decaying with travel time; zero on the
    diagonal. Rows sum to 1.
    """
    population = np.asarray(population, dtype=float)
    sending = population / gdp_per_capita
    weights = sending[None, :] * np.exp(-travel_minutes / decay_min)
    np.fill_diagonal(weights, 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


def initial_talent(
    rng: np.random.Generator,
    data: RegionData,
    population: np.ndarray,
    persons_per_agent: int,
    travel_minutes: np.ndarray,
    params: InitialConditionParams,
    gdp_per_capita: np.ndarray,
) -> TalentArrays:
    """Talent agents of the start year, grouped by city.

    In each city the high-skill agents and the agents without local hukou are set in the
    proportions of :func:`high_skill_shares` and ``non_hukou_share_by_class`` (rounded to whole
    agents); skill and hukou are independent. Of the non-hukou agents, the share
    ``non_hukou_from_outside_share`` have a hukou outside the 41 cities (index ``n``); the
    others' hukou cities are drawn from :func:`hukou_origin_weights`.
    """
    n = data.n_cities
    counts = agents_per_city(population, persons_per_agent)
    city = np.repeat(np.arange(n, dtype=np.int16), counts)
    hukou = city.copy()
    high_skill = np.zeros(len(city), dtype=bool)
    skill_share = high_skill_shares(data, params, population, gdp_per_capita)
    non_hukou_share = np.array(
        [params.non_hukou_share_by_class[c] for c in data.cities["size_class"]]
    )
    origins = hukou_origin_weights(
        travel_minutes, params.origin_decay_min, population, gdp_per_capita
    )
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    for c in range(n):
        members = starts[c] + np.arange(counts[c])
        n_high = round(counts[c] * skill_share[c])
        high_skill[rng.choice(members, size=n_high, replace=False)] = True
        n_non = round(counts[c] * non_hukou_share[c])
        non_local = rng.choice(members, size=n_non, replace=False)
        n_outside = round(n_non * params.non_hukou_from_outside_share)
        hukou[non_local[:n_outside]] = n
        hukou[non_local[n_outside:]] = rng.choice(n, size=n_non - n_outside, p=origins[c])
    return TalentArrays(
        city=city,
        hukou=hukou,
        high_skill=high_skill,
        years_in_city=np.zeros(len(city), dtype=np.int16),
        alive=np.ones(len(city), dtype=bool),
    )


def firm_agents_per_city(gdp: np.ndarray, firms_per_agent: int, params: FirmParams) -> np.ndarray:
    """Firm agents of each city, from innovative firms per RMB billion of GDP.

    At least ``min_firm_agents_per_city``.
    """
    real_firms = gdp / 1e9 * params.innovative_firms_per_billion_gdp
    return np.maximum(
        np.rint(real_firms / firms_per_agent), params.min_firm_agents_per_city
    ).astype(np.int64)


def initial_firms(
    rng: np.random.Generator, gdp: np.ndarray, firms_per_agent: int, params: FirmParams
) -> FirmArrays:
    """Firm agents of the start year.

    Productivity is lognormal with mean log 0 in every city; city differences are carried by
    city TFP.
    """
    counts = firm_agents_per_city(gdp, firms_per_agent, params)
    city = np.repeat(np.arange(len(gdp)), counts)
    return draw_firms(rng, city, np.zeros(len(city)), params)
