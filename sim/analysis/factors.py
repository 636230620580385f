"""The one table of factors that calibration and sensitivity vary.

A factor is either an **uncertainty** (a behavioural parameter, the dotted path under
``params``) or a **lever** intensity (applied to a scenario by :func:`apply_factors`). Each has
its bounds, unit and source; calibration fits some of the uncertainties
(:data:`CALIBRATED`, starting from their ``prior``), sensitivity varies :data:`SENSITIVITY`.
Configurations are typed throughout: a factor's value is set on a validated
:class:`~sim.config.schema.SimConfig`, which is validated again; no Hydra.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from scenarios.types import SIZE_CLASSES
from sim.config.schema import SimConfig
from sim.config.validation import validate_config


@dataclass(frozen=True)
class Factor:
    """One varied input.

    Attributes:
        name: For an uncertainty its dotted path under ``params`` (e.g.
            ``migration.real_wage_weight``); for a lever a short name.
        low: Lower bound.
        high: Upper bound.
        unit: Unit of the value.
        source: Where the bounds (and the prior) come from.
        kind: ``uncertainty`` (a behavioural parameter) or ``lever`` (an intensity).
        prior: Value before calibration (uncertainties that are calibrated).
    """

    name: str
    low: float
    high: float
    unit: str
    source: str
    kind: Literal["uncertainty", "lever"]
    prior: float | None = None

    @property
    def path(self) -> str:
        """The dotted path under ``params`` of an uncertainty (its name)."""
        return self.name

    def to_unit(self, value: float) -> float:
        """Position of ``value`` in [0, 1] between the bounds."""
        return (value - self.low) / (self.high - self.low)

    def from_unit(self, unit: float) -> float:
        """Value at position ``unit`` (clipped to [0, 1]) between the bounds."""
        return self.low + float(np.clip(unit, 0.0, 1.0)) * (self.high - self.low)


#: Every factor, once (docs/VALIDATION.md: "Calibration" and "Sensitivity").
FACTORS: tuple[Factor, ...] = (
    Factor(
        "migration.real_wage_weight",
        1.0,
        3.0,
        "utility per log point of real income",
        "Tombe & Zhu 2019: migration elasticity to real income about 1.5; bounds two thirds and "
        "twice the prior (with size_elasticity below 0.45 every point is stable)",
        "uncertainty",
    ),
    Factor(
        "migration.moving_cost_fixed",
        0.0,
        8.0,
        "utility of any move between locations",
        "calibrated: the census 2010 inter-provincial migration rate, 4.10 % per five years "
        "(Wang Guixin 2022; sim/analysis/calibration.py); bounds an assumption wide enough to "
        "bracket it",
        "uncertainty",
        prior=2.85,
    ),
    Factor(
        "migration.moving_cost_per_log_distance",
        0.0,
        2.0,
        "utility per unit of ln(1 + km/100)",
        "assumption (default 1: flows fall with distance^-1); Tombe & Zhu 2019: migration "
        "costs rise with distance",
        "uncertainty",
    ),
    Factor(
        "migration.province_border_cost",
        0.0,
        2.0,
        "utility of crossing a provincial border",
        "assumption (default 1); Tombe & Zhu 2019: inter-provincial costs above intra-provincial",
        "uncertainty",
    ),
    Factor(
        "migration.size_elasticity",
        0.0,
        0.45,
        "utility per log resident",
        "assumption; bounds kept below the stability bound real_wage_weight x 0.5 at the lowest "
        "real_wage_weight (docs/ODD.md 7.6)",
        "uncertainty",
    ),
    Factor(
        "migration.public_service_weight",
        0.0,
        2.0,
        "utility of full access to local public services",
        'default 0.18: migrants give up 9-14 % of income for local hukou ("Hukou as '
        'benefits", Beijing survey); bounds an assumption (Huang: 46 % utility loss of an '
        "inter-provincial migrant bounds the total penalty)",
        "uncertainty",
    ),
    Factor(
        "migration.steady_state_amenity_share",
        0.0,
        1.0,
        "share",
        "amenities: steady_state only: share of the solved amenities kept (1 = the start is "
        "a stationary point); no literature value",
        "uncertainty",
    ),
    Factor(
        "migration.trend_decay",
        0.0,
        0.15,
        "per year",
        "calibrated on the 2010-2020 hindcast (grid 0-0.15, leave-one-province-out report; "
        "sim/analysis/calibration.py); 0: the last decade's pattern persists",
        "uncertainty",
        prior=0.05,
    ),
    Factor(
        "labour.tfp_convergence",
        0.0,
        0.05,
        "per year (share of the log income gap closed)",
        "calibrated on 2000-2010 city GDP per capita (beta-convergence); prior and bounds: "
        "Barro & Sala-i-Martin 1992, about 2 % per year across regions",
        "uncertainty",
        prior=0.02,
    ),
    Factor(
        "labour.agglomeration_elasticity",
        0.02,
        0.10,
        "elasticity of TFP to population",
        "Combes & Gobillon 2015: 0.02-0.10",
        "uncertainty",
    ),
    Factor(
        "labour.market_access_elasticity",
        0.05,
        0.25,
        "elasticity of TFP to market access",
        "Ahlfeldt & Feddersen 2018: 0.125 (the default); bounds an assumption around it",
        "uncertainty",
    ),
    Factor(
        "innovation.knowledge_access_elasticity",
        0.1,
        0.5,
        "elasticity of the innovation hazard to knowledge access",
        "assumption (sensitivity range around the default 0.3)",
        "uncertainty",
    ),
    Factor(
        "innovation.project_value_log_mean",
        -0.8,
        -0.2,
        "mean log value/cost of R&D-service projects",
        "assumption (sensitivity range around the default -0.5)",
        "uncertainty",
    ),
    Factor(
        "voucher_budget_multiplier",
        0.5,
        2.0,
        "x the yrd_platform voucher budgets",
        "lever range of the sensitivity study",
        "lever",
    ),
    Factor(
        "voucher_subsidy_rate",
        0.3,
        0.7,
        "share of a project's cost a voucher pays",
        "lever range of the sensitivity study",
        "lever",
    ),
    Factor(
        "hukou_barrier_reduction",
        0.0,
        1.0,
        "share of the rules_2019 settlement barriers removed in every size class",
        "lever range of the sensitivity study",
        "lever",
    ),
    Factor(
        "transport_delay_years",
        0.0,
        10.0,
        "years the Action Plan projects open late",
        "lever range of the sensitivity study",
        "lever",
    ),
)

BY_NAME: dict[str, Factor] = {f.name: f for f in FACTORS}

#: The parameters calibration fits (at most eight global parameters, never one per city),
#: each on its own data (sim/analysis/calibration.py).
CALIBRATED: tuple[Factor, ...] = tuple(
    BY_NAME[name]
    for name in (
        "labour.tfp_convergence",
        "migration.moving_cost_fixed",
        "migration.trend_decay",
    )
)

#: The factors of the global sensitivity study (behavioural parameters and lever intensities
#: of the ``integrated`` scenario).
SENSITIVITY: tuple[Factor, ...] = tuple(
    BY_NAME[name]
    for name in (
        "migration.real_wage_weight",
        "migration.moving_cost_fixed",
        "migration.size_elasticity",
        "migration.trend_decay",
        "labour.agglomeration_elasticity",
        "labour.market_access_elasticity",
        "innovation.knowledge_access_elasticity",
        "innovation.project_value_log_mean",
        "voucher_budget_multiplier",
        "voucher_subsidy_rate",
        "hukou_barrier_reduction",
        "transport_delay_years",
    )
)


def apply_factors(config: SimConfig, values: Mapping[str, float]) -> SimConfig:
    """``config`` with the factor ``values`` applied, validated again.

    Args:
        config: A validated configuration.
        values: Value by factor name (an uncertainty's ``params`` path or a lever's name).

    Returns:
        The new configuration (``config`` is not changed).
    """
    plain = config.model_dump(mode="json", by_alias=True)
    scenario = plain["scenario"]
    for name, value in values.items():
        if name == "voucher_budget_multiplier":
            budgets = scenario["vouchers"]["budget_rmb_per_year_by_province"]
            for province in budgets:
                budgets[province] = budgets[province] * value
        elif name == "voucher_subsidy_rate":
            scenario["vouchers"]["subsidy_rate"] = value
        elif name == "hukou_barrier_reduction":
            status_quo = plain["status_quo"]["residency"]["by_size_class"]
            for size_class in SIZE_CLASSES:
                barrier = status_quo[size_class]["settlement_barrier"] * (1.0 - value)
                scenario["residency"]["by_size_class"][size_class]["settlement_barrier"] = barrier
        elif name == "transport_delay_years":
            for project in scenario["transport"]["projects"]:
                project["year"] = int(project["year"] + round(value))
        else:
            section, key = name.split(".")
            plain["params"][section][key] = value
    return validate_config(plain)
