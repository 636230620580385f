"""The YRD integration model: cities, firms and talent on the real network of 41 cities.

One step is one year, in this order (see ``docs/ODD.md``, Process overview):

1. **Transport**: open the links whose year has come; recompute travel times if the set of open
   links changed; update market and knowledge access.
2. **Firms**: produce; spend on R&D; receive the year's voucher budgets, apply for vouchers and
   buy R&D services; innovate; exit, relocate and enter.
3. **Cities**: clear labour markets with the year's firms (wages by skill), update housing cost,
   GDP and R&D-service capacity.
4. **Talent**: a share reconsiders location (multinomial logit on the wages of stage 3);
   non-hukou residents gain local hukou at their city's rate.
5. **Record** the year-end state: production, wages and housing are recomputed with the
   year-end population (so that GDP per capita and the inequality indices use one population),
   then the year's indicators are recorded.

The start year is recorded before any step, as the initial (census) state.

The model sets up the state and orders the stages; the decisions are the agents' own
(:mod:`agents.firm`, :mod:`agents.talent`, :mod:`agents.city`), called in bulk over the state
arrays with explicit inputs, and the records are made by :func:`sim.core.recording.record_year`.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents import city as city_decisions
from agents import demography
from agents import firm as firm_decisions
from agents import talent as talent_decisions
from agents.base import remove_indexed
from agents.city import CityAgent, CityState, access_index
from agents.firm import FirmAgent
from agents.talent import LocationInputs, TalentAgent
from sim.config.checks import check_against_data
from sim.config.schema import SimConfig
from sim.core.amenities import AmenityCache, calibrate_amenities
from sim.core.data import (
    CENSUS_YEARS,
    HISTORY_CENSUS_YEARS,
    PROVINCIAL_CAPITALS,
    RegionData,
    great_circle_km,
    load_region_data,
)
from sim.core.initial_state import initial_firms, initial_talent
from sim.core.network import TransportNetwork
from sim.core.policies import ResidencyArrays, residency_arrays, voucher_arrays
from sim.core.recording import Recorder, YearCounts, record_year
from sim.core.streams import stream


class YRDModel(mesa.Model):
    """Agent-based model of regional integration in the Yangtze River Delta.

    Args:
        config: A validated run configuration (levers, parameters, horizon, scale, seed).
        data: The region's data; loaded from ``config.data_dir`` when omitted.
        amenity_cache: Solved amenities of earlier models to reuse when this model's solve
            would read exactly the same inputs (batches of runs; see
            :class:`sim.core.amenities.AmenityCache`).

    Attributes:
        year: The year of the state the model holds (the last recorded year).
        cities: City state arrays (:class:`agents.city.CityState`).
        firms: Firm state arrays (:class:`agents.firm.FirmArrays`).
        talent: Talent state arrays (:class:`agents.talent.TalentArrays`).
        travel_minutes: Current travel-time matrix (minutes).
        recorder: The yearly records.
    """

    def __init__(
        self,
        config: SimConfig,
        data: RegionData | None = None,
        amenity_cache: AmenityCache | None = None,
    ) -> None:
        super().__init__(rng=config.seed)
        self.config = config
        self.data = data if data is not None else load_region_data(config.data_dir)
        check_against_data(config, self.data)
        self.params = config.params
        self.year = config.start_year
        # Random numbers: one stream per process and year, derived from the model's seeded
        # generator (see sim.core.streams); draws are made per agent row, so that scenarios run
        # with the same seed share their random numbers agent by agent (common random numbers).
        self._entropy = int(self.rng.integers(2**63))
        frame = self.data.cities
        self.n_cities = n = self.data.n_cities
        self.area = frame["area_km2"].to_numpy(dtype=float)
        self.central = frame["central_area"].to_numpy(dtype=bool)
        provinces = frame["province"].to_numpy()
        self.province = np.unique(provinces, return_inverse=True)[1]
        index = self.data.city_index
        self.capital = np.array([index[PROVINCIAL_CAPITALS[p]] for p in provinces])
        # Locations of the location choice: the 41 cities and the rest of China (last), which
        # is ``outside_distance_km`` from every city and in another province.
        distance = np.full((n + 1, n + 1), self.params.migration.outside_distance_km)
        distance[:n, :n] = great_circle_km(
            frame["lat"].to_numpy()[:, None],
            frame["lon"].to_numpy()[:, None],
            frame["lat"].to_numpy()[None, :],
            frame["lon"].to_numpy()[None, :],
        )
        np.fill_diagonal(distance, 0.0)
        self.distance_km = distance
        location_province = np.append(self.province, self.province.max() + 1)
        self.same_province = location_province[:, None] == location_province[None, :]
        self.shanghai = index["shanghai"]
        self.residency = residency_arrays(config.scenario.residency, self.data)
        self.status_quo_residency = residency_arrays(config.status_quo.residency, self.data)
        self.vouchers = voucher_arrays(config.scenario.vouchers, self.data)

        # Transport.
        self.network = TransportNetwork(self.data, config.scenario.transport, self.params.transport)
        self._open_links = self.network.open_lines(self.year)
        self.travel_minutes = self.network.travel_times(self.year)

        # Cities.
        self.cities = CityState.zeros(n)
        for i, row in enumerate(frame.itertuples(index=False)):
            CityAgent(self, i, row.id, row.province, row.size_class)

        # Talent.
        census = self.data.census_population(config.census_year).astype(float)
        gdp_per_capita = self.data.gdp_per_capita(config.census_year)
        self.talent = initial_talent(
            self._stream("start_talent"),
            self.data,
            census,
            config.persons_per_agent,
            self.travel_minutes,
            self.params.initial,
            gdp_per_capita,
        )
        # Created in bulk (the model registers each agent; agents_by_type finds them); the
        # list create_indexed returns is kept as it is (a copy costs 8 bytes an agent).
        self.talent_agents: list[TalentAgent | None] = TalentAgent.create_indexed(
            self, range(len(self.talent))
        )
        self._update_population()
        population_start = self.cities.population.copy()
        self._high_skill_start = np.maximum(self.cities.high_skill, 1.0)

        # Firms. GDP of the start year: GDP per capita of the start census year (2010 or 2020,
        # never a later year) times the start population, grown at the TFP growth rate from the
        # census year (only the level matters; city TFP is calibrated to it).
        growth = (1 + self.params.labour.tfp_growth) ** (config.start_year - config.census_year)
        gdp_start = gdp_per_capita * self.cities.population * growth
        self.rest = self._rest_of_china(config.census_year, growth)
        births, deaths = demography.city_vital_rates(
            *self._province_vital_rates(config.census_year),
            *self.data.age_shares(config.census_year),
            census,
            self.province,
        )
        self.birth_rate, self.death_rate = births, deaths
        self.firms = initial_firms(
            self._stream("start_firms"), gdp_start, config.firms_per_agent, self.params.firms
        )
        self.firm_agents: list[FirmAgent | None] = FirmAgent.create_indexed(
            self, range(len(self.firms.city))
        )

        # Access and TFP calibrated so that start-year GDP equals the data.
        self.cities.gdp = gdp_start
        self._update_rd_capacity()
        self._update_access()
        # Innovation responds to knowledge access and provider capacity relative to the start
        # year's regional means, so that region-wide improvements raise innovation.
        self._knowledge_access_ref = float(self.cities.knowledge_access.mean())
        self._rd_capacity_ref = float(self.cities.rd_capacity.mean())
        theta = self.params.labour.labour_elasticity
        labour = np.maximum(self.cities.efficiency_labour, 1.0)
        self.start = city_decisions.StartYear(
            tfp_base=gdp_start / labour**theta,
            population=population_start,
            market_access=self.cities.market_access.copy(),
            year=config.start_year,
            area_km2=self.area,
            reference_density=population_start.sum() / self.area.sum(),
            convergence=np.ones(n),
            innovation_index=np.ones(n),
        )
        self._produce()
        self._amenity_choice: talent_decisions.GroupChoice | None = None
        key = self._amenity_key() if amenity_cache is not None else None
        solved = amenity_cache.get(key) if amenity_cache is not None else None
        if solved is None:
            solved = calibrate_amenities(
                self.cities.population,
                self.talent,
                self.data,
                config.census_year,
                config.persons_per_agent,
                self.params.migration,
                self._amenity_solve_probabilities,
                natural_increase=self.birth_rate - self.death_rate,
                immigrants=self._expected_immigrants,
            )
            if amenity_cache is not None:
                amenity_cache.put(key, solved)
        self.amenities = solved
        self._amenity_choice = None
        self.amenities_used = self.amenities.mode
        self.amenity = self.amenities.at(0)

        self.recorder = Recorder(list(frame["id"]), list(frame["name_en"]), list(frame["province"]))
        self._reset_year_counters()
        self.recorder.add_travel_times(self.year, self.travel_minutes)
        self._record()

    # ----------------------------------------------------------------------------- helpers
    def _stream(self, process: str) -> np.random.Generator:
        """The random stream of one process in the current year (see :mod:`sim.core.streams`)."""
        return stream(self._entropy, self.year, process)

    def _rest_of_china(self, census_year: int, growth: float) -> demography.RestOfChina:
        """The rest of China in the start year: census population, income, vital rates."""
        population, gdp = self.data.rest_of_china(census_year)
        birth, death = self.data.vital_rate("China", census_year)
        return demography.RestOfChina(
            population=population,
            income=gdp / population * growth,
            birth_rate=birth,
            death_rate=death,
            high_skill_share=self.params.initial.outside_high_skill_share[census_year],
        )

    def _province_vital_rates(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Each city's province's crude birth and death rates dated ``year`` or earlier."""
        rates = [self.data.vital_rate(p, year) for p in self.data.cities["province"]]
        return np.array([r[0] for r in rates]), np.array([r[1] for r in rates])

    def _expected_immigrants(
        self, probabilities: np.ndarray | talent_decisions.GroupProbabilities
    ) -> np.ndarray:
        """Expected arrivals from the rest of China into each city (agents)."""
        share = self.params.migration.reconsider_share
        if isinstance(probabilities, talent_decisions.GroupProbabilities):
            n = self.n_cities
            expected = demography.expected_immigrants_by_skill(
                self.rest, probabilities.block(n, n), share
            )
        else:
            expected = demography.expected_immigrants(self.rest, probabilities, share)
        return expected.sum(axis=0) / self.config.persons_per_agent

    def _status_quo_probabilities(self, amenity: np.ndarray) -> np.ndarray:
        """Location-choice probabilities under the status-quo settlement policy."""
        self.amenity = amenity
        return self._location_probabilities(self.status_quo_residency)

    def _amenity_key(self) -> str:
        """Digest of everything the amenity solve reads (:class:`AmenityCache`).

        The start populations and talent groups, the status-quo choice terms at zero amenity
        (wages, housing, population, penalties, barriers, moving costs), the rest of China,
        natural increase, the censuses the targets come from, and the migration parameters.
        """
        n = self.n_cities
        inputs = self.location_inputs(self.status_quo_residency, amenity=np.zeros(n))
        censuses = [
            self.data.census_population(year)
            for year in (*HISTORY_CENSUS_YEARS, *CENSUS_YEARS)
            if year <= self.config.census_year
        ]
        return AmenityCache.key(
            (
                self.params.migration.model_dump_json(),
                self.config.census_year,
                self.config.persons_per_agent,
                self.cities.population,
                talent_decisions.group_counts(self.talent, n),
                inputs.destination_utility,
                inputs.public_service_penalty,
                inputs.entry_barrier,
                inputs.moving_cost,
                inputs.home_bias,
                inputs.flexible_talent,
                self.rest.population,
                self.rest.income,
                self.rest.high_skill_share,
                self.birth_rate,
                self.death_rate,
                *censuses,
            )
        )

    def _amenity_solve_probabilities(
        self, amenity: np.ndarray
    ) -> talent_decisions.GroupProbabilities:
        """:meth:`_status_quo_probabilities` where the amenity solve reads them.

        The solve reads the rows of the groups that have talent and the rest of China's own
        row (its movers); only those are computed (:class:`agents.talent.GroupChoice`, bit
        for bit the full table's rows), the others are zero, and the terms that do not change
        between the solve's rounds are laid out once.
        """
        self.amenity = amenity
        if self._amenity_choice is None:
            inputs = self.location_inputs(self.status_quo_residency)
            n = self.n_cities
            living = np.flatnonzero(talent_decisions.group_counts(self.talent, n).ravel())
            rest = (n * (n + 1) + n) * 2 + np.arange(2)
            self._amenity_choice = talent_decisions.GroupChoice(
                inputs, np.union1d(living, rest)
            )
            # Only the amenity changes between rounds: the rest of the destination utility
            # (wages, housing, size, the rest of China) is computed once.
            self._amenity_terms = (
                talent_decisions.destination_base(self.cities, self.params.migration),
                self.cities.population.copy(),
                inputs.destination_utility[:, -1].copy(),
            )
        base, population, outside = self._amenity_terms
        utility = talent_decisions.destination_utility(base, amenity, population, outside)
        return self._amenity_choice.rows(utility)

    def _update_population(self) -> None:
        city_decisions.count_residents(
            self.cities,
            self.talent,
            self.config.persons_per_agent,
            self.data.working_age_share(self.config.census_year),
            self.params.labour.high_skill_efficiency,
        )

    def _update_rd_capacity(self) -> None:
        """R&D-service capacity: one plus universities times the change in high-skill residents.

        At least 1, so that every city can serve its own firms.
        """
        heis = self.data.cities["n_heis"].to_numpy(dtype=float)
        self.cities.rd_capacity = 1.0 + heis * self.cities.high_skill / self._high_skill_start

    def _update_access(self) -> None:
        transport = self.params.transport
        self.cities.market_access = access_index(
            self.cities.gdp, self.travel_minutes, transport.market_access_decay_min
        )
        self.cities.knowledge_access = access_index(
            self.cities.rd_capacity, self.travel_minutes, transport.knowledge_access_decay_min
        )

    def _produce(self) -> None:
        """City TFP, labour allocation, firm output, city GDP, wages and housing cost."""
        city_decisions.produce(self.cities, self.firms, self.year, self.start, self.params.labour)

    def location_inputs(
        self, residency: ResidencyArrays | None = None, amenity: np.ndarray | None = None
    ) -> LocationInputs:
        """The city-level terms of this year's location choice (see :class:`LocationInputs`).

        Args:
            residency: The settlement policy in force (the scenario's when omitted).
            amenity: The cities' amenities (the model's when omitted).
        """
        residency = residency if residency is not None else self.residency
        return talent_decisions.location_inputs(
            self.cities,
            self.amenity if amenity is None else amenity,
            self.params.migration,
            self.distance_km,
            self.same_province,
            outside_utility=talent_decisions.outside_utility(
                self.rest_income(),
                self.rest.population,
                self.params.labour.high_skill_efficiency,
                self.params.migration,
            ),
            settlement_barrier=residency.settlement_barrier,
            public_service_access=residency.public_service_access,
            flexible_talent=residency.flexible_talent,
        )

    def _location_probabilities(self, residency: ResidencyArrays | None = None) -> np.ndarray:
        """Logit probabilities of every destination by (origin, hukou, skill) group.

        Args:
            residency: The settlement policy in force (the scenario's when omitted).
        """
        return talent_decisions.location_probabilities(self.location_inputs(residency))

    def _reset_year_counters(self) -> None:
        n = self.n_cities
        self._flows = np.zeros((n, n))
        self._innovation = firm_decisions.InnovationYear(
            voucher_count=np.zeros((n, n)),
            voucher_value=np.zeros((n, n)),
            voucher_projects=0,
            voucher_additional=0,
        )
        self._counts = YearCounts()
        self.cities.innovations = np.zeros(n)
        self.cities.voucher_spend = np.zeros(n)
        self.cities.in_migrants = np.zeros(n)
        self.cities.out_migrants = np.zeros(n)
        self.cities.births = np.zeros(n)
        self.cities.deaths = np.zeros(n)
        self.cities.immigrants = np.zeros(n)
        self.cities.emigrants = np.zeros(n)
        self.firms.innovations[:] = 0
        self.firms.voucher_rmb[:] = 0.0
        self.firms.rd_spend[:] = 0.0

    # ------------------------------------------------------------------------------ stages
    def step(self) -> None:
        """Advance one year: transport, firms, cities, talent, record."""
        self.year += 1
        self._reset_year_counters()
        self.amenity = self.amenities.at(self.year - self.config.start_year - 1)
        self._converge()
        self._transport_stage()
        self._firm_stage()
        self._city_stage()
        self._demography_stage()
        self._talent_stage()
        self._city_stage()  # year-end accounts with the year-end population
        self._record()

    def _transport_stage(self) -> None:
        open_now = self.network.open_lines(self.year)
        if open_now != self._open_links:
            self._open_links = open_now
            self.travel_minutes = self.network.travel_times(self.year)
            self.recorder.add_travel_times(self.year, self.travel_minutes)
        self._update_access()

    def _firm_stage(self) -> None:
        """Production, then the firms' R&D and innovation, exit, relocation and entry."""
        self._produce()
        self._innovation = firm_decisions.innovate(
            self.firms,
            self.cities,
            year=self.year,
            stream=self._stream,
            lever=self.config.scenario.vouchers,
            params=self.params.innovation,
            rd_intensity_mean=self.params.firms.rd_intensity_mean,
            firms_per_agent=self.config.firms_per_agent,
            voucher_budget_per_year=self.vouchers.budget_per_year,
            voucher_allowed=self.vouchers.allowed,
            travel_minutes=self.travel_minutes,
            knowledge_access_ref=self._knowledge_access_ref,
            rd_capacity_ref=self._rd_capacity_ref,
        )
        city_decisions.accumulate_innovation(
            self.cities,
            self.firms,
            self.start,
            self.params.innovation.innovation_productivity_step,
            self.config.firms_per_agent,
        )
        fp = self.params.firms
        profit = firm_decisions.profits(
            self.firms, self.cities.gdp, self.params.labour.labour_elasticity
        )
        gone, survivors = firm_decisions.exit_firms(
            self.firms, self._stream("exit"), fp.exit_rate, self.n_cities
        )
        remove_indexed(self, self.firm_agents, gone)
        self._counts.firm_exits = len(gone)
        self._counts.firm_relocations = firm_decisions.relocate_firms(
            self.firms,
            survivors,
            self._stream("relocation"),
            profit.per_firm,
            self.travel_minutes,
            fp,
        )
        entered, self._counts.firm_entries = firm_decisions.enter_firms(
            self.firms, survivors, self._stream("entry"), profit, fp
        )
        if len(entered):
            self.firm_agents.extend(FirmAgent.create_indexed(self, entered))

    def _city_stage(self) -> None:
        self._produce()
        self._update_rd_capacity()

    def _converge(self) -> None:
        """One year of income convergence of the cities and the rest of China."""
        rate = self.params.labour.tfp_convergence
        c = self.cities
        rest_income = self.rest_income()
        populated = c.population > 0
        log_income = np.append(
            np.log(c.gdp[populated] / c.population[populated]), np.log(rest_income)
        )
        weights = np.append(c.population[populated], self.rest.population)
        mean = float(np.average(log_income, weights=weights))
        city_decisions.converge(c, self.start, rate, mean)
        self.rest.converge(rate, mean, rest_income)

    def rest_income(self) -> float:
        """GDP per capita of the rest of China this year (RMB)."""
        years = self.year - self.config.start_year
        return self.rest.income_in(years, self.params.labour.tfp_growth)

    def _demography_stage(self) -> None:
        """Deaths and births of the year; the rest of China's natural increase."""
        ppa = self.config.persons_per_agent
        t = self.talent
        dead = demography.deaths(self._stream("deaths"), t.city, t.alive, self.death_rate)
        t.alive[dead] = False
        self._remove_talent_agents(dead)
        city, parent = demography.births(self._stream("births"), t.city, t.alive, self.birth_rate)
        rows = t.extend(city, t.hukou[parent], np.zeros(len(city), dtype=bool))
        self.talent_agents.extend(TalentAgent.create_indexed(self, rows))
        n = self.n_cities
        self.cities.deaths = np.bincount(t.city[dead], minlength=n) * float(ppa)
        self.cities.births = np.bincount(city, minlength=n) * float(ppa)
        self.rest.natural_increase()

    def _remove_talent_agents(self, rows: np.ndarray) -> None:
        remove_indexed(self, self.talent_agents, rows)

    def _talent_stage(self) -> None:
        """Relocation of the talent that reconsiders, then hukou conversion."""
        ppa = self.config.persons_per_agent
        n = self.n_cities
        probabilities = self._location_probabilities()
        leaving = self.talent.alive.copy()
        flows = talent_decisions.relocate(
            self._stream("talent"),
            self.talent,
            probabilities,
            self.params.migration.reconsider_share,
            ppa,
        )
        self._remove_talent_agents(np.flatnonzero(leaving & ~self.talent.alive))
        expected = demography.expected_immigrants(
            self.rest, probabilities, self.params.migration.reconsider_share
        )
        city, high_skill = demography.draw_immigrants(self._stream("immigration"), expected, ppa)
        rows = self.talent.extend(city, np.full(len(city), n), high_skill)
        self.talent_agents.extend(TalentAgent.create_indexed(self, rows))
        self._flows = flows[:, :n]
        self.cities.emigrants = flows[:, n]
        self.cities.immigrants = np.bincount(city, minlength=n) * float(ppa)
        self.rest.exchange(self.cities.emigrants.sum(), self.cities.immigrants.sum())
        self.cities.out_migrants = self._flows.sum(axis=1)
        self.cities.in_migrants = self._flows.sum(axis=0)
        converted = talent_decisions.convert_hukou(
            self._stream("hukou"), self.talent, self.residency.hukou_conversion_rate
        )
        self._counts.hukou_conversions = converted * ppa
        self._update_population()

    def _record(self) -> None:
        record_year(
            self.recorder,
            year=self.year,
            cities=self.cities,
            firm_rd_spend=self.firms.rd_spend,
            amenity=self.amenity,
            flows=self._flows,
            innovation=self._innovation,
            counts=self._counts,
            travel_minutes=self.travel_minutes,
            province=self.province,
            central=self.central,
            capital=self.capital,
            shanghai=self.shanghai,
            rest_of_china_population=self.rest.population,
        )
