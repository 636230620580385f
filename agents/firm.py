"""Firm agents: produce, do R&D, buy R&D services (with vouchers), innovate, enter, exit, move.

One :class:`FirmAgent` stands for ``firms_per_agent`` real innovative firms of one city acting
alike. Firm state lives in :class:`FirmArrays`; the agent objects index into them. The firms'
yearly decisions are the functions below, made in bulk over the arrays with explicit inputs:
:func:`innovate` (R&D, the voucher lottery, the choice of R&D-service providers, innovation),
:func:`exit_firms`, :func:`relocate_firms` and :func:`enter_firms`. The model calls them in its
stage order and keeps the Mesa agent objects in step with the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np
from scipy import special, stats

from agents.base import IndexedAgent, StateField
from agents.sampling import draw_categories
from agents.talent import choice_probabilities

if TYPE_CHECKING:
    from agents.city import CityState
    from scenarios.levers import VoucherLever
    from sim.config.parameters import FirmParams, InnovationParams

#: The random stream of one process this year, by the process's name.
Streams = Callable[[str], np.random.Generator]


@dataclass
class FirmArrays:
    """State of all firm agents ever created (exited firms keep their entry, ``alive`` False).

    Attributes:
        city: City index.
        productivity: Firm productivity (phi), raised by innovations.
        rd_intensity: In-house R&D spending as a share of output.
        employment: Workers (persons) employed this year.
        output: Output this year (RMB).
        rd_spend: R&D spending this year, in-house plus bought services (RMB).
        innovations: Innovations this year (count over the agent's real firms).
        innovations_total: Innovations since the start.
        voucher_rmb: Voucher value redeemed this year (RMB).
        voucher_rmb_total: Voucher value redeemed since the start (RMB).
        alive: Whether the firm is active.
    """

    city: np.ndarray
    productivity: np.ndarray
    rd_intensity: np.ndarray
    employment: np.ndarray
    output: np.ndarray
    rd_spend: np.ndarray
    innovations: np.ndarray
    innovations_total: np.ndarray
    voucher_rmb: np.ndarray
    voucher_rmb_total: np.ndarray
    alive: np.ndarray

    @classmethod
    def create(
        cls, city: np.ndarray, productivity: np.ndarray, rd_intensity: np.ndarray
    ) -> FirmArrays:
        """New firms with the given city, productivity and R&D intensity."""
        n = len(city)
        return cls(
            city=city.astype(np.int64),
            productivity=productivity.astype(float),
            rd_intensity=rd_intensity.astype(float),
            employment=np.zeros(n),
            output=np.zeros(n),
            rd_spend=np.zeros(n),
            innovations=np.zeros(n, dtype=np.int64),
            innovations_total=np.zeros(n, dtype=np.int64),
            voucher_rmb=np.zeros(n),
            voucher_rmb_total=np.zeros(n),
            alive=np.ones(n, dtype=bool),
        )

    def extend(self, other: FirmArrays) -> np.ndarray:
        """Append ``other``'s firms; return their indices."""
        start = len(self.city)
        for spec in fields(self):
            setattr(
                self,
                spec.name,
                np.concatenate((getattr(self, spec.name), getattr(other, spec.name))),
            )
        return np.arange(start, len(self.city))


class FirmAgent(IndexedAgent):
    """``firms_per_agent`` innovative firms of one city that act alike.

    The agent's state is its row of the model's :class:`FirmArrays`; an exited firm's agent is
    removed from the model while its row stays (``alive`` False).

    Attributes:
        city: Index of the firm's city.
        productivity: Firm productivity.
        employment: Workers employed this year.
        innovations_total: Innovations since the start of the run.
        voucher_rmb_total: Voucher value redeemed since the start of the run (RMB).
    """

    city = StateField("firms", int)
    productivity = StateField("firms", float)
    employment = StateField("firms", float)
    innovations_total = StateField("firms", int)
    voucher_rmb_total = StateField("firms", float)


def allocate_labour(
    city: np.ndarray,
    productivity: np.ndarray,
    efficiency_labour: np.ndarray,
    labour_elasticity: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Share each city's labour among its firms as profit-maximising firms with a common wage do.

    With output ``y = A phi e^theta``, firm ``f`` employs the share
    ``phi_f^(1/(1-theta)) / sum_g phi_g^(1/(1-theta))`` of its city's efficiency labour ``E``;
    city output is then ``A Phi E^theta`` with ``Phi = (sum_g phi_g^(1/(1-theta)))^(1-theta)``.

    Args:
        city: City index of each (alive) firm.
        productivity: Productivity of each firm.
        efficiency_labour: ``(n,)`` efficiency units of labour of each city.
        labour_elasticity: theta.

    Returns:
        ``(labour share of each firm in its city, Phi of each city)``.

    References:
        Lucas (1978), Bell Journal of Economics 9(2): span-of-control model of firm size.
    """
    n = len(efficiency_labour)
    weight = productivity ** (1.0 / (1.0 - labour_elasticity))
    total = np.bincount(city, weights=weight, minlength=n)
    share = weight / np.where(total > 0, total, 1.0)[city]
    return share, total ** (1.0 - labour_elasticity)


def exit_probability(
    city: np.ndarray, productivity: np.ndarray, n_cities: int, exit_rate: float
) -> np.ndarray:
    """Yearly exit probability: ``exit_rate`` at the city's mean log productivity, higher below.

    ``p = exit_rate * exp(-(log phi - mean_city log phi) / 2)``, capped at 1.
    """
    log_phi = np.log(productivity)
    count = np.bincount(city, minlength=n_cities)
    mean = np.bincount(city, weights=log_phi, minlength=n_cities) / np.maximum(count, 1)
    return np.minimum(exit_rate * np.exp(-0.5 * (log_phi - mean[city])), 1.0)


def keep_one_per_city(
    city: np.ndarray, leaving: np.ndarray, productivity: np.ndarray, n_cities: int
) -> np.ndarray:
    """Cancel departures (exit or relocation) that would leave a city with no firm.

    In a city all of whose firms would leave, the most productive one stays.

    Args:
        city: City of each firm.
        leaving: Whether each firm leaves its city.
        productivity: Productivity of each firm.
        n_cities: Number of cities.

    Returns:
        The departures that remain.
    """
    staying = np.bincount(city[~leaving], minlength=n_cities)
    present = np.bincount(city, minlength=n_cities)
    leaving = leaving.copy()
    for empty in np.flatnonzero((staying == 0) & (present > 0)):
        members = np.flatnonzero(city == empty)
        leaving[members[np.argmax(productivity[members])]] = False
    return leaving


def grant_vouchers(
    lottery: np.ndarray,
    applicant_city: np.ndarray,
    requested: np.ndarray,
    budget: np.ndarray,
) -> np.ndarray:
    """Grant vouchers by lottery until each issuing city's budget is used.

    Applicants are put in random order within their city; a voucher is granted while the
    running total of granted value stays within the city's budget.

    Args:
        lottery: A uniform random number per application (its place in the queue).
        applicant_city: Issuing city of each application.
        requested: Voucher value asked for (RMB).
        budget: ``(n,)`` budget of each city this year (RMB).

    Returns:
        Boolean mask of granted applications.

    References:
        Cornet, Vroomen & van der Steeg (2006), CPB DP 58: vouchers allocated by lottery.
    """
    if len(applicant_city) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((lottery, applicant_city))
    city_sorted = applicant_city[order]
    running = np.cumsum(requested[order])
    first = np.searchsorted(city_sorted, city_sorted, side="left")
    before = np.where(first > 0, running[first - 1], 0.0)
    within_city = running - before
    granted = np.empty(len(order), dtype=bool)
    granted[order] = within_city <= budget[city_sorted]
    return granted


def provider_probabilities(
    log_capacity: np.ndarray,
    travel_minutes: np.ndarray,
    cost_per_hour: float,
    allowed: np.ndarray,
) -> np.ndarray:
    """Logit choice of an R&D-service provider city by a firm of each city.

    ``P[c, j]`` is proportional to ``exp(log R_j - cost_per_hour * T[c, j] / 60)`` over the
    cities ``j`` allowed for a firm of city ``c``.

    Args:
        log_capacity: ``(n,)`` log R&D-service capacity of each city.
        travel_minutes: ``(n, n)`` travel times.
        cost_per_hour: Disutility per hour of travel time.
        allowed: ``(n, n)`` boolean: may a firm of ``c`` buy from ``j``.

    Returns:
        ``(n, n)`` probabilities, rows summing to one.
    """
    utility = log_capacity[None, :] - cost_per_hour * travel_minutes / 60.0
    utility = np.where(allowed & np.isfinite(log_capacity)[None, :], utility, -np.inf)
    utility -= utility.max(axis=1, keepdims=True)
    weight = np.exp(utility)
    return weight / weight.sum(axis=1, keepdims=True)


def congested_provider_choice(
    log_capacity: np.ndarray,
    travel_minutes: np.ndarray,
    cost_per_hour: float,
    groups: list[tuple[np.ndarray, np.ndarray]],
    capacity: np.ndarray,
    rounds: int = 60,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Provider choice when providers can serve only ``capacity`` projects a year.

    Buyers expect a provider city ``j`` to serve a project with probability ``s_j`` and add
    ``ln s_j`` to its logit utility (:func:`provider_probabilities`). ``s_j = min(1, K_j / D_j)``
    with ``D_j`` the projects all buyers bring to ``j`` given ``s``: a fixed point found by
    damped iteration in logs. Where buyers can go elsewhere, congestion diverts them; where
    they cannot (vouchers redeemable in the own city only), the provider rations.

    Args:
        log_capacity: ``(n,)`` log R&D-service capacity index of each city (attractiveness).
        travel_minutes: ``(n, n)`` travel times.
        cost_per_hour: Disutility per hour of travel time.
        groups: ``(allowed, projects)`` per kind of buyer: the ``(n, n)`` cities a buyer of
            each city may buy from, and the ``(n,)`` projects buyers of each city bring.
        capacity: ``(n,)`` projects each provider city can serve in the year.
        rounds: Iterations of the fixed point.

    Returns:
        The ``(n, n)`` choice probabilities of each group, and the expected served share ``s``.
    """
    log_served = np.zeros(len(capacity))
    log_cap = np.log(np.maximum(capacity, 1e-12))
    # The groups' probabilities are computed together, as :func:`provider_probabilities`
    # computes each (the same operations on the same numbers, so the same bits), with the
    # travel term, which does not change between rounds, computed once.
    travel_cost = cost_per_hour * travel_minutes / 60.0
    allowed = np.stack([a for a, _ in groups])
    projects = [p for _, p in groups]
    for _ in range(rounds):
        probabilities = _stacked_provider_probabilities(
            log_capacity + log_served, travel_cost, allowed
        )
        demand = sum(p @ q for p, q in zip(projects, probabilities, strict=True))
        with np.errstate(divide="ignore"):
            target = np.minimum(0.0, log_cap - np.log(demand))
        log_served = 0.5 * log_served + 0.5 * target
    probabilities = _stacked_provider_probabilities(
        log_capacity + log_served, travel_cost, allowed
    )
    return list(probabilities), np.exp(log_served)


def _stacked_provider_probabilities(
    log_capacity: np.ndarray, travel_cost: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """:func:`provider_probabilities` of each ``allowed[g]``, bit for bit, in one pass.

    Args:
        log_capacity: ``(n,)`` log capacity (attractiveness) of each provider city.
        travel_cost: ``(n, n)`` ``cost_per_hour * travel_minutes / 60``.
        allowed: ``(g, n, n)`` boolean: may a buyer of group ``g`` and city ``c`` buy from ``j``.

    Returns:
        ``(g, n, n)`` probabilities; each ``[g]`` is a C-contiguous ``(n, n)`` block.
    """
    utility = log_capacity[None, :] - travel_cost
    utility = np.where(allowed & np.isfinite(log_capacity)[None, :], utility, -np.inf)
    utility -= utility.max(axis=2, keepdims=True)
    np.exp(utility, out=utility)
    utility /= utility.sum(axis=2, keepdims=True)
    return utility


#: Distance of ``uniform`` from a Poisson CDF value within which :func:`poisson_inverse`
#: leaves the draw to ``scipy.stats.poisson.ppf`` itself.
POISSON_TIE_TOLERANCE = 1e-7


def poisson_inverse(uniform: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson draws with the given means by inverse transform of ``uniform``.

    The draw is the smallest ``k`` with ``P(X <= k) >= uniform``, the value of
    ``scipy.stats.poisson.ppf``. ``ppf`` inverts the CDF with an iterative root search
    (``special.pdtrik``, about 1.4 µs a draw); here ``k`` is found from a normal
    approximation and corrected by evaluating the CDF itself (``special.pdtr``, 20 times
    cheaper; the CDF at ``k - 1`` as the CDF at ``k`` less the probability of ``k``), one
    step at a time. Where ``uniform`` lies within
    :data:`POISSON_TIE_TOLERANCE` of the CDF at ``k`` or ``k - 1`` (where the root search's own
    tolerance could round either way), and for means that are not positive and finite, the
    draw is ``ppf``'s own, so the draws are ``ppf``'s exactly (checked against it on 12
    million draws in ``tests/agents/test_firm_poisson.py``'s property test).
    """
    q, mu = np.broadcast_arrays(np.asarray(uniform, dtype=float), np.asarray(mean, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = special.ndtri(q)
        # Cornish-Fisher start, usually the answer or one off it.
        k = np.ceil(mu + np.sqrt(mu) * z + (z * z - 1.0) / 6.0 - 0.5)
    k = np.where(np.isfinite(k), np.maximum(k, 0.0), 0.0)
    at = special.pdtr(k, mu)
    # P(X <= k - 1) = P(X <= k) - P(X = k): within a few 1e-15 of pdtr(k - 1, mu) and three
    # times cheaper; far below the tie tolerance, so no decision outside a tie changes.
    with np.errstate(invalid="ignore", over="ignore"):
        mass = np.exp(special.xlogy(k, mu) - mu - special.gammaln(k + 1.0))
    below = np.where(k > 0, at - mass, -1.0)
    todo = np.flatnonzero((at < q) | (below >= q))
    for _ in range(10_000):
        if not todo.size:
            break
        k[todo] += np.where(at[todo] < q[todo], 1.0, -1.0)
        at[todo] = special.pdtr(k[todo], mu[todo])
        below[todo] = np.where(k[todo] > 0, special.pdtr(k[todo] - 1.0, mu[todo]), -1.0)
        todo = todo[(at[todo] < q[todo]) | (below[todo] >= q[todo])]
    tie = (
        (np.abs(at - q) < POISSON_TIE_TOLERANCE)
        | (np.abs(below - q) < POISSON_TIE_TOLERANCE)
        | ~(mu > 0)
        | ~np.isfinite(mu)
        | ~(q > 0)
    )
    if tie.any():
        k[tie] = stats.poisson.ppf(q[tie], mu[tie])
    return np.maximum(k, 0).astype(np.int64)


def within_group_quantile(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Rank of each value within its group as a fraction in [0, 1) (ties broken by position)."""
    # np.lexsort((values, groups)) as two stable sorts (by value, then by group), the second a
    # radix sort of small integers: the same order, ties by position.
    if n_groups <= np.iinfo(np.int16).max:
        by_value = np.argsort(values, kind="stable")
        order = by_value[np.argsort(groups[by_value].astype(np.int16), kind="stable")]
    else:
        order = np.lexsort((values, groups))
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(values))
    rank[order] = np.arange(len(values)) - starts[groups[order]]
    return rank / np.maximum(counts[groups], 1)


def draw_firms(
    rng: np.random.Generator, city: np.ndarray, log_mean: np.ndarray, params: FirmParams
) -> FirmArrays:
    """New firms in ``city`` with log productivity around ``log_mean`` (per firm).

    R&D intensity is drawn around the mean (lognormal, dispersion 0.5, capped at 0.5).
    """
    productivity = np.exp(
        log_mean + params.productivity_dispersion * rng.standard_normal(len(city))
    )
    sigma = 0.5
    rd = params.rd_intensity_mean * np.exp(sigma * rng.standard_normal(len(city)) - sigma**2 / 2)
    return FirmArrays.create(city, productivity, np.minimum(rd, 0.5))


@dataclass
class InnovationYear:
    """What the firms' R&D and voucher use came to in one year.

    Attributes:
        voucher_count: ``(n, n)`` voucher projects by issuing city and provider city.
        voucher_value: ``(n, n)`` voucher value redeemed (RMB) by issuing and provider city.
        voucher_projects: Projects paid with a voucher (and served).
        voucher_additional: Of those, projects the firm would not have bought without one.
        inhouse_spend: In-house R&D spending (RMB).
        services_spend: Spending on R&D-service projects served (RMB), vouchers included.
        services_projects: R&D-service projects served.
        services_demand: R&D-service projects demanded (served or rationed away).
        innovations_from_services: Innovations attributed to the projects served (each
            firm's innovations times the projects' share of its innovation rate).
    """

    voucher_count: np.ndarray
    voucher_value: np.ndarray
    voucher_projects: int
    voucher_additional: int
    inhouse_spend: float = 0.0
    services_spend: float = 0.0
    services_projects: int = 0
    services_demand: float = 0.0
    innovations_from_services: float = 0.0


def innovate(
    firms: FirmArrays,
    cities: CityState,
    *,
    year: int,
    stream: Streams,
    lever: VoucherLever,
    params: InnovationParams,
    rd_intensity_mean: float,
    firms_per_agent: int,
    voucher_budget_per_year: np.ndarray,
    voucher_allowed: np.ndarray,
    travel_minutes: np.ndarray,
    knowledge_access_ref: float,
    rd_capacity_ref: float,
) -> InnovationYear:
    """R&D, voucher lottery, R&D-service purchases and innovation of every active firm.

    Updates the firms' productivity, innovations, voucher use and R&D spending, and the cities'
    voucher budget, voucher spending and innovations, in place.

    Args:
        firms: The firm arrays.
        cities: The city state (R&D capacity and knowledge access are read).
        year: The current year (vouchers are issued from ``lever.start_year``).
        stream: The random stream of a process this year (``opportunities``,
            ``project_values``, ``vouchers``, ``providers``, ``innovation``).
        lever: The voucher lever.
        params: The innovation parameters.
        rd_intensity_mean: Mean in-house R&D intensity (the reference of the R&D response).
        firms_per_agent: Real firms per firm agent.
        voucher_budget_per_year: ``(n,)`` each city's yearly voucher budget (RMB).
        voucher_allowed: ``(n, n)`` where a city's vouchers may be redeemed.
        travel_minutes: ``(n, n)`` travel times.
        knowledge_access_ref: Start-year regional mean of knowledge access.
        rd_capacity_ref: Start-year regional mean of R&D-service capacity.
    """
    rows = len(firms.city)
    ip = params
    f = firms
    c = cities
    n_cities = len(c.population)
    per_agent = firms_per_agent
    alive = np.flatnonzero(f.alive)
    city = f.city[alive]
    output = f.output[alive]
    rd_intensity = f.rd_intensity[alive]
    n_firms = len(alive)

    opportunities = stream("opportunities").binomial(per_agent, ip.project_opportunity_rate, rows)[
        alive
    ]
    log_value = stream("project_values").normal(
        ip.project_value_log_mean, ip.project_value_log_sd, rows
    )
    value_ratio = np.exp(log_value[alive])

    # Voucher lottery and redemption.
    active = year >= lever.start_year
    c.voucher_budget = voucher_budget_per_year * active
    per_project = min(lever.cap_per_firm_rmb, lever.subsidy_rate * ip.project_cost_rmb)
    voucher_share = per_project / ip.project_cost_rmb  # share of the cost the voucher pays
    requested = opportunities * per_project
    if lever.eligible_firms == "small":
        quantile = within_group_quantile(f.employment[alive], city, n_cities)
        eligible = quantile < lever.small_firm_quantile
    else:
        eligible = np.ones(n_firms, dtype=bool)
    applies = (
        eligible
        & (opportunities > 0)
        & (value_ratio >= 1 - voucher_share)
        & (c.voucher_budget[city] > 0)
    )
    lottery, redemption = stream("vouchers").random((rows, 2))[alive].T
    granted = np.zeros(n_firms, dtype=bool)
    granted[applies] = grant_vouchers(
        lottery[applies], city[applies], requested[applies], c.voucher_budget
    )
    redeemed = granted & (redemption < ip.voucher_redemption_rate)
    buys = redeemed | ((opportunities > 0) & (value_ratio >= 1.0))

    # Providers of R&D services, with limited capacity: buyers avoid congested providers,
    # and a provider with more demand than capacity serves each project with the same chance.
    log_capacity = np.log(c.rd_capacity)
    cost = ip.provider_distance_cost_per_hour
    capacity = ip.provider_projects_per_capacity * c.rd_capacity
    everywhere = np.ones((n_cities, n_cities), dtype=bool)
    kinds = (redeemed, buys & ~redeemed)
    groups = [
        (allowed, np.bincount(city[mask], weights=opportunities[mask], minlength=n_cities))
        for mask, allowed in zip(kinds, (voucher_allowed, everywhere), strict=True)
    ]
    choice, _ = congested_provider_choice(log_capacity, travel_minutes, cost, groups, capacity)
    provider = np.full(n_firms, -1)
    provider_uniform, service_uniform = stream("providers").random((rows, 2))[alive].T
    for mask, probabilities in zip(kinds, choice, strict=True):
        who = np.flatnonzero(mask)
        provider[who] = draw_categories(
            provider_uniform[who], np.cumsum(probabilities, axis=1), city[who]
        )
    demand = np.bincount(provider[buys], weights=opportunities[buys], minlength=n_cities)
    with np.errstate(divide="ignore", invalid="ignore"):
        served_share = np.where(demand > capacity, capacity / demand, 1.0)
    served = np.where(
        buys,
        np.floor(opportunities * served_share[np.maximum(provider, 0)] + service_uniform),
        0.0,
    ).astype(np.int64)
    served = np.minimum(served, opportunities)

    # Innovation: invention patents granted, Poisson with the firm's rate, in-house R&D and
    # the projects served adding up.
    quality = (c.rd_capacity / rd_capacity_ref) ** ip.provider_quality_elasticity
    knowledge = c.knowledge_access / knowledge_access_ref
    project_quality = np.where(served > 0, quality[np.maximum(provider, 0)], 0.0)
    in_house = (
        ip.base_innovation_rate
        * (rd_intensity / rd_intensity_mean) ** ip.rd_elasticity
        * knowledge[city] ** ip.knowledge_access_elasticity
    )
    from_services = ip.project_innovation_rate * served / per_agent * project_quality
    rate = in_house + from_services
    uniform = stream("innovation").random(rows)[alive]
    innovations = poisson_inverse(uniform, per_agent * rate)
    f.productivity[alive] *= 1.0 + ip.innovation_productivity_step * innovations / per_agent
    f.innovations[alive] = innovations
    f.innovations_total[alive] += innovations
    voucher_value = np.where(redeemed, served * per_project, 0.0)
    f.voucher_rmb[alive] = voucher_value
    f.voucher_rmb_total[alive] += voucher_value
    inhouse_spend = rd_intensity * output
    services_spend = served * ip.project_cost_rmb
    f.rd_spend[alive] = inhouse_spend + services_spend

    n = n_cities
    c.innovations = np.bincount(city, weights=innovations, minlength=n)
    c.voucher_spend = np.bincount(city, weights=voucher_value, minlength=n)
    paid = redeemed & (served > 0)
    pair = city[paid] * n + provider[paid]
    with np.errstate(divide="ignore", invalid="ignore"):
        service_share = np.where(rate > 0, from_services / rate, 0.0)
    return InnovationYear(
        voucher_count=np.bincount(pair, weights=served[paid], minlength=n * n).reshape(n, n),
        voucher_value=np.bincount(pair, weights=voucher_value[paid], minlength=n * n).reshape(n, n),
        voucher_projects=int(served[paid].sum()),
        voucher_additional=int(served[paid & (value_ratio < 1)].sum()),
        inhouse_spend=float(inhouse_spend.sum()),
        services_spend=float(services_spend.sum()),
        services_projects=int(served.sum()),
        services_demand=float(demand.sum()),
        innovations_from_services=float((innovations * service_share).sum()),
    )


@dataclass(frozen=True)
class Profits:
    """Profit per firm agent by city at the start of the firms' turnover (before exits).

    Attributes:
        count: ``(n,)`` active firm agents by city.
        per_firm: ``(n,)`` profit per firm agent (the non-labour share of city GDP).
        regional: Profit per firm agent in the whole region.
    """

    count: np.ndarray
    per_firm: np.ndarray
    regional: float


def profits(firms: FirmArrays, gdp: np.ndarray, labour_elasticity: float) -> Profits:
    """Profit per firm agent by city and in the region, from this year's city GDP."""
    n = len(gdp)
    count = np.bincount(firms.city[firms.alive], minlength=n).astype(float)
    theta = labour_elasticity
    return Profits(
        count=count,
        per_firm=(1 - theta) * gdp / np.maximum(count, 1.0),
        regional=(1 - theta) * gdp.sum() / count.sum(),
    )


def exit_firms(
    firms: FirmArrays, rng: np.random.Generator, exit_rate: float, n_cities: int
) -> tuple[np.ndarray, np.ndarray]:
    """Less productive firms exit more often; a city keeps at least its most productive firm.

    Args:
        firms: The firm arrays (``alive`` updated in place).
        rng: The year's ``exit`` stream.
        exit_rate: Mean yearly exit probability.
        n_cities: Number of cities.

    Returns:
        ``(gone, survivors)``: rows of the firms that exited and of those that stay.
    """
    rows = len(firms.city)
    alive = np.flatnonzero(firms.alive)
    city = firms.city[alive]
    productivity = firms.productivity[alive]
    exit_uniform = rng.random(rows)[alive]
    exits = exit_uniform < exit_probability(city, productivity, n_cities, exit_rate)
    exits = keep_one_per_city(city, exits, productivity, n_cities)
    gone = alive[exits]
    firms.alive[gone] = False
    return gone, alive[~exits]


def relocate_firms(
    firms: FirmArrays,
    survivors: np.ndarray,
    rng: np.random.Generator,
    profit_per_firm: np.ndarray,
    travel_minutes: np.ndarray,
    params: FirmParams,
) -> int:
    """A share of the surviving firms moves toward higher profit per firm, net of moving cost.

    The cost rises with travel time; a city keeps at least its most productive firm.

    Args:
        firms: The firm arrays (``city`` updated in place).
        survivors: Rows of the firms that did not exit this year.
        rng: The year's ``relocation`` stream.
        profit_per_firm: ``(n,)`` profit per firm agent by city (before exits).
        travel_minutes: ``(n, n)`` travel times.
        params: The firm parameters.

    Returns:
        The number of firm agents that moved.
    """
    f = firms
    fp = params
    n = len(profit_per_firm)
    consider_uniform, destination_uniform = rng.random((len(f.city), 2)).T
    considering = consider_uniform[survivors] < fp.relocation_share
    movers = survivors[considering]
    if not len(movers):
        return 0
    cost = fp.relocation_cost_fixed + fp.relocation_cost_per_hour * travel_minutes / 60
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
    return int((destination != origin).sum())


def enter_firms(
    firms: FirmArrays,
    survivors: np.ndarray,
    rng: np.random.Generator,
    profit: Profits,
    params: FirmParams,
) -> tuple[np.ndarray, int]:
    """Entry, more where profit per firm is above the regional level.

    Entrants draw their productivity around the mean log productivity of their city's
    surviving firms.

    Args:
        firms: The firm arrays (extended in place).
        survivors: Rows of the firms that did not exit this year.
        rng: The year's ``entry`` stream.
        profit: Profits by city before exits (:func:`profits`).
        params: The firm parameters.

    Returns:
        ``(rows, entrants)``: the rows of the new firm agents and how many entered.
    """
    f = firms
    fp = params
    n = len(profit.count)
    relative = profit.per_firm / profit.regional
    entrants = rng.poisson(fp.entry_rate * profit.count * relative**fp.entry_profit_elasticity)
    indices = np.zeros(0, dtype=np.int64)
    if entrants.sum():
        new_city = np.repeat(np.arange(n), entrants)
        log_phi = np.log(f.productivity[survivors])
        total = np.bincount(f.city[survivors], weights=log_phi, minlength=n)
        mean_log = total / np.maximum(np.bincount(f.city[survivors], minlength=n), 1)
        new = draw_firms(rng, new_city, mean_log[new_city], fp)
        indices = f.extend(new)
    return indices, int(entrants.sum())
