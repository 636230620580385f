"""Behavioural parameters and initial-condition assumptions: the model's uncertainties.

These are conditions outside a policy maker's control (kept apart from the levers in
:mod:`scenarios.levers`). Their values live in ``configs/params/default.yaml`` — the single
source of the defaults — with the literature each one comes from; the classes here only say
what each one means and which values are allowed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from scenarios.types import NonNegative, Number, Positive, Share, SizeClass, StrictModel, Whole


class MigrationParams(StrictModel):
    """Talent location choice (multinomial logit) and hukou.

    Attributes:
        reconsider_share: Share of talent agents that reconsider their location each year.
        real_wage_weight: Weight of log real wage in utility; with a logit this is the
            migration elasticity to real income.
        housing_share: Expenditure share of housing (deflates wages into real wages).
        moving_cost_fixed: Utility cost of any move between cities.
        moving_cost_per_log_distance: Additional utility cost per unit of
            ``ln(1 + km / 100)`` of great-circle distance between the cities.
        province_border_cost: Additional utility cost of a move across a provincial border.
        outside_distance_km: Distance at which the rest of China stands from every city in the
            moving cost (a move to or from it also crosses a provincial border).
        home_bias: Utility of living in one's hukou city (family, land, schooling).
        public_service_weight: Utility value of full access to local public services; a
            resident without local hukou loses ``(1 - access) * weight`` each year. The
            settlement barrier of the residency lever is instead an entry cost, paid once by a
            mover into a city whose hukou it does not hold.
        size_elasticity: Weight of a city's log population in utility: the number of jobs and
            homes a city offers (a city is a nest of elemental alternatives), which makes
            flows scale with destination size as in a gravity model.
        amenities: How each city's amenity (the utility not explained by the model's terms)
            is set at the start: ``none`` (zero), ``steady_state`` (the start-year state is a
            stationary point of the expected flows) or ``census_trend`` (the expected net
            migration of the first year equals the city's population growth relative to the
            region over the last intercensal decade before the start: 2000-2010 for a 2010
            start, 2010-2020 for a 2020 start; with no earlier census ``steady_state`` is
            used).
        trend_decay: Under ``census_trend``, the yearly rate at which the trend part of the
            amenities fades towards the amenities of a stationary start (0: the last decade's
            pattern persists; the half-life is ``ln 2 / trend_decay`` years).
        steady_state_amenity_share: Under ``steady_state``, the share of the solved amenities
            kept (1: the start year is a stationary point of the expected flows; below 1 the
            rest of the start-year spatial pattern is disequilibrium, to which the model's own
            terms respond). Calibrated on the 2010-2020 hindcast; unused by the other modes.

    References:
        Tombe & Zhu (2019), AER 109(5): migration elasticity to real income about 1.5.
        Hao, Sun, Tombe & Zhu (2020), JME 113: migration costs fell 45 % in 2000-2015.
        Redding & Rossi-Hansberg (2017), Annual Review of Economics 9: amenities recovered
        by inverting the model at observed populations.
    """

    reconsider_share: Share
    real_wage_weight: Positive
    housing_share: Share
    moving_cost_fixed: NonNegative
    moving_cost_per_log_distance: NonNegative
    province_border_cost: NonNegative
    outside_distance_km: NonNegative
    home_bias: NonNegative
    public_service_weight: NonNegative
    size_elasticity: NonNegative
    amenities: Literal["none", "steady_state", "census_trend"]
    steady_state_amenity_share: Share
    trend_decay: NonNegative


class LabourParams(StrictModel):
    """Production, wages, agglomeration and housing.

    Attributes:
        labour_elasticity: Output elasticity of labour (firm level, decreasing returns); the
            wage per efficiency unit falls with labour supply at rate ``1 - labour_elasticity``.
        high_skill_efficiency: Efficiency units of a high-skill worker (low skill = 1).
        agglomeration_elasticity: Elasticity of city TFP to its population.
        market_access_elasticity: Elasticity of city TFP to market access.
        housing_density_elasticity: Elasticity of housing cost to population density.
        tfp_growth: Exogenous TFP growth per year common to all cities.
        tfp_convergence: Yearly rate at which a city's TFP closes the gap between its log GDP
            per capita and the region's population-weighted mean (conditional
            beta-convergence). Fitted on 2000-2010 city GDP per capita (docs/VALIDATION.md).

    References:
        Barro & Sala-i-Martin (1992), JPE 100(2): convergence across regions.
        Combes & Gobillon (2015), Handbook of Regional and Urban Economics 5: agglomeration
        elasticities 0.02-0.10. Lin (2017), JUE 98: employment elasticity to market access 2-2.5.
    """

    labour_elasticity: Annotated[Number, Field(gt=0, lt=1)]
    high_skill_efficiency: Positive
    agglomeration_elasticity: NonNegative
    market_access_elasticity: NonNegative
    housing_density_elasticity: NonNegative
    tfp_growth: Annotated[Number, Field(ge=-0.2, le=0.2)]
    tfp_convergence: Annotated[Number, Field(ge=0, le=0.5)]


class FirmParams(StrictModel):
    """Firm population, R&D, entry, exit and relocation.

    Attributes:
        innovative_firms_per_billion_gdp: Real (innovative) firms per RMB billion of GDP, which
            with ``firms_per_agent`` sets the number of firm agents per city.
        min_firm_agents_per_city: Smallest number of firm agents a city starts with.
        productivity_dispersion: Standard deviation of log firm productivity.
        rd_intensity_mean: Mean R&D spending as a share of firm output.
        exit_rate: Base yearly exit probability (higher for less productive firms).
        entry_rate: Base yearly entry rate (entrants per incumbent), higher in more profitable
            cities.
        entry_profit_elasticity: Elasticity of entry to the city's profit per firm relative to
            the region.
        relocation_share: Share of firms that consider relocating each year.
        relocation_cost_fixed: Utility cost of any relocation.
        relocation_cost_per_hour: Additional cost per hour of travel time.
    """

    innovative_firms_per_billion_gdp: Positive
    min_firm_agents_per_city: Annotated[Whole, Field(ge=1)]
    productivity_dispersion: NonNegative
    rd_intensity_mean: Share
    exit_rate: Share
    entry_rate: Share
    entry_profit_elasticity: NonNegative
    relocation_share: Share
    relocation_cost_fixed: NonNegative
    relocation_cost_per_hour: NonNegative


class InnovationParams(StrictModel):
    """Innovation and the market for R&D services.

    An innovation is an invention patent granted (发明专利授权): a firm's count in a year is
    Poisson with a rate from its in-house R&D plus the R&D-service projects it was served.

    Attributes:
        base_innovation_rate: Invention patents granted per real firm and year from in-house
            R&D, at mean R&D intensity and the start year's mean knowledge access.
        rd_elasticity: Elasticity of the in-house rate to R&D intensity.
        knowledge_access_elasticity: Elasticity of the in-house rate to knowledge access.
        project_innovation_rate: Invention patents per R&D-service project served by a
            provider of the start year's mean capacity (project cost times patents per yuan of
            R&D, so that a yuan buys patents at the in-house rate).
        provider_quality_elasticity: Elasticity of a project's success to its provider city's
            R&D-service capacity relative to the regional mean.
        project_opportunity_rate: Yearly probability that a firm has an R&D-service project.
        project_cost_rmb: Mean cost of one R&D-service project (RMB).
        project_value_log_mean: Mean of the log value/cost ratio of projects; a project is bought
            when value/cost exceeds the firm's share of the cost.
        project_value_log_sd: Standard deviation of the log value/cost ratio.
        voucher_redemption_rate: Share of granted vouchers that are redeemed.
        provider_distance_cost_per_hour: Logit cost per hour of travel time in the choice of an
            R&D-service provider city.
        provider_projects_per_capacity: R&D-service projects a provider city can serve per year
            per unit of its capacity index ``R`` (1 + universities x high-skill growth); demand
            above that is diverted to other providers or rationed.
        innovation_productivity_step: Productivity gain of a firm from one innovation (set from
            the rate of return to R&D: step = return x R&D yuan per patent / output per firm).

    References:
        Cornet, Vroomen & van der Steeg (2006), CPB DP 58: of 10 vouchers 8 additional projects,
        1 deadweight, 1 unused. Jinyun (Zhejiang) 2017: about 94 % of issued value used.
        Hall, Mairesse & Mohnen (2010), Handbook of the Economics of Innovation: returns to R&D.
        Invention patents per yuan of R&D and per yuan of GDP: Jiangsu 2019 (docs/ODD.md 7.4).
    """

    base_innovation_rate: NonNegative
    rd_elasticity: NonNegative
    knowledge_access_elasticity: NonNegative
    project_innovation_rate: NonNegative
    provider_quality_elasticity: NonNegative
    project_opportunity_rate: Share
    project_cost_rmb: Positive
    project_value_log_mean: Number
    project_value_log_sd: Positive
    voucher_redemption_rate: Share
    provider_distance_cost_per_hour: NonNegative
    provider_projects_per_capacity: Positive
    innovation_productivity_step: NonNegative


class TransportParams(StrictModel):
    """How link travel times and access indices are derived.

    Attributes:
        road_speed_kmh: Average door-to-door road speed between neighbouring cities.
        road_detour: Road distance over great-circle distance.
        rail_detour: Rail distance over great-circle distance.
        rail_speed_factor: Average speed over design speed on rail (stops, acceleration).
        rail_access_min: Minutes to reach and leave stations on a rail trip.
        default_design_speed_kmh: Design speed by mode where the data give none.
        no_road_between: Pairs of neighbouring cities whose boundaries meet only at sea, so
            that no road joins them directly (their fixed links, if any, come from the data).
        excluded_links: Links of the data that carry no passengers between the two city
            centres (e.g. the Donghai Bridge, which reaches Yangshan port only).
        rail_times_until: Last year of the rail travel-time data (``rail_times.csv``, Ma & Tang
            2024, 1994-2020) used for the rail network: in a year up to it the data's times
            of that year (plus ``rail_access_min``) replace the rail links of
            ``transport_links.csv`` opened by then; later, the data's times of this year stay
            and the network model adds the rail links opened after it. ``None``: no data, every
            rail link timed by the network model (the hand-timed network). A year before 2020
            gives counterfactual networks (e.g. the 2010 rail network, with ``remove_links``).
        market_access_decay_min: Decay (minutes) of market access ``sum_j GDP_j exp(-T_ij/tau)``.
        knowledge_access_decay_min: Decay (minutes) of knowledge access.
    """

    road_speed_kmh: Positive
    road_detour: Annotated[Number, Field(ge=1)]
    rail_detour: Annotated[Number, Field(ge=1)]
    rail_speed_factor: Annotated[Number, Field(gt=0, le=1)]
    rail_access_min: NonNegative
    default_design_speed_kmh: dict[str, Positive]
    no_road_between: list[tuple[str, str]]
    excluded_links: list[str]
    rail_times_until: Annotated[Whole, Field(ge=1994, le=2020)] | None = 2020
    market_access_decay_min: Positive
    knowledge_access_decay_min: Positive


class InitialConditionParams(StrictModel):
    """Assumptions that fill what the census tables do not give.

    The bundled data have no hukou (registered) population and no education shares, so the
    start year's residents without local hukou and high-skill shares are set by these rules
    (documented in ``docs/ODD.md``).

    Attributes:
        non_hukou_share_by_class: Share of residents without local hukou, by city-size class.
        non_hukou_from_outside_share: Share of those whose hukou is outside the 41 cities.
        origin_decay_min: Decay (minutes) of the gravity rule that assigns the other
            non-hukou residents' hukou cities (weighted by population and inverse GDP per capita).
        high_skill_base: High-skill share, intercept.
        high_skill_per_log_heis: High-skill share per log(1 + universities).
        high_skill_per_log_gdppc: High-skill share per log of GDP per capita relative to the
            region.
        high_skill_bounds: Lowest and highest high-skill share of a city.
        outside_high_skill_share: High-skill (college-educated) share of the rest of China's
            movers, by census year (the national share of that census).
    """

    non_hukou_share_by_class: dict[SizeClass, Share]
    non_hukou_from_outside_share: Share
    origin_decay_min: Positive
    high_skill_base: Number
    high_skill_per_log_heis: Number
    high_skill_per_log_gdppc: Number
    high_skill_bounds: tuple[Share, Share]
    outside_high_skill_share: dict[int, Share]

    @field_validator("high_skill_bounds")
    @classmethod
    def _ordered(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        if bounds[0] > bounds[1]:
            raise ValueError(
                f"the lowest share {bounds[0]:g} is above the highest {bounds[1]:g}; allowed: "
                "[low, high] with 0 <= low <= high <= 1"
            )
        return bounds


class BehaviourParams(StrictModel):
    """All behavioural parameters and initial-condition assumptions, by submodel."""

    migration: MigrationParams
    labour: LabourParams
    firms: FirmParams
    innovation: InnovationParams
    transport: TransportParams
    initial: InitialConditionParams
