"""The one problem specification: levers, uncertainties and outcomes, declared once.

Researchers' questions ("under which conditions does the integrated plan meet its targets?",
"which levers matter most?") are asked over three lists, in the vocabulary of EMA Workbench
(levers, uncertainties, outcomes) and SALib (a problem dict of names and bounds):

* **Levers** (:data:`LEVERS`): what a policy maker sets, as intensities or options of the base
  scenario's levers (:mod:`scenarios.levers`): voucher budget and subsidy, the share of the
  2019 settlement barriers removed, the delay of the Action Plan's transport projects, where a
  voucher can be redeemed, and the flexible-talent rule.
* **Uncertainties** (:data:`UNCERTAINTIES`): behavioural parameters
  (:mod:`sim.config.parameters`), with the bounds and sources of the one table of factors
  (:data:`sim.analysis.factors.FACTORS`) and the defaults of ``configs/params/default.yaml``.
* **Outcomes** (:data:`OUTCOMES`): named end-year and cumulative indicators of one run.

Calibration and sensitivity read their factors from the same table; ``yrdsim-spec`` (or
:func:`sim.problem`) exports this specification as JSON and as a SALib problem, and
``yrdsim-explore`` samples it. Nothing here runs a simulation (see
:mod:`sim.analysis.evaluation`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from sim.analysis.factors import FACTORS, Factor, apply_factors
from sim.config.schema import CONFIG_DIR, ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.core.data import RegionData

#: The scenario the levers act on unless another is named.
BASE_SCENARIO = "integrated"
#: Residents per talent agent of an evaluation unless another is given.
DEFAULT_PERSONS_PER_AGENT = 2000
#: Last simulated year of an evaluation.
DEFAULT_END_YEAR = 2035


@dataclass(frozen=True)
class Parameter:
    """One input of the problem: a lever or an uncertainty.

    Attributes:
        name: Its name in :func:`sim.evaluate` and in every table.
        kind: ``lever`` (a policy setting) or ``uncertainty`` (a behavioural parameter).
        low: Lower bound (``None`` for a categorical parameter).
        high: Upper bound (``None`` for a categorical parameter).
        default: The value of the base scenario and ``configs/params/default.yaml``;
            ``None`` where the base scenario's setting is not a value of this parameter.
        unit: Unit of the value.
        source: Where the bounds (and the default) come from; ``assumption`` where none.
        values: The allowed values of a categorical parameter (``None`` when numeric).
        integer: Whether only whole numbers are meaningful (values are rounded when applied).
        description: What it sets.
    """

    name: str
    kind: Literal["lever", "uncertainty"]
    low: float | None
    high: float | None
    default: Any
    unit: str
    source: str
    values: tuple[Any, ...] | None = None
    integer: bool = False
    description: str = ""

    @property
    def categorical(self) -> bool:
        """Whether the parameter takes one of a list of values."""
        return self.values is not None

    def check(self, value: Any) -> Any:
        """``value`` if allowed (a float, an int or one of :attr:`values`), else ConfigError."""
        if self.categorical:
            allowed = self.values or ()
            for option in allowed:
                if value == option and type(value) is type(option):
                    return option
            if isinstance(value, np.bool_ | np.str_):
                return self.check(value.item())
            shown = ", ".join(repr(v) for v in allowed)
            raise ConfigError(f"{self.name}: {value!r} is not allowed; allowed values: {shown}")
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ConfigError(
                f"{self.name}: {value!r} is not a number; allowed: {self.low} to {self.high}"
            )
        number = float(value)
        # Samplers' arithmetic may land a rounding error outside a bound (SALib's Morris grid
        # gives -0.19999999999999996 for -0.2): allowed, and passed on unchanged.
        slack = 1e-9 * (self.high - self.low)
        if not math.isfinite(number) or not (self.low - slack <= number <= self.high + slack):
            raise ConfigError(
                f"{self.name}: {number!r} is outside its bounds; allowed: {self.low} to "
                f"{self.high} ({self.unit})"
            )
        return round(number) if self.integer else number


@dataclass(frozen=True)
class Outcome:
    """One named outcome of a run.

    Attributes:
        name: Its name in the dictionaries :func:`sim.evaluate` returns and in every table.
        unit: Unit of the value.
        description: What it measures.
        period: ``end_year`` (the state in the last year) or ``cumulative`` (summed over the
            simulated years after the start year).
        column: The ``metrics.csv`` column it is read from (``None`` if computed otherwise).
    """

    name: str
    unit: str
    description: str
    period: Literal["end_year", "cumulative"]
    column: str | None = None


def _from_factor(factor: Factor, default: Any, **extra: Any) -> Parameter:
    return Parameter(
        name=factor.name,
        kind=factor.kind,
        low=factor.low,
        high=factor.high,
        default=default,
        unit=factor.unit,
        source=factor.source,
        **extra,
    )


@cache
def _default_params() -> dict[str, dict[str, Any]]:
    """``configs/params/default.yaml`` (the one source of the parameters' defaults)."""
    text = (CONFIG_DIR / "params" / "default.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _param_default(path: str) -> Any:
    section, key = path.split(".")
    return _default_params()[section][key]


_FACTOR = {f.name: f for f in FACTORS}

#: What the numeric lever factors set (the base scenario is ``integrated``).
_LEVER_DESCRIPTIONS: dict[str, tuple[Any, str]] = {
    "voucher_budget_multiplier": (
        1.0,
        "scales every province's yearly voucher budget of the base scenario (yrd_platform: "
        "Shanghai 0.4, Jiangsu 0.6, Zhejiang 0.6, Anhui 0.2 RMB billion)",
    ),
    "voucher_subsidy_rate": (0.5, "share of an R&D-service project's cost a voucher pays"),
    "hukou_barrier_reduction": (
        None,
        "every size class's settlement barrier set to the status-quo (rules_2019) barrier "
        "times (1 - value); unset: the base scenario's own rules (liberalised_large)",
    ),
    "transport_delay_years": (
        0,
        "years added to the opening year of every transport project of the base scenario",
    ),
}

#: The levers, in the order of every table.
LEVERS: tuple[Parameter, ...] = (
    *(
        _from_factor(
            _FACTOR[name],
            default,
            integer=name == "transport_delay_years",
            description=text,
        )
        for name, (default, text) in _LEVER_DESCRIPTIONS.items()
    ),
    Parameter(
        name="voucher_portability",
        kind="lever",
        low=None,
        high=None,
        default="yrd",
        unit="where a voucher can be redeemed",
        source="the Action Plan's 通用通兑 (redeemable anywhere in the YRD) against city and "
        "province vouchers (scenarios/levers.py VoucherLever.portability; docs/LEVERS.md)",
        values=("city", "province", "yrd"),
        description="the issuing city only, any city of its province, or the whole YRD",
    ),
    Parameter(
        name="flexible_talent",
        kind="lever",
        low=None,
        high=None,
        default=True,
        unit="rule on or off",
        source="the Action Plan's 户口不迁、关系不转 (scenarios/levers.py "
        "ResidencyLever.flexible_talent; docs/LEVERS.md)",
        values=(False, True),
        description="high-skill talent with a YRD hukou lives anywhere in the YRD without the "
        "settlement barrier or the loss of public services",
    ),
)

#: The uncertainties (behavioural parameters of the one table of factors), in table order.
UNCERTAINTIES: tuple[Parameter, ...] = tuple(
    _from_factor(f, _param_default(f.path), description=f"params.{f.path}")
    for f in FACTORS
    if f.kind == "uncertainty"
)

#: The outcomes of one run.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "central_area_gdp_pc_ratio",
        "ratio",
        "GDP per capita of the Outline's central area over the region's, end year",
        "end_year",
        "central_area_gdppc_ratio",
    ),
    Outcome(
        "theil_gdp_per_capita",
        "Theil T",
        "Theil index of GDP per capita across the population of the 41 cities, end year",
        "end_year",
        "theil_gdp_per_capita",
    ),
    Outcome(
        "theil_between_province",
        "Theil T",
        "between-province part of the Theil index of GDP per capita, end year",
        "end_year",
        "theil_between_province",
    ),
    Outcome(
        "theil_population",
        "Theil T",
        "Theil index of the population over the 41 cities, sum s ln(41 s), end year",
        "end_year",
    ),
    Outcome(
        "innovations",
        "count",
        "innovations (invention patents granted) of all firms, summed over the years after "
        "the start",
        "cumulative",
        "innovations",
    ),
    Outcome(
        "small_medium_city_population",
        "million persons",
        "residents of the cities of the small and medium size classes (2020 classes), end year",
        "end_year",
    ),
    Outcome(
        "small_medium_city_share",
        "share",
        "share of the 41 cities' residents living in small and medium cities, end year",
        "end_year",
    ),
    Outcome(
        "gdp_per_capita",
        "RMB per resident",
        "GDP per capita of the region, end year",
        "end_year",
        "gdp_per_capita",
    ),
    Outcome("population", "million persons", "residents of the 41 cities, end year", "end_year"),
    Outcome(
        "migrants",
        "million persons",
        "moves between the 41 cities, summed over the years after the start",
        "cumulative",
        "migrants",
    ),
    Outcome(
        "share_pop_within_60min_shanghai",
        "share",
        "share of the population within 60 minutes of Shanghai, end year",
        "end_year",
        "share_pop_within_60min_shanghai",
    ),
    Outcome(
        "voucher_spend",
        "RMB million",
        "voucher value redeemed, summed over the years after the start",
        "cumulative",
        "voucher_spend",
    ),
)


