"""Naive and statistical 2010 -> 2020 forecasts of the cities' populations: the model's rivals.

Every forecast predicts each city's 2020 census population from information dated 2010 or
earlier, except where its ``info`` label says otherwise (``uses 2020`` = it uses the 2020 census
of the *other* cities). Populations are on 2020 boundaries (2000 from
``city_history_2020_boundaries.csv``, derived by ``tools/derive_city_history.py``).

Notation: ``p0, p10, p20`` = census 2000, 2010, 2020 of a city; ``P`` = sum over the cities;
``g_i = ln(p20_i/p10_i)`` (observed log growth), ``G = ln(P20/P10)`` (the region's log growth),
``r_i = g_i - G`` (relative log growth). A forecast ``q_i`` of ``p20_i`` has predicted log growth
``gh_i = ln(q_i/p10_i)``, predicted regional growth ``Gh = ln(sum q / P10)`` and predicted
relative growth ``rh_i = gh_i - Gh``.

Forecasts (:func:`all_forecasts`):

- ``no_change``: ``q = p10``.
- ``uniform_growth``: ``q = p10 * exp(G0)``, ``G0`` = the region's 2000-2010 log growth.
- ``province_average``: ``q_i = p10_i * P10_{k,-i} / P00_{k,-i}``, the 2000-2010 growth of the
  other cities of city i's province k (Shanghai, alone in its province, gets the other cities').
- ``province_average_2020``: the same with the other cities' 2010-2020 growth (uses 2020).
- ``damped_trend``: ``gh_i = G0 + d * r0_i`` (``r0`` = relative 2000-2010 log growth). ``d`` is
  chosen without 2020 data, as the persistence of relative city GDP growth between the two
  halves of 2000-2010 (:func:`fit_damping_gdp`). City GDP growth did not persist, so ``d`` is
  about 0.02 and the forecast is close to ``uniform_growth``.
- ``cv_ridge``: ridge regression of 2010-2020 log growth on covariates dated 2010 or earlier
  (:data:`COVARIATES`), nested leave-one-out: the outer loop leaves one city out; on the others
  an inner leave-one-out (closed form) picks the penalty; the refitted model predicts the
  held-out city. Its level (intercept) comes from the other cities' 2020 census.
- ``cv_ridge_dated_level``: ``cv_ridge`` shifted so that its regional growth is ``G0``.

Metrics (:func:`evaluate`): ``r2_rel = 1 - sum (rh-r)^2 / sum (r-mean r)^2`` (level-free: the
cross-section); ``r2_abs`` the same with ``gh, g`` (also penalises a wrong regional level);
``mae_pct = mean |q-p20|/p20`` in percent (unscaled); ``spearman`` = rank correlation of ``gh``
and ``g``; ``sign_hits`` = number of cities with ``sign(rh) == sign(r)``; ``total_err_pct = sum
q / P20 - 1`` in percent; ``mae_by_province``. ``spearman`` and ``sign_hits`` are None for a
forecast without cross-sectional variation. The mean of ``r`` is not 0 (``G`` is the log of the
totals, not a mean of logs), so a forecast with ``rh = 0`` scores ``r2_rel`` slightly below 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.core.data import BUNDLED_DATA_DIR, HISTORY_FILE, RegionData

#: Regression covariates, all dated 2010 or earlier except ``log_heis`` (universities: a
#: ~2024 list, a dated-input caveat). ``log_ma_2010`` is used when travel times are given.
COVARIATES: tuple[str, ...] = (
    "log_pop_2010",
    "g_pop_0010",
    "log_gdppc_2010",
    "g_gdp_0510",
    "log_heis",
    "zhejiang",
    "anhui",
    "urban_share_2010",
    "log_ma_2010",
)

#: Ridge penalties tried by the inner leave-one-out (on standardised covariates).
RIDGE_GRID: np.ndarray = np.logspace(-3, 3, 61)

#: What each forecast of :func:`all_forecasts` knows beyond 2010.
FORECAST_INFO: dict[str, str] = {
    "no_change": "dated (2010 census)",
    "uniform_growth": "dated (2000-10 regional growth carried forward)",
    "province_average": "dated (2000-10 growth of the other cities of the province)",
    "province_average_2020": "uses 2020 (2010-20 census growth of the other cities)",
    "damped_trend": "dated (damping from GDP growth persistence 2000-05 -> 2005-10)",
    "cv_ridge": "uses 2020 (other cities' 2020 census, nested leave-one-out); "
    "universities are a ~2024 list",
    "cv_ridge_dated_level": "uses 2020 (as cv_ridge: slopes fitted on the other cities' "
    "2020 census); regional level = 2000-10 regional growth",
}


# ------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------


def history_path(data: RegionData) -> Path:
    """The history file of the data folder, else the bundled one."""
    own = Path(data.source_dir) / HISTORY_FILE
    return own if own.is_file() else BUNDLED_DATA_DIR / HISTORY_FILE


def market_access(population: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Market access ``MA_i = sum_{j != i} P_j / t_ij`` (persons per minute).

    Args:
        population: Each city's population.
        minutes: Travel times between the cities (minutes; the diagonal is ignored).

    Returns:
        Each city's market access.
    """
    t = np.asarray(minutes, dtype=float).copy()
    np.fill_diagonal(t, np.inf)
    return (np.asarray(population, dtype=float)[None, :] / t).sum(axis=1)


