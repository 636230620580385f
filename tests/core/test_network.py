"""Travel times from the data's links and the scenario's projects."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.core.network import TransportNetwork


@pytest.fixture(scope="module")
def networks(region):
    out = {}
    for name in ("baseline", "transport"):
        config = sim.load_config([f"scenario={name}"])
        out[name] = TransportNetwork(region, config.scenario.transport, config.params.transport)
    return out


def minutes(region, times, a, b):
    return times[region.city_index[a], region.city_index[b]]


def test_timetable_times_of_the_data_are_in_vehicle_plus_access(region, networks):
    times = networks["baseline"].travel_times(2020)
    # Shanghai-Nanjing intercity HSR: 73 min non-stop + 30 min to and from stations
    assert minutes(region, times, "shanghai", "nanjing") == pytest.approx(103.0)
    assert 60 < minutes(region, times, "shanghai", "hangzhou") < 100


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
    assert (
        minutes(region, plan, "shanghai", "ningbo")
        < minutes(region, base, "shanghai", "ningbo") - 40
    )
    assert (
        minutes(region, plan, "shanghai", "zhoushan")
        < minutes(region, base, "shanghai", "zhoushan") - 60
    )
    assert np.all(plan <= base + 1e-9)
