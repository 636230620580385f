"""The 2010 -> 2020 hindcast: configuration, dated inputs only, the report and its rivals."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.forecasts import METRICS
from sim.analysis.validation import (
    fit,
    lopo_trend_decay,
    mae_pct,
    naive_forecasts,
    r2_log_growth,
    validate,
    with_trend_decay,
    write_validation,
)
from sim.core.data import RegionData
from sim.core.network import TransportNetwork
from sim.figures.validation import plot_validation
from sim.hydra.compose import hindcast_config

FAST = ("persons_per_agent=20000",)

#: Inputs of the data dated after the hindcast's start (2010), by column of ``cities``.
POST_START_COLUMNS: tuple[str, ...] = ("pop_2020", "gdp_2020_cny", "age_0_14_2020", "age_65_2020")


def test_hindcast_is_one_config_with_2010_policies():
    config = hindcast_config()
    assert (config.start_year, config.end_year, config.census_year) == (2010, 2020, 2010)
    assert config.params.migration.amenities == "census_trend"
    assert config.scenario.name == "hindcast_2010"
    assert config.status_quo.residency == config.scenario.residency
    rules_2019 = sim.load_config([]).status_quo.residency
    for size_class, policy in config.scenario.residency.by_size_class.items():
        before = rules_2019.by_size_class[size_class]
        assert policy.settlement_barrier > before.settlement_barrier
        assert policy.hukou_conversion_rate < before.hukou_conversion_rate
        assert policy.public_service_access < before.public_service_access


def test_hindcast_network_opens_links_in_their_historical_years(region: RegionData):
    config = hindcast_config()
    network = TransportNetwork(region, config.scenario.transport, config.params.transport)
    links = region.links[region.links["status"] == "existing"]
    excluded = set(config.params.transport.excluded_links)
    opened_after = set(links.loc[links["year_open"] >= 2010, "link_id"]) - excluded
    at_start = network.open_lines(2010)
    # Nothing opened in 2010 or later is in the start network (the two 2010 HSR lines
    # opened months before the census and open in 2011 in the hindcast).
    assert not (opened_after & at_start)
    assert {"hsr_huning", "hsr_huhang"} <= network.open_lines(2011)
    in_decade = set(links.loc[links["year_open"].between(2010, 2020), "link_id"]) - excluded
    assert in_decade <= network.open_lines(2020)
    assert "hsr_xulian" not in network.open_lines(2020)  # opened 2021
    assert network.travel_times(2020)[0].sum() < network.travel_times(2010)[0].sum()


def _hindcast_tables(data: RegionData, *overrides: str) -> dict[str, pd.DataFrame]:
    config = hindcast_config([*FAST, "end_year=2013", *overrides])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return sim.simulate(config, data=data).tables()


def _assert_same_tables(reference: dict[str, pd.DataFrame], other: dict[str, pd.DataFrame]):
    assert reference.keys() == other.keys()
    for name, table in reference.items():
        pd.testing.assert_frame_equal(table, other[name], check_exact=False, rtol=1e-9)


@pytest.fixture(scope="module")
def reference_tables(region: RegionData) -> dict[str, pd.DataFrame]:
    return _hindcast_tables(region)


@pytest.mark.parametrize("column", POST_START_COLUMNS)
def test_hindcast_does_not_use_post_start_inputs(region: RegionData, column: str, reference_tables):
    """Change every city's value of a 2020 input by a different factor: nothing changes."""
    factor = np.random.default_rng(7).uniform(0.6, 1.6, region.n_cities)
    cities = region.cities.copy()
    changed = cities[column] * factor
    if column.startswith("age_"):
        changed = changed.clip(upper=45.0)  # still a share below one with the other ages
    if column == "pop_2020":
        changed = np.rint(changed).astype(np.int64)
    cities[column] = changed
    perturbed = _hindcast_tables(dataclasses.replace(region, cities=cities))
    _assert_same_tables(reference_tables, perturbed)


def test_hindcast_does_not_use_all_post_start_inputs_at_once(region: RegionData, reference_tables):
    """All 2020 inputs changed together, the 2020 national total too: nothing changes."""
    rng = np.random.default_rng(11)
    cities = region.cities.copy()
    for column in POST_START_COLUMNS:
        cities[column] = cities[column] * rng.uniform(0.7, 1.3, region.n_cities)
    cities["pop_2020"] = np.rint(cities["pop_2020"]).astype(np.int64)
    china = region.china.copy()
    if not china.empty:
        later = china["year"] > 2010
        china.loc[later, china.columns != "year"] *= 1.2
    perturbed = dataclasses.replace(region, cities=cities, china=china)
    _assert_same_tables(reference_tables, _hindcast_tables(perturbed))
    # Control: the same kind of change to the 2010 census does change the hindcast.
    cities = region.cities.copy()
    cities["pop_2010"] = np.rint(cities["pop_2010"] * rng.uniform(0.7, 1.3, region.n_cities))
    cities["pop_2010"] = cities["pop_2010"].astype(np.int64)
    changed = _hindcast_tables(dataclasses.replace(region, cities=cities))
    assert not reference_tables["cities"]["population"].equals(changed["cities"]["population"])


def test_hindcast_does_not_use_the_2020_working_age_share(region: RegionData, reference_tables):
    cities = region.cities.copy()
    cities["working_age_share_2020"] = cities[
        "working_age_share_2020"
    ] * np.random.default_rng(3).uniform(0.8, 1.1, region.n_cities)
    _assert_same_tables(
        reference_tables, _hindcast_tables(dataclasses.replace(region, cities=cities))
    )