def forecast_inputs(data: RegionData, travel_minutes: np.ndarray | None = None) -> pd.DataFrame:
    """One row per city (index: city id): census 2000/2010/2020, GDP, covariates.

    Populations come from ``data`` (``census_population``), GDP 2000/2005/2010 (RMB 100
    million, nominal) and the 2010 urban share from the history file (:func:`history_path`),
    universities from ``data.cities["n_heis"]``.

    Args:
        data: The region's data.
        travel_minutes: Travel times in 2010 between the cities (e.g. the model's network);
            if given, ``log_ma_2010`` (:func:`market_access` with 2010 populations) is added.

    Returns:
        The frame the forecasts take.
    """
    history = pd.read_csv(history_path(data)).set_index("id").loc[data.city_ids]
    df = pd.DataFrame(index=pd.Index(data.city_ids, name="id"))
    df["province"] = data.cities["province"].to_numpy()
    for year in (2000, 2010, 2020):
        df[f"pop_{year}"] = data.census_population(year).astype(float)
    for column in ("gdp_2000", "gdp_2005", "gdp_2010", "urban_share_2010"):
        df[column] = history[column].astype(float).to_numpy()
    return add_covariates(df, data.cities["n_heis"].to_numpy(dtype=float), travel_minutes)


def add_covariates(
    df: pd.DataFrame, n_heis: np.ndarray | None = None, travel_minutes: np.ndarray | None = None
) -> pd.DataFrame:
    """Growths and regression covariates of a frame of census populations and GDP.

    Args:
        df: Columns ``province, pop_2000, pop_2010, pop_2020, gdp_2000, gdp_2005, gdp_2010``
            and optionally ``urban_share_2010``.
        n_heis: Universities per city (``log_heis`` is added if given).
        travel_minutes: 2010 travel times (``log_ma_2010`` is added if given).

    Returns:
        A copy of ``df`` with the added columns.
    """
    df = df.copy()
    df["g_pop_0010"] = np.log(df["pop_2010"] / df["pop_2000"])
    df["g_pop_1020"] = np.log(df["pop_2020"] / df["pop_2010"])
    df["log_pop_2010"] = np.log(df["pop_2010"])
    df["log_gdppc_2010"] = np.log(df["gdp_2010"] * 1e8 / df["pop_2010"])
    df["g_gdp_0510"] = np.log(df["gdp_2010"] / df["gdp_2005"])
    df["zhejiang"] = (df["province"] == "Zhejiang").astype(float)
    df["anhui"] = (df["province"] == "Anhui").astype(float)
    if n_heis is not None:
        df["n_heis"] = np.asarray(n_heis, dtype=float)
        df["log_heis"] = np.log1p(df["n_heis"])
    if travel_minutes is not None:
        df["log_ma_2010"] = np.log(market_access(df["pop_2010"].to_numpy(), travel_minutes))
    return df


