"""The 2010 -> 2020 hindcast: configuration, no use of the 2020 census, fit statistics, report."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.validation import (
    fit,
    mae_pct,
    naive_forecasts,
    r2_log_growth,
    validate,
    write_validation,
)
from sim.core.data import RegionData
from sim.core.model import YRDModel
from sim.core.network import TransportNetwork
from sim.figures.validation import plot_validation
from sim.hydra.compose import hindcast_config

FAST = ("persons_per_agent=4000",)


def test_hindcast_is_one_config_with_2010_policies():
    config = hindcast_config()
    assert (config.start_year, config.end_year, config.census_year) == (2010, 2020, 2010)
    assert config.params.migration.amenities == "steady_state"
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


def _with_cities(data: RegionData, cities: pd.DataFrame) -> RegionData:
    return RegionData(
        cities=cities,
        links=data.links,
        neighbours=data.neighbours,
        boundaries=data.boundaries,
        source_dir=data.source_dir,
        city_index=data.city_index,
    )


def test_hindcast_does_not_use_the_2020_census(region: RegionData):
    """Change every city's 2020 census population by a different factor: nothing changes.

    2020 GDP is the only GDP in the data; the start year's GDP per capita is 2020's (see
    docs/VALIDATION.md), so GDP is changed with the population, keeping GDP per capita.
    """
    factor = np.random.default_rng(7).uniform(0.6, 1.6, region.n_cities)
    cities = region.cities.copy()
    cities["pop_2020"] = np.rint(cities["pop_2020"] * factor).astype(np.int64)
    cities["gdp_2020_cny"] = (
        region.cities["gdp_2020_cny"] * cities["pop_2020"] / region.cities["pop_2020"]
    )
    reference = _hindcast_tables(region)
    perturbed = _hindcast_tables(_with_cities(region, cities))
    for name, table in reference.items():
        pd.testing.assert_frame_equal(table, perturbed[name], check_exact=False, rtol=1e-9)
    # Control: the same change to the 2010 census does change the hindcast.
    cities = region.cities.copy()
    cities["pop_2010"] = np.rint(cities["pop_2010"] * factor).astype(np.int64)
    changed = _hindcast_tables(_with_cities(region, cities))
    assert not reference["cities"]["population"].equals(changed["cities"]["population"])


def test_amenity_share_below_one_puts_the_start_out_of_equilibrium(region: RegionData):
    def total_amenity(share: float) -> float:
        config = hindcast_config(
            [*FAST, "end_year=2011", f"params.migration.steady_state_amenity_share={share}"]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = YRDModel(config, region)
        return float(np.abs(model.amenity).sum())

    assert total_amenity(0.5) == pytest.approx(0.5 * total_amenity(1.0))
    assert total_amenity(0.0) == 0.0


def test_fit_statistics():
    start = np.array([100.0, 200.0, 300.0, 400.0])
    observed = np.array([110.0, 190.0, 330.0, 480.0])
    assert r2_log_growth(observed, start, observed) == pytest.approx(1.0)
    mean_growth = np.exp(np.log(observed / start).mean())
    assert r2_log_growth(start * mean_growth, start, observed) == pytest.approx(0.0, abs=1e-12)
    assert r2_log_growth(start, start, observed) < 0
    assert mae_pct(observed * 1.1, observed) == pytest.approx(10.0)
    assert fit(observed, start, observed)["mae_pct"] == 0.0


def test_naive_forecasts(region: RegionData):
    naive = naive_forecasts(region)
    start = region.census_population(2010)
    end = region.census_population(2020)
    np.testing.assert_array_equal(naive["no_change"], start)
    assert naive["uniform_growth"].sum() == pytest.approx(end.sum())
    for province, rows in region.cities.groupby("province").groups.items():
        index = region.cities.index.get_indexer(rows)
        assert naive["province_average"][index].sum() == pytest.approx(end[index].sum()), province


def test_validation_report(region: RegionData, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = validate(region, hindcast_config(FAST), seeds=(0,))
    path = write_validation(result, tmp_path)
    plot_validation(result.table, result.report, tmp_path)
    report = json.loads(path.read_text())
    for key in ("r2_log_growth", "mae_pct"):
        assert np.isfinite(report[key])
        for baseline in ("no_change", "province_average"):
            assert np.isfinite(report["baselines"][baseline][key])
    # The closed region keeps the 2010 total; the headline figures are scaled to 2020's.
    assert result.simulated.sum() == pytest.approx(region.census_population(2010).sum(), rel=1e-3)
    assert result.table["simulated_2020"].sum() == pytest.approx(
        region.census_population(2020).sum()
    )
    assert (
        report["baselines"]["province_average"]["mae_pct"]
        < report["baselines"]["no_change"]["mae_pct"]
    )
    for name in (
        "validation_population_2020.png",
        "validation_growth.png",
        "validation_cities.csv",
    ):
        assert (tmp_path / name).stat().st_size > 1000
