"""The levers of a scenario resolved to per-city arrays for the model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.levers import ResidencyLever, VoucherLever
from sim.core.data import RegionData


@dataclass(frozen=True)
class ResidencyArrays:
    """A residency lever resolved to one value per city.

    Attributes:
        settlement_barrier: Utility cost of living without local hukou.
        hukou_conversion_rate: Yearly probability of gaining local hukou.
        public_service_access: Share of public services open to non-hukou residents.
        flexible_talent: High-skill talent with a YRD hukou is exempt from the penalty.
    """

    settlement_barrier: np.ndarray
    hukou_conversion_rate: np.ndarray
    public_service_access: np.ndarray
    flexible_talent: bool


def residency_arrays(lever: ResidencyLever, data: RegionData) -> ResidencyArrays:
    """Each city's policy: its own override, else its size class's."""
    policies = [
        lever.city_overrides.get(row.id, lever.by_size_class[row.size_class])
        for row in data.cities.itertuples(index=False)
    ]
    return ResidencyArrays(
        settlement_barrier=np.array([p.settlement_barrier for p in policies]),
        hukou_conversion_rate=np.array([p.hukou_conversion_rate for p in policies]),
        public_service_access=np.array([p.public_service_access for p in policies]),
        flexible_talent=lever.flexible_talent,
    )


@dataclass(frozen=True)
class VoucherArrays:
    """A voucher lever resolved to cities.

    Attributes:
        budget_per_year: ``(n,)`` each city's yearly budget (RMB); a province's budget is shared
            among its cities by 2020 GDP.
        allowed: ``(n, n)`` whether a voucher of the row's city may be redeemed with a provider
            in the column's city (the lever's portability).
    """

    budget_per_year: np.ndarray
    allowed: np.ndarray


def voucher_arrays(lever: VoucherLever, data: RegionData) -> VoucherArrays:
    """Budgets by city and where vouchers may be redeemed."""
    frame = data.cities
    n = data.n_cities
    gdp = frame["gdp_2020_cny"].to_numpy()
    budget = np.zeros(n)
    for province, amount in lever.budget_rmb_per_year_by_province.items():
        member = (frame["province"] == province).to_numpy()
        budget[member] = amount * gdp[member] / gdp[member].sum()
    for city, amount in lever.budget_rmb_per_year_by_city.items():
        budget[data.city_index[city]] = amount
    province = frame["province"].to_numpy()
    allowed = {
        "city": np.eye(n, dtype=bool),
        "province": province[:, None] == province[None, :],
        "yrd": np.ones((n, n), dtype=bool),
    }
    return VoucherArrays(budget_per_year=budget, allowed=allowed[lever.portability])