def region_growth(df: pd.DataFrame, start: str, end: str) -> float:
    """Log growth of the cities' total between two population columns."""
    return float(np.log(df[end].sum() / df[start].sum()))


def relative_growth(df: pd.DataFrame, start: str, end: str) -> pd.Series:
    """City log growth minus the region's log growth between two population columns."""
    return np.log(df[end] / df[start]) - region_growth(df, start, end)


# ------------------------------------------------------------------------------------------
# Naive forecasts (each returns predicted 2020 populations, indexed like df)
# ------------------------------------------------------------------------------------------


def forecast_no_change(df: pd.DataFrame) -> pd.Series:
    """2020 = 2010."""
    return df["pop_2010"].copy()


def forecast_uniform(df: pd.DataFrame, oracle: bool = False) -> pd.Series:
    """Every city at the region's growth: 2000-10 carried forward, or (``oracle``) 2010-20."""
    start, end = ("pop_2010", "pop_2020") if oracle else ("pop_2000", "pop_2010")
    return df["pop_2010"] * np.exp(region_growth(df, start, end))


def leave_own_out_growth(df: pd.DataFrame, start: str, end: str) -> pd.Series:
    """Log growth of the other cities of each city's province (all other cities if alone)."""
    out = {}
    for city in df.index:
        same = (df["province"] == df.loc[city, "province"]) & (df.index != city)
        others = same if same.any() else df.index != city
        out[city] = np.log(df.loc[others, end].sum() / df.loc[others, start].sum())
    return pd.Series(out)


def forecast_province(df: pd.DataFrame, dated: bool = True) -> pd.Series:
    """Growth of the province's other cities: 2000-10 (``dated``) or 2010-20 (uses 2020)."""
    start, end = ("pop_2000", "pop_2010") if dated else ("pop_2010", "pop_2020")
    return df["pop_2010"] * np.exp(leave_own_out_growth(df, start, end))


def fit_damping_gdp(df: pd.DataFrame, relative: bool = True) -> float:
    """Damping factor ``d`` from GDP growth persistence 2000-05 -> 2005-10 (no 2020 data).

    The slope through the origin of 2005-10 on 2000-05 log GDP growth over the cities with
    all three GDP values, relative to the region's GDP growth if ``relative`` (the absolute
    form measures the acceleration of nominal GDP and is not used for population).
    """
    sub = df.dropna(subset=["gdp_2000", "gdp_2005", "gdp_2010"])
    x = np.log(sub["gdp_2005"] / sub["gdp_2000"])
    y = np.log(sub["gdp_2010"] / sub["gdp_2005"])
    if relative:
        x = x - np.log(sub["gdp_2005"].sum() / sub["gdp_2000"].sum())
        y = y - np.log(sub["gdp_2010"].sum() / sub["gdp_2005"].sum())
    return float((x * y).sum() / (x * x).sum())


def fit_damping_oracle(df: pd.DataFrame) -> float:
    """Reference only (uses 2020): slope through the origin of relative 2010-20 on 2000-10."""
    x = relative_growth(df, "pop_2000", "pop_2010")
    y = relative_growth(df, "pop_2010", "pop_2020")
    return float((x * y).sum() / (x * x).sum())


def forecast_damped(df: pd.DataFrame, d: float) -> pd.Series:
    """Damped 2000-10 trend, relative form: ``gh_i = G0 + d * r0_i``."""
    growth = region_growth(df, "pop_2000", "pop_2010") + d * relative_growth(
        df, "pop_2000", "pop_2010"
    )
    return df["pop_2010"] * np.exp(growth)