@dataclass(frozen=True)
class Problem:
    """Levers, uncertainties and outcomes (see the module docstring).

    Attributes:
        levers: The levers.
        uncertainties: The uncertainties.
        outcomes: The outcomes.
        base_scenario: The scenario the levers act on.
    """

    levers: tuple[Parameter, ...] = LEVERS
    uncertainties: tuple[Parameter, ...] = UNCERTAINTIES
    outcomes: tuple[Outcome, ...] = OUTCOMES
    base_scenario: str = BASE_SCENARIO
    _by_name: dict[str, Parameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.parameters})

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """Levers, then uncertainties."""
        return (*self.levers, *self.uncertainties)

    @property
    def outcome_names(self) -> list[str]:
        """The outcomes' names, in order."""
        return [o.name for o in self.outcomes]

    def parameter(self, name: str) -> Parameter:
        """The lever or uncertainty called ``name`` (ConfigError naming the allowed ones).

        An uncertainty's dots may be written as double underscores, so that it can be a
        Python keyword argument (``migration__real_wage_weight``).
        """
        try:
            return self._by_name[name]
        except KeyError:
            if "__" in name and name.replace("__", ".") in self._by_name:
                return self._by_name[name.replace("__", ".")]
            raise ConfigError(
                f"{name!r} is not a lever or uncertainty; allowed: {', '.join(self._by_name)}"
            ) from None

    def select(self, names: Iterable[str] | None = None) -> list[Parameter]:
        """The parameters called ``names`` (all of them when ``None``), in the given order."""
        return list(self.parameters) if names is None else [self.parameter(n) for n in names]

    def check(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` with each checked against its parameter (ConfigError on the first bad)."""
        checked: dict[str, Any] = {}
        for name, value in values.items():
            parameter = self.parameter(name)
            checked[parameter.name] = parameter.check(value)
        return checked

    def salib(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The SALib problem dict of the numeric parameters ``names`` (all numeric ones).

        Raises:
            ConfigError: A named parameter is categorical (SALib samples numbers only).
        """
        chosen = self.select(names)
        if names is None:
            chosen = [p for p in chosen if not p.categorical]
        categorical = [p.name for p in chosen if p.categorical]
        if categorical:
            raise ConfigError(
                f"{', '.join(categorical)}: categorical, not in a SALib problem; allowed: the "
                "numeric levers and uncertainties"
            )
        return {
            "num_vars": len(chosen),
            "names": [p.name for p in chosen],
            "bounds": [[p.low, p.high] for p in chosen],
        }

    def to_dict(self) -> dict[str, Any]:
        """The specification as plain JSON-ready data (what ``yrdsim-spec`` prints)."""

        def plain(p: Parameter) -> dict[str, Any]:
            entry: dict[str, Any] = {
                "name": p.name,
                "kind": p.kind,
                "type": "categorical" if p.categorical else ("integer" if p.integer else "real"),
                "default": p.default,
                "unit": p.unit,
                "source": p.source,
                "description": p.description,
            }
            if p.categorical:
                entry["values"] = list(p.values or ())
            else:
                entry["bounds"] = [p.low, p.high]
            return entry

        return {
            "base_scenario": self.base_scenario,
            "levers": [plain(p) for p in self.levers],
            "uncertainties": [plain(p) for p in self.uncertainties],
            "outcomes": [
                {
                    "name": o.name,
                    "unit": o.unit,
                    "period": o.period,
                    "description": o.description,
                }
                for o in self.outcomes
            ],
            "salib_problem": self.salib(),
        }


#: The problem of this version of yrdsim.
PROBLEM = Problem()


def apply_values(
    config: SimConfig, values: Mapping[str, Any], problem: Problem = PROBLEM
) -> SimConfig:
    """``config`` with levers and uncertainties set to ``values`` (checked), validated again.

    Args:
        config: A validated configuration (the base scenario).
        values: Value by lever or uncertainty name; the others keep ``config``'s values.
        problem: The specification the names and bounds come from.

    Returns:
        The new configuration (``config`` is unchanged; ``config`` itself if ``values`` is
        empty).

    Raises:
        ConfigError: An unknown name, or a value outside its bounds or allowed values.
    """
    checked = problem.check(values)
    if not checked:
        return config
    numeric = {k: v for k, v in checked.items() if not problem.parameter(k).categorical}
    categorical = {k: v for k, v in checked.items() if problem.parameter(k).categorical}
    updated = apply_factors(config, numeric) if numeric else config
    if not categorical:
        return updated
    plain = updated.model_dump(mode="json", by_alias=True)
    scenario = plain["scenario"]
    for name, value in categorical.items():
        if name == "voucher_portability":
            scenario["vouchers"]["portability"] = value
        elif name == "flexible_talent":
            scenario["residency"]["flexible_talent"] = value
        else:  # pragma: no cover - every categorical lever is handled above
            raise ConfigError(f"{name}: no rule to apply it")
    return validate_config(plain)


def outcomes(result: Any, data: RegionData, problem: Problem = PROBLEM) -> dict[str, float]:
    """The named outcomes of one run (a :class:`sim.SimulationResult`), in problem order."""
    metrics = result.metrics.set_index("year")
    end = int(metrics.index.max())
    after_start = metrics.index > metrics.index.min()
    cities = result.cities[result.cities["year"] == end]
    population = cities["population"].to_numpy(dtype=float)
    size_class = dict(zip(data.city_ids, data.cities["size_class"], strict=True))
    small_medium = cities["city_id"].map(size_class).isin(("small", "medium")).to_numpy()
    shares = population / population.sum()
    positive = shares[shares > 0]
    computed = {
        "theil_population": float((positive * np.log(len(shares) * positive)).sum()),
        "small_medium_city_population": float(population[small_medium].sum()) / 1e6,
        "small_medium_city_share": float(population[small_medium].sum() / population.sum()),
        "population": float(metrics.loc[end, "population"]) / 1e6,
        "migrants": float(metrics.loc[after_start, "migrants"].sum()) / 1e6,
    }
    values: dict[str, float] = {}
    for outcome in problem.outcomes:
        if outcome.name in computed:
            values[outcome.name] = computed[outcome.name]
        elif outcome.period == "end_year":
            values[outcome.name] = float(metrics.loc[end, outcome.column])
        else:
            values[outcome.name] = float(metrics.loc[after_start, outcome.column].sum())
    return values


def points_frame(
    points: Sequence[Mapping[str, Any]] | pd.DataFrame, problem: Problem = PROBLEM
) -> list[dict[str, Any]]:
    """Points as a list of ``{name: value}`` (a DataFrame's rows, NaN meaning "not set")."""
    if isinstance(points, pd.DataFrame):
        rows = []
        for record in points.to_dict(orient="records"):
            rows.append(
                {
                    k: v
                    for k, v in record.items()
                    if not (isinstance(v, float) and math.isnan(v))
                }
            )
        return rows
    return [dict(p) for p in points]
