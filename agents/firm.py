"""Firm agents: produce, do R&D, buy R&D services (with vouchers), innovate, enter, exit, move.

One :class:`FirmAgent` stands for ``firms_per_agent`` real innovative firms of one city acting
alike. Firm state lives in :class:`FirmArrays`; the agent objects index into them and the
model takes the firms' yearly decisions in bulk with the functions below.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from agents.base import IndexedAgent, StateField


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
