"""The naive forecasts against hand-computed values, and their metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.forecasts import (
    METRICS,
    add_covariates,
    all_forecasts,
    evaluate,
    fit_damping_gdp,
    forecast_damped,
    forecast_inputs,
    forecast_no_change,
    forecast_province,
    forecast_uniform,
    market_access,
    nested_loo_ridge,
)
from sim.core.data import RegionData


@pytest.fixture
def frame() -> pd.DataFrame:
    """Four cities in two provinces, round numbers."""
    df = pd.DataFrame(
        {
            "province": ["A", "A", "A", "B"],
            "pop_2000": [100.0, 200.0, 100.0, 400.0],
            "pop_2010": [200.0, 200.0, 100.0, 500.0],
            "pop_2020": [300.0, 180.0, 120.0, 500.0],
            "gdp_2000": [1.0, 2.0, 1.0, 4.0],
            "gdp_2005": [2.0, 2.0, 1.0, 8.0],
            "gdp_2010": [4.0, 2.0, 1.0, 8.0],
        },
        index=["a1", "a2", "a3", "b1"],
    )
    return add_covariates(df)


def test_no_change_and_uniform(frame: pd.DataFrame):
    np.testing.assert_allclose(forecast_no_change(frame), [200, 200, 100, 500])
    # Region 2000 -> 2010: 800 -> 1000, so every city grows by 1.25.
    np.testing.assert_allclose(forecast_uniform(frame), [250, 250, 125, 625])
    # Oracle: 1000 -> 1100.
    np.testing.assert_allclose(forecast_uniform(frame, oracle=True), [220, 220, 110, 550])


def test_province_average_excludes_the_city_itself(frame: pd.DataFrame):
    # a1: others a2+a3 grew 300 -> 300 (2000-10); a2: a1+a3 200 -> 300; a3: a1+a2 300 -> 400;
    # b1, alone in B: all other cities 400 -> 500.
    np.testing.assert_allclose(forecast_province(frame), [200, 200 * 1.5, 100 * 4 / 3, 500 * 1.25])
    # With the others' 2010-20 growth: a1: 300 -> 300; a2: 300 -> 420; a3: 400 -> 480;
    # b1: 500 -> 600.
    np.testing.assert_allclose(
        forecast_province(frame, dated=False), [200, 200 * 1.4, 100 * 1.2, 500 * 1.2]
    )


def test_damped_trend_and_its_damping(frame: pd.DataFrame):
    g0 = math.log(1000 / 800)
    r0 = np.log(frame["pop_2010"] / frame["pop_2000"]) - g0
    np.testing.assert_allclose(forecast_damped(frame, 0.0), forecast_uniform(frame))
    np.testing.assert_allclose(
        forecast_damped(frame, 0.5), frame["pop_2010"] * np.exp(g0 + 0.5 * r0)
    )
    # d = slope through the origin of relative GDP growth 2005-10 on 2000-05.
    x = np.log([2 / 1, 2 / 2, 1 / 1, 8 / 4]) - math.log(13 / 8)
    y = np.log([4 / 2, 2 / 2, 1 / 1, 8 / 8]) - math.log(15 / 13)
    assert fit_damping_gdp(frame) == pytest.approx((x * y).sum() / (x * x).sum())


def test_metrics_by_hand(frame: pd.DataFrame):
    m = evaluate(forecast_no_change(frame), frame)
    assert set(m) == set(METRICS)
    p10, p20 = frame["pop_2010"].to_numpy(), frame["pop_2020"].to_numpy()
    ape = np.abs(p10 - p20) / p20 * 100
    assert m["mae_pct"] == pytest.approx(ape.mean())
    assert m["total_err_pct"] == pytest.approx((1000 / 1100 - 1) * 100)
    assert m["mae_by_province"] == pytest.approx({"A": ape[:3].mean(), "B": ape[3]})
    g = np.log(p20 / p10)
    r = g - math.log(1.1)
    assert m["r2_abs"] == pytest.approx(1 - (g**2).sum() / ((g - g.mean()) ** 2).sum())
    assert m["r2_rel"] == pytest.approx(1 - (r**2).sum() / ((r - r.mean()) ** 2).sum())
    assert m["spearman"] is None and m["sign_hits"] is None  # no cross-section
    perfect = evaluate(frame["pop_2020"], frame)
    assert perfect["r2_rel"] == perfect["r2_abs"] == 1.0
    assert perfect["mae_pct"] == 0.0 and perfect["sign_hits"] == 4
    assert perfect["spearman"] == pytest.approx(1.0)
    # A wrong regional level leaves r2_rel (the cross-section) intact, not r2_abs.
    doubled = evaluate(frame["pop_2020"] * 2, frame)
    assert doubled["r2_rel"] == pytest.approx(1.0) and doubled["r2_abs"] < 0


def test_nested_loo_ridge_never_sees_the_held_out_city(frame: pd.DataFrame):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=12)})
    df["province"] = "A"
    df["y"] = 2.0 * df["x"] + 0.01 * rng.normal(size=12)
    cv = nested_loo_ridge(df, covariates=("x",), target="y")
    np.testing.assert_allclose(cv.predicted_growth, df["y"], atol=0.1)
    changed = df.copy()
    changed.loc[0, "y"] = 100.0  # the held-out target does not move its own prediction
    assert nested_loo_ridge(changed, ("x",), "y").predicted_growth[0] == pytest.approx(
        cv.predicted_growth[0]
    )


def test_market_access():
    minutes = np.array([[0.0, 10.0, 20.0], [10.0, 0.0, 5.0], [20.0, 5.0, 0.0]])
    np.testing.assert_allclose(
        market_access(np.array([1.0, 2.0, 4.0]), minutes),
        [2 / 10 + 4 / 20, 1 / 10 + 4 / 5, 1 / 20 + 2 / 5],
    )


def test_known_answers_on_the_census(region: RegionData):
    df = forecast_inputs(region)
    fc = all_forecasts(df)
    scores = {name: evaluate(p, df) for name, p in fc.predictions.items()}
    assert round(scores["no_change"]["mae_pct"], 2) == 8.66
    assert round(scores["uniform_growth"]["mae_pct"], 2) == 10.11
    assert round(scores["province_average"]["mae_pct"], 2) == 7.31
    assert round(scores["province_average"]["r2_rel"], 3) == 0.207
    # The damping chosen on 2000-2010 GDP is close to 0: the trend collapses to uniform.
    assert fc.fitted["damping_d_from_gdp"] == pytest.approx(0.023, abs=0.001)
    assert scores["damped_trend"]["r2_rel"] < 0
    assert 0.3 < scores["cv_ridge"]["r2_rel"] < 0.5
    assert set(fc.info) == set(fc.predictions)
