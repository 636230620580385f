"""What a run records each year, and the tables it returns.

The recorder is declared up front: :data:`METRIC_UNITS` and :data:`CITY_UNITS` list every column
of the region-level and city-level tables with its unit. The model hands the recorder its state
once a year; :meth:`Recorder.tables` returns tidy pandas tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core import indicators

if TYPE_CHECKING:
    from agents.city import CityState
    from agents.firm import InnovationYear

#: Region-level indicators, one row per year: column -> unit.
METRIC_UNITS: dict[str, str] = {
    "year": "year",
    "population": "persons",
    "high_skill": "persons",
    "non_hukou": "persons (residents without local hukou)",
    "gdp": "RMB billion (start-year prices)",
    "gdp_per_capita": "RMB per resident",
    "mean_wage": "RMB per worker-year",
    "migrants": "persons moving between cities in the year",
    "migration_rate": "migrants / population",
    "hukou_conversions": "persons gaining local hukou in the year",
    "births": "persons born in the year",
    "deaths": "persons who died in the year",
    "immigrants": "persons arriving from the rest of China in the year",
    "emigrants": "persons leaving for the rest of China in the year",
    "rest_of_china_population": "persons (mainland China less the 41 cities)",
    "innovations": "innovations in the year",
    "firms": "active firm agents",
    "firm_entries": "firm agents entering in the year",
    "firm_exits": "firm agents exiting in the year",
    "firm_relocations": "firm agents relocating in the year",
    "rd_spend": "RMB billion (in-house R&D plus bought R&D services)",
    "voucher_budget": "RMB million",
    "voucher_spend": "RMB million redeemed",
    "voucher_projects": "R&D-service projects paid with vouchers",
    "voucher_additional_share": "share of voucher projects not bought without the voucher",
    "voucher_cross_region_share": "share of redeemed value spent outside the issuing city",
    "voucher_cross_province_share": "share of redeemed value spent outside the province",
    "voucher_top3_provider_share": "share of redeemed value spent at the three largest provider "
    "cities",
    "rd_inhouse_spend": "RMB billion (in-house R&D)",
    "rd_services_spend": "RMB billion (R&D-service projects served, vouchers included)",
    "rd_services_projects": "R&D-service projects served",
    "rd_services_rationed_share": "share of R&D-service projects demanded that providers could "
    "not serve (capacity)",
    "innovations_from_services": "innovations attributed to R&D-service projects (expected share)",
    "mean_travel_time_min": "minutes (between residents of different cities)",
    "share_pop_within_60min_shanghai": "share of population",
    "share_pop_within_60min_capital": "share of population (own provincial capital)",
    "theil_gdp_per_capita": "Theil T across cities (population-weighted)",
    "theil_between_province": "Theil T, between-province part",
    "theil_within_province": "Theil T, within-province part",
    "cv_gdp_per_capita": "coefficient of variation across cities (population-weighted)",
    "central_area_gdppc_ratio": "central-area GDP per capita / region",
}

#: City-level indicators, one row per year and city: column -> unit.
CITY_UNITS: dict[str, str] = {
    "year": "year",
    "city_id": "id",
    "name_en": "name",
    "province": "name",
    "population": "persons",
    "high_skill": "persons",
    "non_hukou": "persons",
    "gdp": "RMB billion",
    "gdp_per_capita": "RMB per resident",
    "wage": "RMB per worker-year (mean)",
    "wage_low": "RMB per worker-year",
    "wage_high": "RMB per worker-year",
    "housing_cost": "index (region's start-year density = 1)",
    "market_access": "RMB billion (GDP within reach, decayed by travel time)",
    "knowledge_access": "index",
    "amenity": "utility units (solved at the start; trend part fading at trend_decay)",
    "firms": "active firm agents",
    "innovations": "innovations in the year",
    "voucher_budget": "RMB million",
    "voucher_spend": "RMB million redeemed (issuing city)",
    "in_migrants": "persons",
    "out_migrants": "persons",
    "births": "persons",
    "deaths": "persons",
    "immigrants": "persons (from the rest of China)",
    "emigrants": "persons (to the rest of China)",
}

#: Migrant flows: column -> unit.
FLOW_UNITS: dict[str, str] = {
    "year": "year",
    "origin": "city id",
    "destination": "city id",
    "migrants": "persons moving in the year",
}
#: Travel times: column -> unit.
TRAVEL_UNITS: dict[str, str] = {
    "year": "year (the start year and each year the network changed)",
    "origin": "city id",
    "destination": "city id",
    "minutes": "shortest door-to-door travel time, minutes",
}
#: Voucher redemptions: column -> unit.
VOUCHER_UNITS: dict[str, str] = {
    "year": "year",
    "issuing_city": "city id",
    "provider_city": "city id (where the R&D service was bought)",
    "vouchers": "R&D-service projects paid with vouchers",
    "value_rmb": "RMB redeemed",
}
#: Units of every table a run writes, by table name.
TABLE_UNITS: dict[str, dict[str, str]] = {
    "metrics": METRIC_UNITS,
    "cities": CITY_UNITS,
    "flows": FLOW_UNITS,
    "travel_times": TRAVEL_UNITS,
    "vouchers": VOUCHER_UNITS,
}

FLOW_COLUMNS = list(FLOW_UNITS)
TRAVEL_COLUMNS = list(TRAVEL_UNITS)
VOUCHER_COLUMNS = list(VOUCHER_UNITS)


@dataclass(frozen=True)
class Indicator:
    """A headline indicator as shown in figures and reports.

    Attributes:
        column: Column of ``metrics.csv``.
        title: Panel title.
        ylabel: Axis label with the display unit.
        scale: Factor from the column's unit to the display unit.
        flow: A flow over the year (zero in the start year, which is not drawn).
    """

    column: str
    title: str
    ylabel: str
    scale: float = 1.0
    flow: bool = False


#: Headline indicators in display order: column, panel title, y label (unit), scale factor.
HEADLINE_INDICATORS: tuple[Indicator, ...] = (
    Indicator("population", "Population", "Million persons", 1e-6),
    Indicator("gdp", "GDP", "RMB trillion", 1e-3),
    Indicator("gdp_per_capita", "GDP per capita", "Thousand RMB per person", 1e-3),
    Indicator("migrants", "Inter-city migrants", "Thousand persons per year", 1e-3, flow=True),
    Indicator("innovations", "Innovations", "Count per year", 1.0, flow=True),
    Indicator("voucher_spend", "Voucher spending", "RMB million per year", 1.0, flow=True),
    Indicator(
        "voucher_cross_region_share",
        "Cross-region vouchers",
        "Share of spending (%)",
        100.0,
        flow=True,
    ),
    Indicator("mean_travel_time_min", "Mean travel time", "Minutes"),
    Indicator("theil_gdp_per_capita", "GDP p.c. inequality", "Theil index"),
    Indicator("central_area_gdppc_ratio", "Central area GDP p.c.", "Ratio to whole region"),
    Indicator(
        "share_pop_within_60min_shanghai",
        "\u2264 60 min from Shanghai",
        "Share of population (%)",
        100.0,
    ),
)


@dataclass
class _Pairs:
    """One year's origin-destination records, kept as arrays until the tables are built."""

    year: int
    origin: np.ndarray
    destination: np.ndarray
    values: dict[str, np.ndarray]


