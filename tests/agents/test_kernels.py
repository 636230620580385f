"""The bulk decision rules and indicators against known answers."""

from __future__ import annotations

import numpy as np
import pytest

from agents.firm import (
    allocate_labour,
    grant_vouchers,
    provider_probabilities,
    within_group_quantile,
)
from agents.sampling import binomial_inverse, draw_categories
from agents.talent import (
    TalentArrays,
    choice_probabilities,
    choose_locations,
    expected_population,
    group_counts,
    location_utilities,
    moving_costs,
)
from sim.core import indicators


def test_location_utilities_charge_the_barrier_on_entry_and_services_each_year():
    n = 3  # three cities and the rest of China (location 3)
    value = np.array([[0.0, 1.0, 2.0, 0.2], [0.5, 1.5, 2.5, 0.7]])
    services = np.array([0.3, 0.6, 0.9])
    barrier = np.array([1.0, 2.0, 3.0])
    moving = np.full((n + 1, n + 1), 2.0)
    np.fill_diagonal(moving, 0.0)
    u = location_utilities(value, services, barrier, moving, home_bias=1.0, flexible_talent=False)
    assert u.shape == (n + 1, n + 1, 2, n + 1)
    # in city 0, hukou of city 1, low skill: staying pays the services loss but no barrier
    assert u[0, 1, 0, 0] == pytest.approx(0.0 - 0.3)
    # going home: home bias, no penalty
    assert u[0, 1, 0, 1] == pytest.approx(1.0 + 1.0 - 2.0)
    # entering a third city: its services loss and its barrier
    assert u[0, 1, 0, 2] == pytest.approx(2.0 - 0.9 - 3.0 - 2.0)
    # leaving for the rest of China: no penalty there
    assert u[0, 1, 0, n] == pytest.approx(0.2 - 2.0)
    # a mover from the rest of China (its hukou) pays the barrier of the city it enters
    assert u[n, n, 1, 2] == pytest.approx(2.5 - 0.9 - 3.0 - 2.0)
    assert u[n, n, 1, n] == pytest.approx(0.7 + 1.0)
    flexible = location_utilities(
        value, services, barrier, moving, home_bias=1.0, flexible_talent=True
    )
    assert flexible[0, 1, 1, 2] == pytest.approx(2.5 - 2.0)  # high skill, YRD hukou: exempt
    assert flexible[0, 1, 0, 2] == pytest.approx(u[0, 1, 0, 2])  # low skill: not exempt
    assert flexible[0, n, 1, 2] == pytest.approx(u[0, n, 1, 2])  # hukou outside: not exempt


def test_moving_costs_rise_with_distance_and_at_a_provincial_border():
    distance = np.array([[0.0, 100.0, 100.0], [100.0, 0.0, 300.0], [100.0, 300.0, 0.0]])
    same = np.array([[True, True, False], [True, True, False], [False, False, True]])
    cost = moving_costs(distance, same, fixed=2.0, per_log_distance=1.0, border=0.5)
    assert np.allclose(np.diag(cost), 0.0)
    assert cost[0, 1] == pytest.approx(2.0 + np.log(2.0))
    assert cost[0, 2] == pytest.approx(cost[0, 1] + 0.5)  # same distance, across a border
    assert cost[1, 2] > cost[0, 2]