def test_fit_statistics():
    start = np.array([100.0, 200.0, 300.0, 400.0])
    observed = np.array([110.0, 190.0, 330.0, 480.0])
    assert r2_log_growth(observed, start, observed) == pytest.approx(1.0)
    mean_growth = np.exp(np.log(observed / start).mean())
    assert r2_log_growth(start * mean_growth, start, observed) == pytest.approx(0.0, abs=1e-12)
    assert r2_log_growth(start, start, observed) < 0
    assert mae_pct(observed * 1.1, observed) == pytest.approx(10.0)
    assert fit(observed, start, observed)["mae_pct"] == 0.0


def test_no_change_mae_is_the_known_answer(region: RegionData):
    naive = naive_forecasts(region)
    np.testing.assert_array_equal(naive["no_change"], region.census_population(2010))
    observed = region.census_population(2020)
    assert round(mae_pct(naive["no_change"], observed), 2) == 8.66
    # Province average without the city's own values: perturbing a city's 2020 census does
    # not move its own forecast (it moves only the other cities' of the province).
    cities = region.cities.copy()
    cities.loc[cities.index[0], "pop_2020"] *= 2
    again = naive_forecasts(dataclasses.replace(region, cities=cities))
    assert again["province_average_2020"][0] == pytest.approx(naive["province_average_2020"][0])


@pytest.fixture(scope="module")
def validation(region: RegionData):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return validate(region, hindcast_config(FAST), seeds=(0, 1))


@pytest.mark.slow
def test_validation_report_has_every_metric_for_every_forecast(validation, region, tmp_path):
    path = write_validation(validation, tmp_path)
    plot_validation(validation.table, validation.report, tmp_path)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text  # strict JSON
    report = json.loads(text)
    expected = {
        "no_change",
        "uniform_growth",
        "province_average",
        "province_average_2020",
        "damped_trend",
        "cv_ridge",
        "cv_ridge_dated_level",
    }
    assert set(report["baselines"]) == expected
    provinces = set(region.cities["province"])
    for name, scores in [("model", report["model"]), *report["baselines"].items()]:
        for metric in METRICS:
            assert metric in scores, (name, metric)
        for metric in ("r2_rel", "r2_abs", "mae_pct", "total_err_pct"):
            assert np.isfinite(scores[metric]), (name, metric)
        assert set(scores["mae_by_province"]) == provinces, name
    for name in expected - {"no_change", "uniform_growth"}:
        assert report["baselines"][name]["sign_hits"] is not None, name
        assert report["baselines"][name]["spearman"] is not None, name
    assert report["model"]["sign_hits"] is not None
    assert report["model_beats"].keys() == report["baselines"].keys()
    assert report["seed_spread"]["n_seeds"] == 2
    assert report["seed_spread"]["median_cv_pct"] >= 0
    for key in ("r2_rel", "mae_pct", "total_err_pct"):
        assert len(report["per_seed"][key]) == 2
    untargeted = report["untargeted"]
    for province in ("Zhejiang", "Shanghai"):
        assert untargeted[province]["census"]["outprov_inflow"]["ratio"] > 1
        assert untargeted[province]["simulated_ratio"] > 0
    assert isinstance(untargeted["region_non_hukou"]["rises"], bool)
    table = pd.read_csv(tmp_path / "validation_cities.csv")
    assert len(table) == region.n_cities
    for name in expected:
        assert f"{name}_2020" in table.columns
    for name in (
        "validation_population_2020.png",
        "validation_growth.png",
        "validation_competitors.png",
        "validation_scores.png",
    ):
        assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.slow
def test_the_total_is_an_output_and_is_not_rescaled(validation, region: RegionData):
    """The open region's total moves (births, deaths, migration); the table is unscaled."""
    simulated_total = validation.simulated.sum(axis=1)
    assert np.all(simulated_total > region.census_population(2010).sum())
    mean = validation.simulated.mean(axis=0)
    np.testing.assert_allclose(validation.table["simulated_2020"], mean)
    report = validation.report
    assert report["yrd_total"]["simulated_2020"] == pytest.approx(mean.sum())
    assert report["total_err_pct"] == pytest.approx(
        (mean.sum() / region.census_population(2020).sum() - 1) * 100
    )
    assert report["mae_pct"] == pytest.approx(mae_pct(mean, region.census_population(2020)))


def test_with_trend_decay_changes_only_that_parameter():
    config = hindcast_config(FAST)
    changed = with_trend_decay(config, 0.123)
    assert changed.params.migration.trend_decay == 0.123
    assert changed.model_dump()["params"]["migration"] | {"trend_decay": None} == (
        config.model_dump()["params"]["migration"] | {"trend_decay": None}
    )


def test_lopo_trend_decay(region: RegionData):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lopo = lopo_trend_decay(region, hindcast_config(FAST), grid=(0.0, 0.15), seeds=(0,))
    assert set(lopo["picked"]) == set(region.cities["province"])
    assert set(lopo["picked"].values()) <= {0.0, 0.15}
    assert np.isfinite(lopo["r2_rel"]) and lopo["mae_pct"] > 0
    assert set(lopo["in_sample"]) == {"0.0", "0.15"}
    # When every fold picks the same value, the pooled held-out score is that value's.
    picked = set(lopo["picked"].values())
    if len(picked) == 1:
        only = lopo["in_sample"][str(picked.pop())]
        assert lopo["r2_rel"] == pytest.approx(only["r2_rel"])
        assert lopo["mae_pct"] == pytest.approx(only["mae_pct"])