def forecast_from_growth(df: pd.DataFrame, growth: pd.Series) -> pd.Series:
    """2020 populations from predicted 2010-20 log growth."""
    return df["pop_2010"] * np.exp(growth)


def implied_level(df: pd.DataFrame, growth: pd.Series) -> float:
    """Regional log growth implied by the cities' log growths."""
    return float(np.log((df["pop_2010"] * np.exp(growth)).sum() / df["pop_2010"].sum()))


# ------------------------------------------------------------------------------------------
# Nested leave-one-out ridge regression
# ------------------------------------------------------------------------------------------


def _design(x: np.ndarray) -> np.ndarray:
    """Prepend an intercept column."""
    return np.column_stack([np.ones(len(x)), x])


def ridge_fit(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression with an unpenalised intercept.

    Returns:
        The coefficients (intercept first) and the diagonal of the hat matrix.
    """
    xd = _design(x)
    penalty = lam * np.eye(xd.shape[1])
    penalty[0, 0] = 0.0
    inv = np.linalg.pinv(xd.T @ xd + penalty)
    beta = inv @ xd.T @ y
    hat_diag = np.einsum("ij,jk,ik->i", xd, inv, xd)
    return beta, hat_diag


def loo_press(x: np.ndarray, y: np.ndarray, lam: float = 0.0) -> float:
    """Leave-one-out mean squared error of a (ridge) linear fit, closed form ``e/(1-h)``."""
    beta, h = ridge_fit(x, y, lam)
    resid = y - _design(x) @ beta
    return float(np.mean((resid / (1.0 - h)) ** 2))


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale columns by the training mean and sd (constant columns get sd 1)."""
    mu, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mu) / sd, (test - mu) / sd


@dataclass
class CVResult:
    """Held-out predictions of log growth and the penalty chosen in each outer fold."""

    predicted_growth: pd.Series
    choices: list[float] = field(default_factory=list)


def nested_loo_ridge(
    df: pd.DataFrame, covariates: Sequence[str] = COVARIATES, target: str = "g_pop_1020"
) -> CVResult:
    """Outer leave-one-out prediction; an inner leave-one-out picks the ridge penalty.

    Args:
        df: One row per city with the covariates and the target.
        covariates: Covariate columns (those absent from ``df`` are skipped).
        target: The column to predict.

    Returns:
        Each city's prediction from a model fitted on the other cities.
    """
    names = [c for c in covariates if c in df.columns]
    x_all = df[names].to_numpy(float)
    y_all = df[target].to_numpy(float)
    preds, choices = np.empty(len(df)), []
    for i in range(len(df)):
        train = np.arange(len(df)) != i
        xtr, xte = _standardise(x_all[train], x_all[~train])
        keep = x_all[train].std(axis=0) > 0  # e.g. a dummy with no variation left
        xtr, xte = xtr[:, keep], xte[:, keep]
        scores = [loo_press(xtr, y_all[train], lam) for lam in RIDGE_GRID]
        lam = float(RIDGE_GRID[int(np.argmin(scores))])
        beta, _ = ridge_fit(xtr, y_all[train], lam)
        preds[i] = float((_design(xte) @ beta)[0])
        choices.append(lam)
    return CVResult(pd.Series(preds, index=df.index), choices)


# ------------------------------------------------------------------------------------------
# Metrics
# ------------------------------------------------------------------------------------------