@dataclass
class Recorder:
    """Collects each year's records; builds the tables at the end of a run.

    The records are kept as numpy arrays (copies of the year's state) and turned into pandas
    tables once, by :meth:`tables`; building a data frame per year cost more than the rest of
    the recording. :attr:`cities`, :attr:`flows`, :attr:`travel_times` and :attr:`vouchers`
    give the records of each year as a data frame, for readers that follow a run year by year.

    Args:
        city_ids: City ids in index order.
        names: English city names in index order.
        provinces: Provinces in index order.
    """

    city_ids: list[str]
    names: list[str]
    provinces: list[str]
    metrics: list[dict] = field(default_factory=list)
    _cities: list[tuple[int, dict[str, np.ndarray]]] = field(default_factory=list, repr=False)
    _flows: list[_Pairs] = field(default_factory=list, repr=False)
    _travel_times: list[_Pairs] = field(default_factory=list, repr=False)
    _vouchers: list[_Pairs] = field(default_factory=list, repr=False)

    def add_year(self, metrics: dict, cities: dict[str, np.ndarray]) -> None:
        """Record one year's region-level metrics and city columns (the columns are copied)."""
        self.metrics.append(metrics)
        self._cities.append((metrics["year"], {k: np.array(v) for k, v in cities.items()}))

    def _pairs(self, year: int, matrix: np.ndarray, value: str, keep: np.ndarray) -> _Pairs:
        origin, destination = np.nonzero(keep)
        return _Pairs(year, origin, destination, {value: matrix[origin, destination]})

    def add_flows(self, year: int, persons: np.ndarray) -> None:
        """Record an origin x destination matrix of migrants (zero cells left out)."""
        self._flows.append(self._pairs(year, persons.astype(np.int64), "migrants", persons > 0))

    def add_travel_times(self, year: int, minutes: np.ndarray) -> None:
        """Record the travel-time matrix (all ordered pairs of different cities)."""
        keep = ~np.eye(len(minutes), dtype=bool)
        self._travel_times.append(self._pairs(year, minutes, "minutes", keep))

    def add_vouchers(self, year: int, count: np.ndarray, value: np.ndarray) -> None:
        """Record voucher redemptions, issuing city x provider city (zero cells left out)."""
        pairs = self._pairs(year, count.astype(np.int64), "vouchers", count > 0)
        pairs.values["value_rmb"] = value[count > 0]
        self._vouchers.append(pairs)

    # ------------------------------------------------------------------ building the tables
    def _city_frame(self, parts: list[tuple[int, dict[str, np.ndarray]]]) -> pd.DataFrame:
        n = len(self.city_ids)
        years = len(parts)
        frame = {
            "year": np.repeat(np.array([year for year, _ in parts]), n),
            "city_id": np.tile(np.asarray(self.city_ids, dtype=object), years),
            "name_en": np.tile(np.asarray(self.names, dtype=object), years),
            "province": np.tile(np.asarray(self.provinces, dtype=object), years),
        }
        for column in list(CITY_UNITS)[4:]:
            frame[column] = np.concatenate([values[column] for _, values in parts])
        return pd.DataFrame(frame, columns=list(CITY_UNITS))

    def _pairs_frame(self, parts: list[_Pairs], columns: list[str]) -> pd.DataFrame:
        """The pairs of ``parts`` as one table (columns year, origin, destination, values...)."""
        parts = [p for p in parts if len(p.origin)]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        ids = np.asarray(self.city_ids, dtype=object)
        origin = np.concatenate([p.origin for p in parts])
        destination = np.concatenate([p.destination for p in parts])
        frame = {
            columns[0]: np.concatenate([np.full(len(p.origin), p.year) for p in parts]),
            columns[1]: ids[origin],
            columns[2]: ids[destination],
        }
        for name, column in zip(parts[0].values, columns[3:], strict=True):
            frame[column] = np.concatenate([p.values[name] for p in parts])
        return pd.DataFrame(frame, columns=columns)

    @property
    def cities(self) -> list[pd.DataFrame]:
        """The city records of each year so far, one data frame a year."""
        return [self._city_frame([part]) for part in self._cities]

    @property
    def flows(self) -> list[pd.DataFrame]:
        """The migration flows of each year recorded so far (years without flows left out)."""
        return [self._pairs_frame([part], FLOW_COLUMNS) for part in self._flows]

    @property
    def travel_times(self) -> list[pd.DataFrame]:
        """The travel times of the start year and of each year the network changed."""
        return [self._pairs_frame([part], TRAVEL_COLUMNS) for part in self._travel_times]

    @property
    def vouchers(self) -> list[pd.DataFrame]:
        """The voucher redemptions of each year recorded so far (years without any left out)."""
        return [self._pairs_frame([part], VOUCHER_COLUMNS) for part in self._vouchers]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's tables: ``metrics``, ``cities``, ``flows``, ``travel_times``, ``vouchers``."""
        if self._cities:
            cities = self._city_frame(self._cities)
        else:
            cities = pd.DataFrame({c: pd.Series(dtype=object) for c in CITY_UNITS})
        return {
            "metrics": pd.DataFrame(self.metrics, columns=list(METRIC_UNITS)),
            "cities": cities,
            "flows": self._pairs_frame(self._flows, FLOW_COLUMNS),
            "travel_times": self._pairs_frame(self._travel_times, TRAVEL_COLUMNS),
            "vouchers": self._pairs_frame(self._vouchers, VOUCHER_COLUMNS),
        }


