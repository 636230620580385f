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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mesa
import numpy as np

from agents.city import (
    CityAgent,
    CityState,
    access_index,
    housing_cost_index,
    wage_per_efficiency_unit,
)
from agents.firm import (
    FirmAgent,
    allocate_labour,
    exit_probability,
    grant_vouchers,
    keep_one_per_city,
    provider_probabilities,
)
from agents.sampling import binomial_inverse, draw_categories
from agents.talent import (
    LocationInputs,
    TalentAgent,
    choice_probabilities,
    choose_locations,
    convert_hukou,
    expected_population,
    group_counts,
    location_utilities,
)
from scenarios.levers import ResidencyLever
from sim.config.schema import SimConfig, check_against_data
from sim.core import indicators
from sim.core.data import CENSUS_YEARS, PROVINCIAL_CAPITALS, RegionData, load_region_data
from sim.core.initial_state import draw_firms, initial_firms, initial_talent
from sim.core.network import TransportNetwork
from sim.core.recording import Recorder


def within_group_quantile(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Rank of each value within its group as a fraction in [0, 1) (ties broken by position)."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(values))
    rank[order] = np.arange(len(values)) - starts[groups[order]]
    return rank / np.maximum(counts[groups], 1)


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


#: The processes that draw random numbers, each from its own stream (see ``YRDModel._stream``).
RANDOM_STREAMS: tuple[str, ...] = (
    "start_talent",
    "start_firms",
    "opportunities",
    "project_values",
    "vouchers",
    "providers",
    "innovation",
    "exit",
    "relocation",
    "entry",
    "talent",
    "hukou",
)


class YRDModel(mesa.Model):
    """Agent-based model of regional integration in the Yangtze River Delta.

    Args:
        config: A validated run configuration (levers, parameters, horizon, scale, seed).
        data: The region's data; loaded from ``config.data_dir`` when omitted.

    Attributes:
        year: The year of the state the model holds (the last recorded year).
        cities: City state arrays (:class:`agents.city.CityState`).
        firms: Firm state arrays (:class:`agents.firm.FirmArrays`).
        talent: Talent state arrays (:class:`agents.talent.TalentArrays`).
        travel_minutes: Current travel-time matrix (minutes).
        recorder: The yearly records.
    """

    def __init__(self, config: SimConfig, data: RegionData | None = None) -> None:
        super().__init__(rng=config.seed)
        self.config = config
        self.data = data if data is not None else load_region_data(config.data_dir)
        check_against_data(config, self.data)
        self.params = config.params
        self.year = config.start_year
        # Random numbers: one stream per process and year, derived from the model's seeded
        # generator (see _stream); draws are made per agent row, so that scenarios run with
        # the same seed share their random numbers agent by agent (common random numbers).
        self._entropy = int(self.rng.integers(2**63))
        frame = self.data.cities
        self.n_cities = n = self.data.n_cities
        self.area = frame["area_km2"].to_numpy(dtype=float)
        self.central = frame["central_area"].to_numpy(dtype=bool)
        provinces = frame["province"].to_numpy()
        self.province = np.unique(provinces, return_inverse=True)[1]
        index = self.data.city_index
        self.capital = np.array([index[PROVINCIAL_CAPITALS[p]] for p in provinces])
        self.shanghai = index["shanghai"]
        self._set_policies()

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
        self.talent = initial_talent(
            self._stream("start_talent"),
            self.data,
            census,
            config.persons_per_agent,
            self.travel_minutes,
            self.params.initial,
        )
        # Created in bulk (the model registers each agent; agents_by_type finds them).
        TalentAgent.create_indexed(self, range(len(self.talent)))
        self._update_population()
        self._population_start = self.cities.population.copy()
        self._high_skill_start = np.maximum(self.cities.high_skill, 1.0)
        self._reference_density = self.cities.population.sum() / self.area.sum()

        # Firms. GDP of the start year: 2020 GDP per capita times the start population, grown
        # at the TFP growth rate from 2020 (only the level matters; city TFP is calibrated to it).
        gdp_pc_2020 = frame["gdp_2020_cny"].to_numpy() / frame["pop_2020"].to_numpy()
        growth = (1 + self.params.labour.tfp_growth) ** (config.start_year - 2020)
        gdp_start = gdp_pc_2020 * self.cities.population * growth
        self.firms = initial_firms(
            self._stream("start_firms"), gdp_start, config.firms_per_agent, self.params.firms
        )
        self.firm_agents: list[FirmAgent | None] = list(
            FirmAgent.create_indexed(self, range(len(self.firms.city)))
        )

        # Access and TFP calibrated so that start-year GDP equals the data.
        self.cities.gdp = gdp_start
        self._update_rd_capacity()
        self._update_access()
        self._market_access_start = self.cities.market_access.copy()
        # Innovation responds to knowledge access and provider capacity relative to the start
        # year's regional means, so that region-wide improvements raise innovation.
        self._knowledge_access_ref = float(self.cities.knowledge_access.mean())
        self._rd_capacity_ref = float(self.cities.rd_capacity.mean())
        _, phi = self._labour_allocation()
        labour = np.maximum(self.cities.efficiency_labour, 1.0)
        self._tfp_base = gdp_start / (phi * labour**self.params.labour.labour_elasticity)
        self._produce()
        self.amenity = np.zeros(n)
        self.amenities_used = self._calibrate_amenities()

        self.recorder = Recorder(list(frame["id"]), list(frame["name_en"]), list(frame["province"]))
        self._reset_year_counters()
        self.recorder.add_travel_times(self.year, self.travel_minutes)
        self._record()

    # ----------------------------------------------------------------------------- set-up
    def _stream(self, process: str) -> np.random.Generator:
        """The random stream of one process in the current year.

        Streams are keyed by (model entropy, year, process), so a process's draws in a year do
        not depend on how many numbers other processes or earlier years used. Within a stream,
        draws are made for every agent row (dead firm rows included) and then indexed, so the
        same agent gets the same number in every scenario run with the same seed (a process
        that needs two numbers per row draws them as one ``(rows, 2)`` block, so that rows
        added by entry do not shift the second number of earlier rows).
        """
        return np.random.default_rng([self._entropy, self.year, RANDOM_STREAMS.index(process)])

    def _set_policies(self) -> None:
        """Per-city arrays of the residency and voucher levers."""
        scenario = self.config.scenario
        frame = self.data.cities
        self.residency = residency_arrays(scenario.residency, self.data)
        self.status_quo_residency = residency_arrays(self.config.status_quo.residency, self.data)

        vouchers = scenario.vouchers
        gdp = frame["gdp_2020_cny"].to_numpy()
        budget = np.zeros(self.n_cities)
        for province, amount in vouchers.budget_rmb_per_year_by_province.items():
            member = (frame["province"] == province).to_numpy()
            budget[member] = amount * gdp[member] / gdp[member].sum()
        for city, amount in vouchers.budget_rmb_per_year_by_city.items():
            budget[self.data.city_index[city]] = amount
        self.voucher_budget_per_year = budget
        same_city = np.eye(self.n_cities, dtype=bool)
        province = frame["province"].to_numpy()
        allowed = {
            "city": same_city,
            "province": province[:, None] == province[None, :],
            "yrd": np.ones((self.n_cities, self.n_cities), dtype=bool),
        }
        self.voucher_allowed = allowed[vouchers.portability]

    def _calibrate_amenities(
        self, tolerance: float = 1e-10, max_rounds: int = 1000, warn_above: float = 1e-4
    ) -> str:
        """Set city amenities so that the first year's expected populations hit their targets.

        Targets: the current populations (``steady_state``) or the populations grown at each
        city's 2010-2020 census growth relative to the region (``census_trend``). The expected
        populations are those under the status-quo settlement policy (``config.status_quo``),
        so that a scenario's residency lever acts against the calibrated start. Solved by
        fixed-point iteration on log expected population (the amenity of a city raises the
        expected population of that city at rate about ``reconsider_share``).

        Under ``steady_state`` the solved amenities are then multiplied by
        ``steady_state_amenity_share`` (1: the start is a stationary point of expected flows).

        Args:
            tolerance: Largest error in log expected population at which the iteration stops.
            max_rounds: Most rounds of the iteration.
            warn_above: Largest error that is accepted without a warning when the rounds run
                out before ``tolerance`` is reached.

        Returns:
            The mode actually used (``census_trend`` falls back to ``steady_state`` for a start
            before the 2020 census; recorded in the run's provenance).
        """
        migration = self.params.migration
        mode = migration.amenities
        if mode == "none":
            return mode
        population = self.cities.population
        target = population.copy()
        earlier = [y for y in CENSUS_YEARS if y < self.config.census_year]
        if mode == "census_trend" and not earlier:
            mode = "steady_state"
        if mode == "census_trend":
            first, last = earlier[-1], self.config.census_year
            before = self.data.census_population(first).astype(float)
            after = self.data.census_population(last).astype(float)
            years = last - first
            growth = (after / before) ** (1 / years) - (after.sum() / before.sum()) ** (1 / years)
            target = population * (1 + growth)
            target *= population.sum() / target.sum()
            # A city can lose at most the share that reconsiders in a year.
            floor = (1 - 0.8 * migration.reconsider_share) * population
            if (target < floor).any():
                cities = [self.data.city_ids[i] for i in np.flatnonzero(target < floor)]
                warnings.warn(
                    f"census-trend decline of {cities} exceeds what reconsider_share "
                    f"{migration.reconsider_share} allows in a year; their targets are limited",
                    RuntimeWarning,
                    stacklevel=2,
                )
                target = np.maximum(target, floor)
        counts = group_counts(self.talent, self.n_cities)
        ppa = self.config.persons_per_agent
        step = 1.0 / migration.reconsider_share if migration.reconsider_share > 0 else 0.0
        for _ in range(max_rounds):
            probabilities = self._location_probabilities(self.status_quo_residency)
            expected = expected_population(counts, probabilities, migration.reconsider_share) * ppa
            error = np.log(target) - np.log(expected)
            if np.abs(error).max() < tolerance:
                break
            self.amenity += 0.9 * step * error
            self.amenity -= self.amenity.mean()
        # Iterating on to ``tolerance`` is for exact reproducibility; an error in log
        # population below ``warn_above`` (0.01 % of a city) does not matter to any result.
        if np.abs(error).max() >= warn_above:
            warnings.warn(
                f"amenity calibration ({mode}) stopped after {max_rounds} rounds with a largest "
                f"error of {np.abs(error).max():.2e} in log population",
                RuntimeWarning,
                stacklevel=2,
            )
        if mode == "steady_state":
            # Only this share of the start-year pattern is amenity: the rest is disequilibrium
            # that the model's own terms (wages, size, costs, barriers) then act on.
            self.amenity *= migration.steady_state_amenity_share
        return mode

    # ------------------------------------------------------------------------ state updates
    def _update_population(self) -> None:
        n, ppa = self.n_cities, self.config.persons_per_agent
        talent = self.talent
        city = talent.city
        c = self.cities
        c.population = np.bincount(city, minlength=n) * float(ppa)
        c.high_skill = np.bincount(city, weights=talent.high_skill, minlength=n) * float(ppa)
        c.non_hukou = np.bincount(city, weights=talent.hukou != city, minlength=n) * float(ppa)
        working = self.data.cities["working_age_share"].to_numpy()
        c.workers = c.population * working
        high_workers = c.high_skill * working
        c.efficiency_labour = (
            c.workers - high_workers + self.params.labour.high_skill_efficiency * high_workers
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

    def _alive(self) -> np.ndarray:
        return np.flatnonzero(self.firms.alive)

    def _labour_allocation(self) -> tuple[np.ndarray, np.ndarray]:
        alive = self._alive()
        return allocate_labour(
            self.firms.city[alive],
            self.firms.productivity[alive],
            self.cities.efficiency_labour,
            self.params.labour.labour_elasticity,
        )

    def _produce(self) -> None:
        """City TFP, labour allocation, firm output, city GDP, wages and housing cost."""
        labour = self.params.labour
        theta = labour.labour_elasticity
        c = self.cities
        years = self.year - self.config.start_year
        c.tfp = (
            self._tfp_base
            * (c.population / self._population_start) ** labour.agglomeration_elasticity
            * (c.market_access / self._market_access_start) ** labour.market_access_elasticity
            * (1 + labour.tfp_growth) ** years
        )
        alive = self._alive()
        share, phi = self._labour_allocation()
        city = self.firms.city[alive]
        units = share * c.efficiency_labour[city]
        self.firms.output[alive] = c.tfp[city] * self.firms.productivity[alive] * units**theta
        self.firms.employment[alive] = share * c.workers[city]
        c.gdp = c.tfp * phi * np.maximum(c.efficiency_labour, 0.0) ** theta
        c.wage_low = wage_per_efficiency_unit(c.gdp, c.efficiency_labour, theta)
        c.wage_high = c.wage_low * labour.high_skill_efficiency
        c.housing_cost = housing_cost_index(
            c.population, self.area, self._reference_density, labour.housing_density_elasticity
        )
        c.firms = np.bincount(city, minlength=self.n_cities).astype(float)

    def _reset_year_counters(self) -> None:
        n = self.n_cities
        self._flows = np.zeros((n, n))
        self._voucher_count = np.zeros((n, n))
        self._voucher_value = np.zeros((n, n))
        self._counts = dict.fromkeys(
            (
                "hukou_conversions",
                "firm_entries",
                "firm_exits",
                "firm_relocations",
                "voucher_projects",
                "voucher_additional",
            ),
            0,
        )
        self.cities.innovations = np.zeros(n)
        self.cities.voucher_spend = np.zeros(n)
        self.cities.in_migrants = np.zeros(n)
        self.cities.out_migrants = np.zeros(n)
        self.firms.innovations[:] = 0
        self.firms.voucher_rmb[:] = 0.0
        self.firms.rd_spend[:] = 0.0

    # ------------------------------------------------------------------------------ stages
    def step(self) -> None:
        """Advance one year: transport, firms, cities, talent, record."""
        self.year += 1
        self._reset_year_counters()
        self._transport_stage()
        self._firm_stage()
        self._city_stage()
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
        self._produce()
        self._innovate()
        self._exit_enter_relocate()

    def _innovate(self) -> None:
        """R&D, voucher lottery, R&D-service purchases and innovation of every active firm."""
        rows = len(self.firms.city)
        ip = self.params.innovation
        lever = self.config.scenario.vouchers
        f = self.firms
        c = self.cities
        per_agent = self.config.firms_per_agent
        alive = self._alive()
        city = f.city[alive]
        output = f.output[alive]
        rd_intensity = f.rd_intensity[alive]
        n_firms = len(alive)

        opportunities = self._stream("opportunities").binomial(
            per_agent, ip.project_opportunity_rate, rows
        )[alive]
        log_value = self._stream("project_values").normal(
            ip.project_value_log_mean, ip.project_value_log_sd, rows
        )
        value_ratio = np.exp(log_value[alive])
        project_cost = opportunities * ip.project_cost_rmb

        # Voucher lottery and redemption.
        active = self.year >= lever.start_year
        c.voucher_budget = self.voucher_budget_per_year * active
        per_project = min(lever.cap_per_firm_rmb, lever.subsidy_rate * ip.project_cost_rmb)
        voucher_share = per_project / ip.project_cost_rmb  # share of the cost the voucher pays
        requested = opportunities * per_project
        if lever.eligible_firms == "small":
            quantile = within_group_quantile(f.employment[alive], city, self.n_cities)
            eligible = quantile < lever.small_firm_quantile
        else:
            eligible = np.ones(n_firms, dtype=bool)
        applies = (
            eligible
            & (opportunities > 0)
            & (value_ratio >= 1 - voucher_share)
            & (c.voucher_budget[city] > 0)
        )
        lottery, redemption = self._stream("vouchers").random((rows, 2))[alive].T
        granted = np.zeros(n_firms, dtype=bool)
        granted[applies] = grant_vouchers(
            lottery[applies], city[applies], requested[applies], c.voucher_budget
        )
        redeemed = granted & (redemption < ip.voucher_redemption_rate)
        buys = redeemed | ((opportunities > 0) & (value_ratio >= 1.0))

        # Providers of R&D services.
        log_capacity = np.log(c.rd_capacity)
        cost = ip.provider_distance_cost_per_hour
        everywhere = np.ones((self.n_cities, self.n_cities), dtype=bool)
        provider = np.full(n_firms, -1)
        provider_uniform = self._stream("providers").random(rows)[alive]
        for mask, allowed in ((redeemed, self.voucher_allowed), (buys & ~redeemed, everywhere)):
            who = np.flatnonzero(mask)
            probabilities = provider_probabilities(log_capacity, self.travel_minutes, cost, allowed)
            provider[who] = draw_categories(
                provider_uniform[who], np.cumsum(probabilities, axis=1), city[who]
            )

        # Innovation.
        quality = (c.rd_capacity / self._rd_capacity_ref) ** ip.provider_quality_elasticity
        knowledge = c.knowledge_access / self._knowledge_access_ref
        project_quality = np.where(buys, quality[np.maximum(provider, 0)], 0.0)
        hazard = (
            ip.base_innovation_rate
            * (rd_intensity / self.params.firms.rd_intensity_mean) ** ip.rd_elasticity
            * knowledge[city] ** ip.knowledge_access_elasticity
            + ip.project_innovation_rate * opportunities / per_agent * project_quality
        )
        uniform = self._stream("innovation").random(rows)[alive]
        innovations = binomial_inverse(uniform, per_agent, 1.0 - np.exp(-hazard))
        f.productivity[alive] *= 1.0 + ip.innovation_productivity_step * innovations / per_agent
        f.innovations[alive] = innovations
        f.innovations_total[alive] += innovations
        voucher_value = np.where(redeemed, requested, 0.0)
        f.voucher_rmb[alive] = voucher_value
        f.voucher_rmb_total[alive] += voucher_value
        f.rd_spend[alive] = rd_intensity * output + np.where(buys, project_cost, 0.0)

        n = self.n_cities
        c.innovations = np.bincount(city, weights=innovations, minlength=n)
        c.voucher_spend = np.bincount(city, weights=voucher_value, minlength=n)
        pair = city[redeemed] * n + provider[redeemed]
        self._voucher_count = np.bincount(
            pair, weights=opportunities[redeemed], minlength=n * n
        ).reshape(n, n)
        self._voucher_value = np.bincount(
            pair, weights=voucher_value[redeemed], minlength=n * n
        ).reshape(n, n)
        self._counts["voucher_projects"] = int(opportunities[redeemed].sum())
        self._counts["voucher_additional"] = int(opportunities[redeemed & (value_ratio < 1)].sum())

    def _exit_enter_relocate(self) -> None:
        """Firm exit, relocation and entry.

        Less productive firms exit more often; a share of survivors relocates toward higher
        profit per firm net of a cost rising in travel time; entry is higher in cities with
        above-regional profit per firm.
        """
        rows = len(self.firms.city)
        fp = self.params.firms
        theta = self.params.labour.labour_elasticity
        f = self.firms
        n = self.n_cities
        c = self.cities
        alive = self._alive()
        city = f.city[alive]
        count = np.bincount(city, minlength=n).astype(float)
        profit_per_firm = (1 - theta) * c.gdp / np.maximum(count, 1.0)
        regional_profit = (1 - theta) * c.gdp.sum() / count.sum()

        # Exit; a city keeps at least its most productive firm.
        productivity = f.productivity[alive]
        exit_uniform = self._stream("exit").random(rows)[alive]
        exits = exit_uniform < exit_probability(city, productivity, n, fp.exit_rate)
        exits = keep_one_per_city(city, exits, productivity, n)
        gone = alive[exits]
        f.alive[gone] = False
        for index in gone:
            self.firm_agents[index].remove()
            self.firm_agents[index] = None
        self._counts["firm_exits"] = len(gone)

        # Relocation of a share of the survivors.
        survivors = alive[~exits]
        consider_uniform, destination_uniform = self._stream("relocation").random((rows, 2)).T
        considering = consider_uniform[survivors] < fp.relocation_share
        movers = survivors[considering]
        if len(movers):
            cost = fp.relocation_cost_fixed + fp.relocation_cost_per_hour * self.travel_minutes / 60
            np.fill_diagonal(cost, 0.0)
            with np.errstate(divide="ignore"):  # an empty city has no profit: -inf utility
                utility = np.log(profit_per_firm)[None, :] - cost
            probabilities = choice_probabilities(utility)
            origin = f.city[movers]
            destination = draw_categories(
                destination_uniform[movers], np.cumsum(probabilities, axis=1), origin
            )
            leaving = np.zeros(len(survivors), dtype=bool)
            leaving[considering] = destination != origin
            leaving = keep_one_per_city(f.city[survivors], leaving, f.productivity[survivors], n)
            destination = np.where(leaving[considering], destination, origin)
            f.city[movers] = destination
            self._counts["firm_relocations"] = int((destination != origin).sum())

        # Entry, more where profit per firm is above the regional level.
        relative = profit_per_firm / regional_profit
        entry_rng = self._stream("entry")
        entrants = entry_rng.poisson(fp.entry_rate * count * relative**fp.entry_profit_elasticity)
        if entrants.sum():
            new_city = np.repeat(np.arange(n), entrants)
            log_phi = np.log(f.productivity[survivors])
            total = np.bincount(f.city[survivors], weights=log_phi, minlength=n)
            mean_log = total / np.maximum(np.bincount(f.city[survivors], minlength=n), 1)
            new = draw_firms(entry_rng, new_city, mean_log[new_city], fp)
            indices = f.extend(new)
            self.firm_agents.extend(FirmAgent.create_indexed(self, indices))
        self._counts["firm_entries"] = int(entrants.sum())

    def _city_stage(self) -> None:
        self._produce()
        self._update_rd_capacity()

    def location_inputs(self, residency: ResidencyArrays | None = None) -> LocationInputs:
        """The city-level terms of this year's location choice (see :class:`LocationInputs`).

        Args:
            residency: The settlement policy in force (the scenario's when omitted).
        """
        residency = residency if residency is not None else self.residency
        mp = self.params.migration
        c = self.cities
        with np.errstate(divide="ignore", invalid="ignore"):
            housing = mp.housing_share * np.log(c.housing_cost)
            destination = (
                mp.real_wage_weight
                * np.vstack((np.log(c.wage_low) - housing, np.log(c.wage_high) - housing))
                + mp.size_elasticity * np.log(c.population)
                + self.amenity
            )
        # A city everybody has left offers no jobs or homes: nobody chooses it.
        destination = np.where(c.population > 0, destination, -np.inf)
        penalty = residency.settlement_barrier + mp.public_service_weight * (
            1.0 - residency.public_service_access
        )
        moving = mp.moving_cost_fixed + mp.moving_cost_per_hour * self.travel_minutes / 60.0
        np.fill_diagonal(moving, 0.0)
        return LocationInputs(
            destination_utility=destination,
            non_hukou_penalty=penalty,
            moving_cost=moving,
            home_bias=mp.home_bias,
            flexible_talent=residency.flexible_talent,
        )

    def _location_probabilities(self, residency: ResidencyArrays | None = None) -> np.ndarray:
        """Logit probabilities of every destination by (origin, hukou, skill) group.

        Args:
            residency: The settlement policy in force (the scenario's when omitted).
        """
        inputs = self.location_inputs(residency)
        utilities = location_utilities(
            inputs.destination_utility,
            inputs.non_hukou_penalty,
            inputs.moving_cost,
            inputs.home_bias,
            inputs.flexible_talent,
        )
        return choice_probabilities(utilities)

    def _talent_stage(self) -> None:
        mp = self.params.migration
        c = self.cities
        n = self.n_cities
        origin, destination = choose_locations(
            self._stream("talent"),
            self.talent,
            self._location_probabilities(),
            mp.reconsider_share,
        )
        ppa = float(self.config.persons_per_agent)
        self._flows = np.bincount(origin * n + destination, minlength=n * n).reshape(n, n) * ppa
        c.out_migrants = self._flows.sum(axis=1)
        c.in_migrants = self._flows.sum(axis=0)
        converted = convert_hukou(
            self._stream("hukou"), self.talent, self.residency.hukou_conversion_rate
        )
        self._counts["hukou_conversions"] = converted * int(ppa)
        self._update_population()

    # ----------------------------------------------------------------------------- record
    def _record(self) -> None:
        c = self.cities
        pop = c.population
        gdp_pc = c.gdp_per_capita
        voucher_total = self._voucher_value.sum()
        cross_city = voucher_total - np.trace(self._voucher_value)
        same_province = self.province[:, None] == self.province[None, :]
        cross_province = self._voucher_value[~same_province].sum()
        between, within = indicators.theil_decomposition(gdp_pc, pop, self.province)
        projects = self._counts["voucher_projects"]
        counts = self._counts
        migrants = float(self._flows.sum())
        metrics = {
            "year": self.year,
            "population": float(pop.sum()),
            "high_skill": float(c.high_skill.sum()),
            "non_hukou": float(c.non_hukou.sum()),
            "gdp": float(c.gdp.sum()) / 1e9,
            "gdp_per_capita": float(c.gdp.sum() / pop.sum()),
            "mean_wage": float((c.mean_wage * c.workers).sum() / c.workers.sum()),
            "migrants": migrants,
            "migration_rate": migrants / float(pop.sum()),
            "hukou_conversions": counts["hukou_conversions"],
            "innovations": float(c.innovations.sum()),
            "firms": float(c.firms.sum()),
            "firm_entries": counts["firm_entries"],
            "firm_exits": counts["firm_exits"],
            "firm_relocations": counts["firm_relocations"],
            "rd_spend": float(self.firms.rd_spend.sum()) / 1e9,
            "voucher_budget": float(c.voucher_budget.sum()) / 1e6,
            "voucher_spend": float(c.voucher_spend.sum()) / 1e6,
            "voucher_projects": projects,
            "voucher_additional_share": counts["voucher_additional"] / projects
            if projects
            else 0.0,
            "voucher_cross_region_share": cross_city / voucher_total if voucher_total else 0.0,
            "voucher_cross_province_share": (
                cross_province / voucher_total if voucher_total else 0.0
            ),
            "mean_travel_time_min": indicators.mean_travel_time(self.travel_minutes, pop),
            "share_pop_within_60min_shanghai": indicators.share_within(
                self.travel_minutes, pop, np.full(self.n_cities, self.shanghai), 60.0
            ),
            "share_pop_within_60min_capital": indicators.share_within(
                self.travel_minutes, pop, self.capital, 60.0
            ),
            "theil_gdp_per_capita": indicators.theil_index(gdp_pc, pop),
            "theil_between_province": between,
            "theil_within_province": within,
            "cv_gdp_per_capita": indicators.coefficient_of_variation(gdp_pc, pop),
            "central_area_gdppc_ratio": indicators.central_area_ratio(c.gdp, pop, self.central),
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
            "amenity": self.amenity,
            "firms": c.firms,
            "innovations": c.innovations,
            "voucher_budget": c.voucher_budget / 1e6,
            "voucher_spend": c.voucher_spend / 1e6,
            "in_migrants": c.in_migrants,
            "out_migrants": c.out_migrants,
        }
        self.recorder.add_year(metrics, cities)
        if migrants:
            self.recorder.add_flows(self.year, self._flows)
        if voucher_total:
            self.recorder.add_vouchers(self.year, self._voucher_count, self._voucher_value)