def test_choice_probabilities_are_a_softmax():
    p = choice_probabilities(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    assert np.allclose(p, [[0.25, 0.75], [0.5, 0.5]])


def test_draws_follow_the_probabilities():
    rng = np.random.default_rng(0)
    probabilities = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    rows = np.zeros(200_000, dtype=np.int64)
    cumulative = np.cumsum(probabilities, axis=1)
    draws = draw_categories(rng.random(len(rows)), cumulative, rows)
    assert np.allclose(np.bincount(draws, minlength=3) / len(rows), [0.2, 0.5, 0.3], atol=0.005)
    assert (draw_categories(rng.random(100), cumulative, np.ones(100, int)) == 0).all()
    # the same uniform number gives the same category: draws depend on one's own number only
    assert draw_categories(np.array([0.1, 0.6, 0.95]), cumulative, np.zeros(3, int)).tolist() == [
        0,
        1,
        2,
    ]


def test_draws_refuse_a_table_that_is_not_a_distribution():
    bad = np.array([[np.nan, np.nan], [0.5, 1.0]])
    with pytest.raises(ValueError, match="not a finite distribution"):
        draw_categories(np.array([0.5]), bad, np.array([0]))
    assert draw_categories(np.array([0.7]), bad, np.array([1])).tolist() == [1]


def test_binomial_by_inverse_transform():
    rng = np.random.default_rng(5)
    draws = binomial_inverse(rng.random(100_000), 10, np.full(100_000, 0.3))
    assert draws.mean() == pytest.approx(3.0, abs=0.02)
    assert draws.var() == pytest.approx(2.1, abs=0.05)
    assert binomial_inverse(np.array([0.0, 0.999999]), 5, np.array([0.5, 0.5])).tolist() == [0, 5]


def test_simulated_moves_match_the_expected_populations():
    rng = np.random.default_rng(1)
    n, agents = 4, 400_000
    talent = TalentArrays(
        city=rng.integers(0, n, agents).astype(np.int16),
        hukou=rng.integers(0, n + 1, agents).astype(np.int16),
        high_skill=rng.random(agents) < 0.3,
        years_in_city=np.zeros(agents, dtype=np.int16),
        alive=np.ones(agents, dtype=bool),
    )
    utilities = rng.normal(size=(n + 1, n + 1, 2, n + 1))
    probabilities = choice_probabilities(utilities)
    expected = expected_population(group_counts(talent, n), probabilities, 0.25)
    _, destination = choose_locations(rng, talent, probabilities, 0.25)
    realised = np.bincount(talent.city[talent.alive], minlength=n)
    left = (destination == n).sum()
    assert left > 0 and (~talent.alive).sum() == left  # those who chose the rest of China left
    assert realised.sum() + left == agents
    assert np.allclose(realised, expected, rtol=0.01)


def test_voucher_lottery_never_exceeds_any_budget():
    rng = np.random.default_rng(2)
    city = rng.integers(0, 5, 1000)
    requested = rng.uniform(1, 10, 1000)
    budget = np.array([0.0, 10.0, 100.0, 1000.0, 1e9])
    granted = grant_vouchers(rng.random(1000), city, requested, budget)
    spent = np.bincount(city[granted], weights=requested[granted], minlength=5)
    assert np.all(spent <= budget)
    assert not granted[city == 0].any()
    assert granted[city == 4].all()
    assert spent[2] > 90  # the budget is used, not left idle


def test_providers_only_where_allowed():
    travel = np.array([[0.0, 60.0], [60.0, 0.0]])
    allowed = np.eye(2, dtype=bool)
    p = provider_probabilities(np.log([1.0, 100.0]), travel, 1.0, allowed)
    assert np.allclose(p, np.eye(2))
    free = provider_probabilities(np.log([1.0, 100.0]), travel, 1.0, np.ones((2, 2), bool))
    assert free[0, 1] == pytest.approx(100 * np.exp(-1) / (1 + 100 * np.exp(-1)))


def test_labour_shares_sum_to_one_per_city():
    city = np.array([0, 0, 1, 1, 1])
    productivity = np.array([1.0, 2.0, 1.0, 1.0, 1.0])
    share, phi = allocate_labour(city, productivity, np.array([10.0, 30.0]), 0.5)
    assert np.allclose(np.bincount(city, weights=share), 1.0)
    assert share[1] == pytest.approx(4 / 5)  # phi^(1/(1-theta)) = phi^2
    assert phi[1] == pytest.approx(np.sqrt(3.0))


def test_within_group_quantile():
    q = within_group_quantile(np.array([5.0, 1.0, 3.0, 2.0]), np.array([0, 0, 0, 1]), 2)
    assert np.allclose(q, [2 / 3, 0.0, 1 / 3, 0.0])


def test_theil_index_known_answers_and_decomposition():
    equal = indicators.theil_index(np.array([5.0, 5.0, 5.0]), np.array([1.0, 2.0, 3.0]))
    assert equal == pytest.approx(0.0)
    # two equal-sized groups, one with all the income: T = ln 2
    assert indicators.theil_index(np.array([2.0, 1e-300]), np.ones(2)) == pytest.approx(np.log(2))
    values = np.array([1.0, 2.0, 3.0, 8.0])
    weights = np.array([4.0, 3.0, 2.0, 1.0])
    groups = np.array(["a", "a", "b", "b"])
    between, within = indicators.theil_decomposition(values, weights, groups)
    assert between + within == pytest.approx(indicators.theil_index(values, weights))
    assert between > 0 and within > 0


def test_travel_time_indicators():
    travel = np.array([[0.0, 30.0, 90.0], [30.0, 0.0, 70.0], [90.0, 70.0, 0.0]])
    population = np.array([1.0, 1.0, 2.0])
    mean = indicators.mean_travel_time(travel, population)
    assert mean == pytest.approx((2 * 30 + 2 * 2 * 90 + 2 * 2 * 70) / (2 + 4 + 4))
    assert indicators.share_within(travel, population, np.zeros(3, int), 60) == 0.5
    assert indicators.central_area_ratio(
        np.array([4.0, 1.0, 1.0]), np.ones(3), np.array([True, False, False])
    ) == pytest.approx(2.0)


def test_departures_never_empty_a_city():
    from agents.firm import keep_one_per_city

    city = np.array([0, 0, 1, 1, 2])
    leaving = np.array([True, True, True, False, False])
    productivity = np.array([1.0, 3.0, 1.0, 1.0, 1.0])
    kept = keep_one_per_city(city, leaving, productivity, 3)
    assert kept.tolist() == [True, False, True, False, False]
