"""Calibration out of sample: the parameters, the three fits, the checks and the record."""

from __future__ import annotations

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.calibration import (
    BEGIN_MARK,
    CROSS_BORDER_RATE,
    DEFAULTS_PATH,
    FITTED_ON,
    MAX_PARAMETERS,
    PARAMETERS,
    RECORD_PATH,
    bisect,
    check_parameters,
    choose_decay,
    cross_border_rate,
    fit_convergence,
    fit_moving_cost,
    hindcast_error,
    leave_one_province_out,
    set_comment_block,
    set_yaml_values,
    stability,
    write_defaults,
)
from sim.analysis.factors import Factor
from sim.hydra.compose import hindcast_config

#: A cheap hindcast: few agents, two years.
CHEAP = ["persons_per_agent=8000", "end_year=2012"]


def test_at_most_eight_global_parameters_with_bounds_containing_the_default():
    assert 1 <= len(PARAMETERS) <= MAX_PARAMETERS == 8
    defaults = sim.load_config([]).params
    for p in PARAMETERS:
        assert p.kind == "uncertainty" and p.source and p.unit, p.path
        assert p.path in FITTED_ON, p.path
        section, key = p.path.split(".")
        default = getattr(getattr(defaults, section), key)
        assert p.low <= default <= p.high, p.path
        assert p.prior is not None and p.low <= p.prior <= p.high, p.path
        assert p.from_unit(p.to_unit(default)) == pytest.approx(default)
    check_parameters()
    too_many = tuple(Factor(f"migration.x{k}", 0, 1, "-", "-", "uncertainty") for k in range(9))
    with pytest.raises(ValueError):
        check_parameters(too_many)
    with pytest.raises(ValueError):
        check_parameters((Factor("voucher_subsidy_rate", 0, 1, "-", "-", "lever"),))


def test_convergence_fit_against_a_hand_computed_value():
    # Equal populations, log GDP per capita 2000 of -1, 0, 1 and relative growth +0.2, 0, -0.2
    # (plus 0.5 common growth): slope (-0.2 - 0.2) / 2 = -0.2, kappa = -ln(0.8) / 10.
    level = np.array([-1.0, 0.0, 1.0])
    growth = np.array([0.2, 0.0, -0.2]) + 0.5
    history = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "pop_2000": [1e6, 1e6, 1e6, 1e6],
            "pop_2010": [1e6, 1e6, 1e6, 1e6],
            "gdp_2000": [*(np.exp(level) * 1e6 / 1e8), np.nan],
            "gdp_2010": [*(np.exp(level + growth) * 1e6 / 1e8), 10.0],
        }
    )
    fit = fit_convergence(history)
    assert fit.slope == pytest.approx(-0.2)
    assert fit.rate == pytest.approx(-np.log(0.8) / 10) == pytest.approx(0.022314, abs=1e-6)
    assert fit.cities == 3 and fit.dropped == ["d"]
    # Weighted by 2000 population: the slope of a weighted least-squares line.
    weighted = history.iloc[:3].assign(pop_2000=[1e6, 3e6, 2e6])
    weighted["gdp_2000"] *= weighted["pop_2000"] / 1e6
    x = np.log(weighted["gdp_2000"] / weighted["pop_2000"]).to_numpy()
    y = np.log(weighted["gdp_2010"] / weighted["pop_2010"]).to_numpy() - x
    slope = np.polyfit(x, y, 1, w=np.sqrt(weighted["pop_2000"].to_numpy()))[0]
    assert fit_convergence(weighted).slope == pytest.approx(slope)


def test_bundled_history_gives_a_convergence_rate_inside_the_bounds():
    fit = fit_convergence(pd.read_csv("sim/data/city_history_2020_boundaries.csv"))
    assert fit.dropped == ["huaian"] and fit.cities == 40
    assert fit.slope < 0
    factor = next(p for p in PARAMETERS if p.path == "labour.tfp_convergence")
    assert factor.low < fit.rate < factor.high


def test_census_moment():
    assert abs(CROSS_BORDER_RATE - 54_993_900 / 1_339_720_000 / 5) < 1e-12
    assert abs(CROSS_BORDER_RATE * 100 - 0.82) < 0.005


def test_cross_border_rate_counts_border_moves_and_departures_to_the_rest_of_china():
    province = {"a": "P", "b": "P", "c": "Q"}
    result = SimpleNamespace(
        flows=pd.DataFrame(
            {
                "year": [1, 1, 2],
                "origin": ["a", "a", "c"],
                "destination": ["b", "c", "b"],
                "migrants": [100, 10, 20],
            }
        ),
        metrics=pd.DataFrame(
            {
                "year": [0, 1, 2],
                "population": [1000.0, 1000.0, 1200.0],
                "immigrants": [0.0, 5.0, 6.0],
                "emigrants": [0.0, 3.0, 4.0],
            }
        ),
    )
    # (10 + 20 across the border + 7 departures) / (1000 + 1100 person-years); arrivals from the
    # rest of China are its residents' moves, not the YRD's (the census rate is per origin)
    assert cross_border_rate(result, province) == pytest.approx(37 / 2100)


def test_bisection_on_a_known_function():
    fit = bisect(lambda cost: 0.05 * np.exp(-cost), 0.01, 0.0, 8.0, tolerance=1e-3)
    assert fit.converged and fit.achieved == pytest.approx(0.01, rel=1e-3)
    assert fit.value == pytest.approx(np.log(5), abs=0.01)
    outside = bisect(lambda cost: 0.05 * np.exp(-cost), 1.0, 0.0, 8.0)
    assert not outside.converged and outside.value == 0.0


