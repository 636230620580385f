"""Travel times from the data's links and the scenario's projects."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

import sim
from sim.core.network import TransportNetwork, project_savings, project_stops, rail_times


@pytest.fixture(scope="module")
def networks(region):
    out = {}
    for name in ("baseline", "transport"):
        config = sim.load_config([f"scenario={name}"])
        out[name] = TransportNetwork(region, config.scenario.transport, config.params.transport)
    return out


def minutes(region, times, a, b):
    return times[region.city_index[a], region.city_index[b]]


def test_timetable_times_of_the_data_are_in_vehicle_plus_access(region):
    config = sim.load_config(["params.transport.rail_times_until=null"])
    network = TransportNetwork(region, config.scenario.transport, config.params.transport)
    times = network.travel_times(2020)
    # Shanghai-Nanjing intercity HSR: 73 min non-stop + 30 min to and from stations
    assert minutes(region, times, "shanghai", "nanjing") == pytest.approx(103.0)
    assert 60 < minutes(region, times, "shanghai", "hangzhou") < 100


def test_rail_times_of_the_data_plus_access_up_to_2020(region, networks):
    years, data = rail_times(region)
    assert (years[0], years[-1]) == (1994, 2020)
    network = networks["baseline"]
    i, j = region.city_index["shanghai"], region.city_index["nanjing"]
    for year in (2005, 2012, 2020):
        rail = data[year - 1994, i, j] + 30.0
        assert network.travel_times(year)[i, j] == pytest.approx(min(rail, network.road[i, j]))
    # every pair is at most the data's rail time plus access, in every data year
    for year in (1994, 2010, 2020):
        assert (network.travel_times(year) <= data[year - 1994] + 30.0 + 1e-9).all()
    # years before the data use 1994, years after use 2020 plus the links opened later
    np.testing.assert_array_equal(network.travel_times(1990), network.travel_times(1994))
    assert network.rail_epoch(2035) == network.rail_epoch(2020)


def test_travel_times_change_only_with_the_rail_data_or_the_open_links(region, networks):
    network = networks["baseline"]
    for year in range(1995, 2036):
        same = network.open_lines(year) == network.open_lines(year - 1)
        if same:
            np.testing.assert_array_equal(
                network.travel_times(year), network.travel_times(year - 1)
            )


def test_old_hand_timed_network_ranks_pairs_like_the_rail_data(region):
    """The hand-timed network (rail_times_until=null) against the rail data of 2010 and 2020:
    Spearman rank correlation 0.77 and 0.74 (docs/ODD.md 7.1); the combined network 0.84/0.89."""
    _years, data = rail_times(region)
    upper = np.triu_indices(region.n_cities, 1)
    for until, low in ((None, 0.7), (2020, 0.8)):
        config = sim.load_config([f"params.transport.rail_times_until={until or 'null'}"])
        network = TransportNetwork(region, config.scenario.transport, config.params.transport)
        for year in (2010, 2020):
            rho = spearmanr(network.travel_times(year)[upper], data[year - 1994][upper]).statistic
            assert low < rho < 0.95, (until, year, rho)


#: Action Plan projects that shorten no trip between city centres once the projects listed
#: before them are open: the Shanghai-Zhoushan railway is the rail part of the
#: Shanghai-Zhoushan-Ningbo corridor that opens in the same year (docs/ODD.md 8.1).
SHORTENS_NOTHING = {"plan_huzhou_rail"}


def test_each_action_plan_project_shortens_the_trips_it_is_built_for(region):
    config = sim.load_config(["scenario=transport"])
    lever = config.scenario.transport
    savings = project_savings(region, lever, config.params.transport, 2040)
    for project in lever.projects:
        pairs = savings[project.link_id]
        if project.link_id in SHORTENS_NOTHING:
            assert not pairs, project.link_id
            continue
        stops = set(project_stops(region, project))
        served = [pair for pair in pairs if set(pair) & stops]
        assert served, f"{project.link_id} shortens no trip to or from its stops"


def test_travel_times_are_symmetric_and_finite(region, networks):
    times = networks["baseline"].travel_times(2020)
    assert np.allclose(times, times.T)
    assert np.isfinite(times).all()
    assert (np.diag(times) == 0).all()


def test_links_open_in_their_year_only(region, networks):
    network = networks["baseline"]
    before, after = network.travel_times(2023), network.travel_times(2024)
    # Shanghai-Suzhou-Huzhou HSR opened in 2024
    assert (
        minutes(region, after, "shanghai", "huzhou")
        < minutes(region, before, "shanghai", "huzhou") - 15
    )
    assert network.open_lines(2023) < network.open_lines(2024)


def test_no_road_across_the_sea_between_shanghai_and_zhoushan(region, networks):
    network = networks["baseline"]
    i, j = region.city_index["shanghai"], region.city_index["zhoushan"]
    assert np.isinf(network.road[i, j])
    assert "road_donghai_bridge" not in network.open_lines(2035)


def test_planned_crossings_shorten_shanghai_ningbo_and_shanghai_zhoushan(region, networks):
    base = networks["baseline"].travel_times(2035)
    plan = networks["transport"].travel_times(2035)
    # the rail data's 2020 Shanghai-Ningbo time (72 + 30 min) is already short
    assert (
        minutes(region, plan, "shanghai", "ningbo")
        < minutes(region, base, "shanghai", "ningbo") - 10
    )
    assert (
        minutes(region, plan, "shanghai", "zhoushan")
        < minutes(region, base, "shanghai", "zhoushan") - 60
    )
    assert np.all(plan <= base + 1e-9)