def evaluate(pred: pd.Series | np.ndarray, df: pd.DataFrame) -> dict[str, Any]:
    """All metrics of one forecast of the 2020 populations (module docstring: formulas).

    Args:
        pred: Predicted 2020 populations, in the order of ``df``.
        df: Columns ``province, pop_2010, pop_2020``.

    Returns:
        ``r2_rel, r2_abs, mae_pct, spearman, sign_hits, total_err_pct, mae_by_province``.
    """
    p10 = df["pop_2010"].to_numpy(float)
    p20 = df["pop_2020"].to_numpy(float)
    q = np.asarray(pred, dtype=float)
    g = np.log(p20 / p10)
    r = g - np.log(p20.sum() / p10.sum())
    gh = np.log(q / p10)
    rh = gh - np.log(q.sum() / p10.sum())
    ape = np.abs(q - p20) / p20 * 100.0
    flat = bool(np.ptp(rh) < 1e-12)
    return {
        "r2_rel": 1 - float(((rh - r) ** 2).sum()) / float(((r - r.mean()) ** 2).sum()),
        "r2_abs": 1 - float(((gh - g) ** 2).sum()) / float(((g - g.mean()) ** 2).sum()),
        "mae_pct": float(ape.mean()),
        "spearman": None if flat else float(stats.spearmanr(gh, g).statistic),
        "sign_hits": None if flat else int((np.sign(rh) == np.sign(r)).sum()),
        "total_err_pct": float((q.sum() / p20.sum() - 1) * 100.0),
        "mae_by_province": {
            str(k): float(v)
            for k, v in pd.Series(ape).groupby(df["province"].to_numpy()).mean().items()
        },
    }


#: The keys of :func:`evaluate`.
METRICS: tuple[str, ...] = (
    "r2_rel",
    "r2_abs",
    "mae_pct",
    "spearman",
    "sign_hits",
    "total_err_pct",
    "mae_by_province",
)


# ------------------------------------------------------------------------------------------
# Everything
# ------------------------------------------------------------------------------------------


@dataclass
class Forecasts:
    """The forecasts of :func:`all_forecasts` and what was fitted on the way.

    Attributes:
        predictions: Predicted 2020 populations by forecast name (indexed like the inputs).
        info: What each forecast knows beyond 2010 (:data:`FORECAST_INFO`).
        fitted: Auxiliary quantities (damping factors, chosen penalties, regional growths).
    """

    predictions: dict[str, pd.Series]
    info: dict[str, str]
    fitted: dict[str, Any]


def all_forecasts(df: pd.DataFrame, covariates: Sequence[str] = COVARIATES) -> Forecasts:
    """The naive and statistical forecasts of the module docstring.

    Args:
        df: :func:`forecast_inputs` (or a frame with the same columns).
        covariates: The regression's covariates (those absent from ``df`` are skipped).

    Returns:
        The forecasts, their labels and the fitted quantities.
    """
    d_rel = fit_damping_gdp(df, relative=True)
    g0 = region_growth(df, "pop_2000", "pop_2010")
    ridge = nested_loo_ridge(df, covariates)
    ridge_growth = ridge.predicted_growth
    predictions = {
        "no_change": forecast_no_change(df),
        "uniform_growth": forecast_uniform(df),
        "province_average": forecast_province(df, dated=True),
        "province_average_2020": forecast_province(df, dated=False),
        "damped_trend": forecast_damped(df, d_rel),
        "cv_ridge": forecast_from_growth(df, ridge_growth),
        "cv_ridge_dated_level": forecast_from_growth(
            df, ridge_growth - implied_level(df, ridge_growth) + g0
        ),
    }
    lambdas = pd.Series(ridge.choices).round(3).value_counts()
    fitted: dict[str, Any] = {
        "damping_d_from_gdp": d_rel,
        "damping_d_absolute_form_from_gdp": fit_damping_gdp(df, relative=False),
        "damping_d_oracle_uses_2020": fit_damping_oracle(df),
        "ridge_covariates": [c for c in covariates if c in df.columns],
        "ridge_penalties_chosen": {str(k): int(v) for k, v in lambdas.items()},
        "region_log_growth_2000_2010": g0,
        "region_log_growth_2010_2020": region_growth(df, "pop_2010", "pop_2020"),
    }
    return Forecasts(predictions, dict(FORECAST_INFO), fitted)
