"""The model the explorer steps shows what ``yrdsim`` computes, year by year."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.explorer.levers import LeverSettings
from sim.explorer.model import MAP_INDICATORS, ExplorerModel, baseline_metrics

SCALE = 20000


@pytest.fixture(scope="module")
def settings():
    return LeverSettings.from_preset(
        "transport", seed=2, persons_per_agent=SCALE, end_year=2023
    ).with_project("plan_yongzhou_rail", 2022)


@pytest.fixture(scope="module")
def stepped(settings, region):
    model = ExplorerModel(settings, region)
    years = []
    while model.running:
        model.step()
        years.append(model.year)
    return model, years


def test_steps_reproduce_simulate_and_stop_at_the_end_year(settings, stepped, region):
    model, years = stepped
    assert years == [2021, 2022, 2023]
    expected = sim.simulate(settings.to_config(), data=region).metrics
    pd.testing.assert_frame_equal(model.metrics(), expected, check_dtype=False)
    assert model.progress == 1.0
    model.step()  # at the end: nothing happens
    assert model.year == 2023 and not model.running


def test_new_links_are_those_opened_in_the_year(stepped):
    model, _ = stepped
    assert "plan_yongzhou_rail" in model.opened[2022]
    states = {link.link_id: link.state for link in model.links()}
    assert states["plan_yongzhou_rail"] == "open"  # 2023: opened the year before
    assert states["plan_huzhou_rail"] == "planned"  # opens in 2034
    assert {k for k, s in states.items() if s == "new"} == set(model.opened.get(2023, []))


def test_link_is_new_in_its_opening_year(settings, region):
    model = ExplorerModel(settings, region)
    model.step()
    model.step()
    assert model.year == 2022
    states = {link.link_id: link.state for link in model.links()}
    assert states["plan_yongzhou_rail"] == "new"
    stops = next(link.stops for link in model.links() if link.link_id == "plan_yongzhou_rail")
    assert set(stops) == {"ningbo", "zhoushan"}


def test_map_indicators_follow_the_city_table(stepped):
    model, _ = stepped
    cities = model.recorder.tables()["cities"]
    now = cities[cities["year"] == 2023].set_index("city_id")
    start = cities[cities["year"] == 2020].set_index("city_id")
    change = model.city_values("population_change")
    assert change.loc["shanghai"] == pytest.approx(
        100 * (now.loc["shanghai", "population"] / start.loc["shanghai", "population"] - 1)
    )
    share = model.city_values("non_hukou_share")
    assert share.loc["hangzhou"] == pytest.approx(
        100 * now.loc["hangzhou", "non_hukou"] / now.loc["hangzhou", "population"]
    )
    for key in MAP_INDICATORS:
        assert len(model.city_values(key)) == 41
    with pytest.raises(ValueError, match="allowed: population_change"):
        model.city_values("happiness")


@pytest.mark.slow
def test_start_year_shows_no_change_and_no_flows(settings, region):
    model = ExplorerModel(settings, region)
    assert (model.city_values("population_change") == 0).all()
    assert model.top_flows().empty
    assert model.progress == 0.0


def test_top_flows_are_the_years_largest(stepped):
    model, _ = stepped
    flows = model.recorder.tables()["flows"]
    year = flows[flows["year"] == 2023].nlargest(5, "migrants")
    top = model.top_flows(5)
    assert top["migrants"].tolist() == year["migrants"].tolist()
    names = dict(zip(model.data.cities["id"], model.data.cities["name_en"], strict=True))
    assert top["origin"].tolist() == [names[c] for c in year["origin"]]


def test_baseline_is_the_baseline_preset_with_the_same_seed(region):
    metrics = baseline_metrics(2, SCALE, 2022)
    config = sim.load_config(["seed=2", f"persons_per_agent={SCALE}", "end_year=2022"])
    pd.testing.assert_frame_equal(metrics, sim.simulate(config, data=region).metrics)
