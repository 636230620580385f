"""Outcomes: indicators of the region's state, as pure functions of arrays.

Each function takes city-level arrays (and the travel-time matrix) and returns a number; the
model records them every year. Inequality indices are population-weighted across cities.
"""

from __future__ import annotations

import numpy as np


def theil_index(values: np.ndarray, weights: np.ndarray) -> float:
    """Population-weighted Theil T index of ``values`` (e.g. GDP per capita) across units.

    ``T = sum_i s_i (y_i / ybar) ln(y_i / ybar)`` with population shares ``s_i`` and
    ``ybar = sum_i s_i y_i``. Zero when all values are equal.

    References:
        Theil (1967), Economics and Information Theory; Akita (2003), Annals of Regional
        Science 37: the between/within decomposition.
    """
    shares = weights / weights.sum()
    mean = float(shares @ values)
    ratio = values / mean
    return float(np.sum(shares * ratio * np.log(np.where(ratio > 0, ratio, 1.0))))


def theil_decomposition(
    values: np.ndarray, weights: np.ndarray, groups: np.ndarray
) -> tuple[float, float]:
    """Split the Theil T index into between-group and within-group parts (they sum to T).

    Args:
        values: Value per unit (e.g. GDP per capita of each city).
        weights: Population of each unit.
        groups: Group label of each unit (e.g. province).

    Returns:
        ``(between, within)``.
    """
    total_income = float(weights @ values)
    between = 0.0
    within = 0.0
    labels = np.unique(groups)
    for label in labels:
        member = groups == label
        group_income = float(weights[member] @ values[member])
        income_share = group_income / total_income
        pop_share = weights[member].sum() / weights.sum()
        between += income_share * np.log(income_share / pop_share)
        within += income_share * theil_index(values[member], weights[member])
    return float(between), float(within)


def coefficient_of_variation(values: np.ndarray, weights: np.ndarray) -> float:
    """Population-weighted coefficient of variation (standard deviation over mean)."""
    shares = weights / weights.sum()
    mean = float(shares @ values)
    return float(np.sqrt(shares @ (values - mean) ** 2) / mean)


def mean_travel_time(travel_minutes: np.ndarray, population: np.ndarray) -> float:
    """Mean travel time between residents of different cities (pairs weighted by population)."""
    pairs = np.outer(population, population)
    np.fill_diagonal(pairs, 0.0)
    return float((pairs * travel_minutes).sum() / pairs.sum())


def share_within(
    travel_minutes: np.ndarray, population: np.ndarray, targets: np.ndarray, minutes: float
) -> float:
    """Share of the population living within ``minutes`` of its target city.

    Args:
        travel_minutes: ``(n, n)`` travel times.
        population: Population of each city.
        targets: Index of each city's target (e.g. Shanghai for all, or each city's
            provincial capital); a city is within reach of itself.
        minutes: Threshold.
    """
    reach = travel_minutes[np.arange(len(population)), targets] <= minutes
    return float(population[reach].sum() / population.sum())


def central_area_ratio(gdp: np.ndarray, population: np.ndarray, central: np.ndarray) -> float:
    """GDP per capita of the central area over the region's (Outline 2025 target <= 1.2)."""
    central_pc = gdp[central].sum() / population[central].sum()
    return float(central_pc / (gdp.sum() / population.sum()))