@pytest.mark.slow
def test_bisection_hits_the_census_moment_on_a_cheap_configuration(region):
    # At a fast-fading trend the moment is inside the bounds (at trend_decay 0 it is not).
    config = hindcast_config([*CHEAP, "params.migration.trend_decay=0.1"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = fit_moving_cost(region, config, seeds=(0,), tolerance=0.03, max_evaluations=14)
    assert fit.converged, fit.evaluations
    assert fit.achieved == pytest.approx(CROSS_BORDER_RATE, rel=0.03)
    costs = [cost for cost, _ in fit.evaluations]
    assert all(0.0 <= cost <= 8.0 for cost in costs)


def test_hindcast_error_is_zero_only_at_the_census():
    start = np.array([10.0, 20.0, 30.0])
    observed = np.array([11.0, 19.0, 36.0])
    assert hindcast_error(observed, start, observed) == pytest.approx(0.0)
    # Right pattern, wrong total: only the total's term.
    assert hindcast_error(observed * 1.1, start, observed) == pytest.approx(np.log(1.1) ** 2)
    assert hindcast_error(start, start, observed) > 0
    subset = np.array([True, True, False])
    assert hindcast_error(np.array([11.0, 19.0, 99.0]), start, observed, subset) == pytest.approx(
        0.0
    )


def test_leave_one_province_out_has_one_entry_per_province(region):
    start = region.census_population(2010).astype(float)
    observed = region.census_population(2020).astype(float)
    grid = [0.0, 0.05, 0.1]
    rng = np.random.default_rng(0)
    runs = np.array([observed * np.exp(rng.normal(0, 0.02 + k, len(start))) for k in grid])
    provinces = list(region.cities["province"])
    chosen, errors = choose_decay(grid, runs, start, observed)
    assert chosen == 0.0 and errors == sorted(errors)
    # A value where the moving cost could not match the census moment is not chosen.
    assert choose_decay(grid, runs, start, observed, valid=[False, True, True])[0] == 0.05
    with pytest.raises(ValueError):
        choose_decay(grid, runs, start, observed, valid=[False, False, False])
    table = leave_one_province_out(grid, runs, start, observed, provinces)
    assert [row["province"] for row in table] == sorted(set(provinces))
    assert len(table) == 4
    assert sum(row["held_out_cities"] for row in table) == len(start)
    for row in table:
        assert row["trend_decay"] in grid
        assert set(row["held_out"]) == {"sse_log_growth", "mae_pct", "hindcast_error"}


def test_stability_is_the_numerical_own_size_elasticity(region):
    config = hindcast_config(CHEAP)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check = stability(region, config)
    mp, lp = config.params.migration, config.params.labour
    # Power laws throughout, so the numerical derivative is the closed form.
    pull = 1.0 - lp.labour_elasticity - lp.agglomeration_elasticity
    pull += mp.housing_share * lp.housing_density_elasticity
    expected = mp.size_elasticity - mp.real_wage_weight * pull
    assert check.elasticity == pytest.approx(np.full(region.n_cities, expected), abs=1e-6)
    assert check.size_term == mp.size_elasticity
    summary = check.summary()
    assert summary["negative"] == (expected < 0)
    assert np.isfinite(summary["one_year_map_spectral_radius"])


def test_defaults_are_rewritten_in_place_keeping_comments(tmp_path):
    path = tmp_path / "default.yaml"
    original = DEFAULTS_PATH.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    values = {"migration.trend_decay": 0.075, "labour.tfp_convergence": 0.0123}
    write_defaults(values, ["fit: test", "command: none"], path)
    text = path.read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    assert loaded["migration"]["trend_decay"] == 0.075
    assert loaded["labour"]["tfp_convergence"] == 0.0123
    assert text.count(BEGIN_MARK) == 1 and "# fit: test" in text
    assert "Tombe & Zhu 2019" in text  # other lines' comments survive
    write_defaults(values, ["second"], path, comments={"migration.trend_decay": "new comment"})
    again = path.read_text(encoding="utf-8")
    assert again.count(BEGIN_MARK) == 1 and "# second" in again and "# fit: test" not in again
    assert "trend_decay: 0.075" in again and "# new comment" in again
    untouched = [
        line
        for line in original.splitlines()
        if "trend_decay" not in line and "tfp_convergence" not in line and not line.startswith("#")
    ]
    assert all(line in again.splitlines() for line in untouched)
    with pytest.raises(KeyError):
        set_yaml_values(again, {"migration.no_such_key": 1.0})
    assert set_comment_block(again, ["second"]) == again


def test_defaults_are_the_recorded_calibration():
    record = json.loads(RECORD_PATH.read_text(encoding="utf-8"))
    params = sim.load_config([]).params
    assert set(record["values"]) == {p.path for p in PARAMETERS}
    assert len(record["values"]) <= MAX_PARAMETERS
    for path, value in record["values"].items():
        section, key = path.split(".")
        assert getattr(getattr(params, section), key) == pytest.approx(value), path
    for key in ("date", "command", "git_commit", "stability", "parameters"):
        assert record[key] is not None, key
    assert record["moving_cost_fixed"]["target"] == pytest.approx(CROSS_BORDER_RATE)
    assert len(record["trend_decay"]["leave_one_province_out"]) == 4
    assert {p["name"] for p in record["parameters"]} == set(record["values"])
    assert all(p["fitted_on"] for p in record["parameters"])
    text = DEFAULTS_PATH.read_text(encoding="utf-8")
    assert BEGIN_MARK in text and record["command"] in text