@dataclass
class YearCounts:
    """Events of the year counted as they happen (agents times persons or firms per agent).

    Attributes:
        hukou_conversions: Persons gaining local hukou.
        firm_entries: Firm agents entering.
        firm_exits: Firm agents exiting.
        firm_relocations: Firm agents moving to another city.
    """

    hukou_conversions: int = 0
    firm_entries: int = 0
    firm_exits: int = 0
    firm_relocations: int = 0


def record_year(
    recorder: Recorder,
    *,
    year: int,
    cities: CityState,
    firm_rd_spend: np.ndarray,
    amenity: np.ndarray,
    flows: np.ndarray,
    innovation: InnovationYear,
    counts: YearCounts,
    travel_minutes: np.ndarray,
    province: np.ndarray,
    central: np.ndarray,
    capital: np.ndarray,
    shanghai: int,
    rest_of_china_population: float,
) -> None:
    """Hand the year-end state to the recorder: the region's indicators and the cities' rows.

    Args:
        recorder: The run's recorder.
        year: The year recorded.
        cities: The city state.
        firm_rd_spend: R&D spending of every firm row this year (RMB).
        amenity: ``(n,)`` city amenities.
        flows: ``(n, n)`` migrants by origin and destination.
        innovation: The firms' R&D and voucher use this year.
        counts: Events counted this year.
        travel_minutes: ``(n, n)`` travel times.
        province: ``(n,)`` province code of each city.
        central: ``(n,)`` whether a city is in the plan's central area.
        capital: ``(n,)`` index of each city's provincial capital.
        shanghai: Index of Shanghai.
        rest_of_china_population: Residents of the rest of China (persons).
    """
    c = cities
    pop = c.population
    gdp_pc = c.gdp_per_capita
    voucher_total = innovation.voucher_value.sum()
    cross_city = voucher_total - np.trace(innovation.voucher_value)
    same_province = province[:, None] == province[None, :]
    cross_province = innovation.voucher_value[~same_province].sum()
    between, within = indicators.theil_decomposition(gdp_pc, pop, province)
    projects = innovation.voucher_projects
    migrants = float(flows.sum())
    metrics = {
        "year": year,
        "population": float(pop.sum()),
        "high_skill": float(c.high_skill.sum()),
        "non_hukou": float(c.non_hukou.sum()),
        "gdp": float(c.gdp.sum()) / 1e9,
        "gdp_per_capita": float(c.gdp.sum() / pop.sum()),
        "mean_wage": float((c.mean_wage * c.workers).sum() / c.workers.sum()),
        "migrants": migrants,
        "migration_rate": migrants / float(pop.sum()),
        "hukou_conversions": counts.hukou_conversions,
        "births": float(c.births.sum()),
        "deaths": float(c.deaths.sum()),
        "immigrants": float(c.immigrants.sum()),
        "emigrants": float(c.emigrants.sum()),
        "rest_of_china_population": rest_of_china_population,
        "innovations": float(c.innovations.sum()),
        "firms": float(c.firms.sum()),
        "firm_entries": counts.firm_entries,
        "firm_exits": counts.firm_exits,
        "firm_relocations": counts.firm_relocations,
        "rd_spend": float(firm_rd_spend.sum()) / 1e9,
        "voucher_budget": float(c.voucher_budget.sum()) / 1e6,
        "voucher_spend": float(c.voucher_spend.sum()) / 1e6,
        "voucher_projects": projects,
        "voucher_additional_share": innovation.voucher_additional / projects if projects else 0.0,
        "voucher_cross_region_share": cross_city / voucher_total if voucher_total else 0.0,
        "voucher_cross_province_share": (cross_province / voucher_total if voucher_total else 0.0),
        "voucher_top3_provider_share": (
            float(np.sort(innovation.voucher_value.sum(axis=0))[-3:].sum() / voucher_total)
            if voucher_total
            else 0.0
        ),
        "rd_inhouse_spend": innovation.inhouse_spend / 1e9,
        "rd_services_spend": innovation.services_spend / 1e9,
        "rd_services_projects": innovation.services_projects,
        "rd_services_rationed_share": (
            1.0 - innovation.services_projects / innovation.services_demand
            if innovation.services_demand
            else 0.0
        ),
        "innovations_from_services": innovation.innovations_from_services,
        "mean_travel_time_min": indicators.mean_travel_time(travel_minutes, pop),
        "share_pop_within_60min_shanghai": indicators.share_within(
            travel_minutes, pop, np.full(len(pop), shanghai), 60.0
        ),
        "share_pop_within_60min_capital": indicators.share_within(
            travel_minutes, pop, capital, 60.0
        ),
        "theil_gdp_per_capita": indicators.theil_index(gdp_pc, pop),
        "theil_between_province": between,
        "theil_within_province": within,
        "cv_gdp_per_capita": indicators.coefficient_of_variation(gdp_pc, pop),
        "central_area_gdppc_ratio": indicators.central_area_ratio(c.gdp, pop, central),
    }
    cities = {
        "population": pop,
        "high_skill": c.high_skill,
        "non_hukou": c.non_hukou,
        "gdp": c.gdp / 1e9,
        "gdp_per_capita": gdp_pc,
        "wage": c.mean_wage,
        "wage_low": c.wage_low,
        "wage_high": c.wage_high,
        "housing_cost": c.housing_cost,
        "market_access": c.market_access / 1e9,
        "knowledge_access": c.knowledge_access,
        "amenity": amenity,
        "firms": c.firms,
        "innovations": c.innovations,
        "voucher_budget": c.voucher_budget / 1e6,
        "voucher_spend": c.voucher_spend / 1e6,
        "in_migrants": c.in_migrants,
        "births": c.births,
        "deaths": c.deaths,
        "immigrants": c.immigrants,
        "emigrants": c.emigrants,
        "out_migrants": c.out_migrants,
    }
    recorder.add_year(metrics, cities)
    if migrants:
        recorder.add_flows(year, flows)
    if voucher_total:
        recorder.add_vouchers(year, innovation.voucher_count, innovation.voucher_value)
