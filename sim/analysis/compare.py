"""Collect the runs of a sweep and summarise them across seeds (pandas and numpy, no Hydra).

A sweep folder (a Hydra multirun folder of ``yrdsim -m``) holds one folder per run. A run is
*complete* when its ``provenance.json`` says so and its tables are intact
(:func:`sim.runs.folders.run_problem`), *failed* when it left a ``failed.json``, and *incomplete*
otherwise (killed, still running, or a table missing, truncated or damaged); runs listed
in the sweep's ``sweep.json`` without a folder are *missing*. Only complete runs are summarised.

Runs are grouped by their *group key*: the scenario's name plus every override that varies
across the sweep's runs, except ``seed`` (the replicates) and ``experiment``. Within a group,
replicates are summarised by the mean, the standard deviation (``ddof=1``) and the 95 %
t-interval of the mean, ``mean ± t(0.975, n-1) * std / sqrt(n)``; with a single run, ``std``
and the interval are NaN.

Differences against a reference group (by default the scenario ``baseline`` with the same values
of the other group keys) are paired by seed when both groups ran the same seeds (scenarios run
with the same seed share their random numbers, so pairing removes most of the seed noise) and
use Welch's interval otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from scenarios import SCENARIO_NAMES
from sim.config.schema import changes_results
from sim.runs.files import (
    COMPARISON_DIR,
    CONFIG_FILE,
    FAILED_FILE,
    HYDRA_DIR,
    PROVENANCE_FILE,
    SWEEP_FILE,
    read_json,
)
from sim.runs.folders import run_problem

CONFIDENCE = 0.95

COMPLETE, FAILED, INCOMPLETE, MISSING, DUPLICATE = (
    "complete",
    "failed",
    "incomplete",
    "missing",
    "duplicate",
)
#: Override keys that never define a group.
NOT_GROUP_KEYS = frozenset({"seed", "experiment"})
#: Value of a group key for a run that did not override it.
DEFAULT_VALUE = "(default)"
SUMMARY_COLUMNS = ["metric", "year", "mean", "std", "ci_low", "ci_high", "n_runs"]


class SweepError(ValueError):
    """The folder is not a sweep folder, or holds no complete run."""


@dataclass
class Run:
    """One run of a sweep.

    Attributes:
        path: The run's folder (``None`` for a missing run).
        status: ``complete``, ``failed``, ``incomplete``, ``missing`` or ``duplicate``.
        overrides: The run's task overrides.
        scenario: The scenario's name, if known.
        seed: The run's seed, if known.
        config_hash: The validated config's hash (complete runs).
        error: Why the run failed, if it did.
    """

    path: Path | None
    status: str
    overrides: list[str] = field(default_factory=list)
    scenario: str | None = None
    seed: int | None = None
    config_hash: str | None = None
    git_commit: str | None = None
    error: str = ""

    def override_values(self) -> dict[str, str]:
        """The overrides as ``{key: value}`` (``+``/``++`` prefixes removed)."""
        return parse_overrides(self.overrides)


def parse_overrides(overrides: list[str]) -> dict[str, str]:
    """``["a.b=1", "+c=x"]`` -> ``{"a.b": "1", "c": "x"}`` (deletions ``~key`` are dropped)."""
    values: dict[str, str] = {}
    for line in overrides:
        if line.startswith("~") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.lstrip("+")] = value
    return values


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def _read_run(folder: Path) -> Run:
    problem = run_problem(folder)
    if problem is None:
        record = read_json(folder / PROVENANCE_FILE) or {}
        return Run(
            path=folder,
            status=COMPLETE,
            overrides=[str(o) for o in record.get("overrides", [])],
            scenario=record.get("scenario"),
            seed=record.get("seed"),
            config_hash=record.get("config_hash"),
            git_commit=record.get("git_commit"),
        )
    overrides = _read_yaml(folder / ".hydra" / "overrides.yaml")
    config = _read_yaml(folder / ".hydra" / "config.yaml")
    config = config if isinstance(config, dict) else {}
    scenario = (config.get("scenario") or {}).get("name")
    seed = config.get("seed")
    failure = read_json(folder / FAILED_FILE)
    run = Run(
        path=folder,
        status=FAILED if failure else INCOMPLETE,
        overrides=[str(o) for o in (overrides if isinstance(overrides, list) else [])],
        scenario=scenario if isinstance(scenario, str) else None,
        seed=seed if isinstance(seed, int) else None,
    )
    if failure:
        run.overrides = run.overrides or [str(o) for o in failure.get("overrides", [])]
        run.error = f"{failure.get('error_type', 'error')}: {failure.get('message', '')}".strip()
    else:
        run.error = problem
    return run


def _run_folders(sweep_dir: Path) -> list[Path]:
    """Folders under ``sweep_dir`` that hold a run (Hydra's ``.hydra/`` or a run's files)."""
    found: set[Path] = set()
    for marker in (HYDRA_DIR, PROVENANCE_FILE, FAILED_FILE, CONFIG_FILE, "metrics.csv"):
        for path in sweep_dir.rglob(marker):
            folder = path.parent
            parts = folder.relative_to(sweep_dir).parts
            if folder == sweep_dir or any(p.startswith(".") or p == COMPARISON_DIR for p in parts):
                continue
            found.add(folder)
    return sorted(found)


def find_runs(sweep_dir: str | Path) -> list[Run]:
    """Every run of a sweep folder with its status, including missing runs.

    Missing runs are the jobs listed in ``sweep.json`` (written by ``yrdsim -m``) for which no
    folder has the same overrides. Among complete runs with the same group and seed, the first
    (by folder name) is used and the others are marked ``duplicate``.

    Raises:
        SweepError: ``sweep_dir`` is not a folder.
    """
    root = Path(sweep_dir)
    if not root.is_dir():
        raise SweepError(f"{root} is not a folder")
    runs = [_read_run(folder) for folder in _run_folders(root)]
    sweep = read_json(root / SWEEP_FILE) or {}
    seen = {tuple(sorted(run.overrides)) for run in runs}
    for job in sweep.get("jobs") or []:
        if tuple(sorted(job)) not in seen:
            runs.append(Run(path=None, status=MISSING, overrides=list(job), error="no folder"))
    return runs


def code_versions(runs: list[Run]) -> list[str]:
    """The distinct git commits that made the complete runs (more than one: mixed code)."""
    return sorted({r.git_commit or "unknown" for r in runs if r.status == COMPLETE})


def group_keys(runs: list[Run], group_by: list[str] | None = None) -> list[str]:
    """The override keys (besides the scenario) that define the groups.

    Args:
        runs: The runs (only complete ones are looked at).
        group_by: Keys chosen by the user; ``None`` takes every override key whose value
            varies across the complete runs (except ``seed``, ``experiment`` and ``scenario``,
            which is always a group column of its own).

    Returns:
        The keys in a stable order.
    """
    if group_by is not None:
        return [k for k in dict.fromkeys(group_by) if k and k != "scenario"]
    complete = [r.override_values() for r in runs if r.status == COMPLETE]
    keys = sorted({k for values in complete for k in values})
    varying = []
    for key in keys:
        if key in NOT_GROUP_KEYS or key == "scenario" or not changes_results(key):
            continue
        if len({values.get(key, DEFAULT_VALUE) for values in complete}) > 1:
            varying.append(key)
    return varying


def mark_duplicates(runs: list[Run]) -> None:
    """Mark complete runs of a configuration already seen as ``duplicate`` (in place).

    Two runs are the same when their validated configurations (seed included) have the same
    hash, e.g. the same job written under two folder names.
    """
    seen: dict[str, Path | None] = {}
    for run in runs:
        if run.status != COMPLETE:
            continue
        ident = run.config_hash or "\n".join(sorted(run.overrides))
        if ident in seen:
            run.status = DUPLICATE
            run.error = f"same configuration and seed as {seen[ident]}"
        else:
            seen[ident] = run.path


def scenario_order(names: list[str]) -> list[str]:
    """The named scenarios in their usual order, then any others alphabetically."""
    present = set(names)
    return [n for n in SCENARIO_NAMES if n in present] + sorted(present - set(SCENARIO_NAMES))


@dataclass
class SweepData:
    """The complete runs of a sweep and their tables, with group columns.

    Attributes:
        root: The sweep folder.
        runs: Every run found, with its status.
        keys: Group columns: ``scenario`` then the varying override keys.
        metrics: ``metrics.csv`` of every complete run, with the group columns and ``seed``.
        cities: ``cities.csv`` of every complete run, with the group columns and ``seed``.
    """

    root: Path
    runs: list[Run]
    keys: list[str]
    metrics: pd.DataFrame
    cities: pd.DataFrame

    @property
    def used(self) -> list[Run]:
        """The complete runs summarised."""
        return [r for r in self.runs if r.status == COMPLETE]

    def groups(self) -> pd.DataFrame:
        """One row per group (group columns), in display order."""
        return _sorted(self.metrics[self.keys].drop_duplicates(), self.keys).reset_index(drop=True)


def _sorted(frame: pd.DataFrame, keys: list[str], extra: list[str] | None = None) -> pd.DataFrame:
    """Sort by scenario (usual order), the other group keys (numerically if they are numbers)."""
    order = {name: k for k, name in enumerate(scenario_order(list(frame["scenario"].unique())))}

    def sort_key(column: pd.Series) -> pd.Series:
        if column.name == "scenario":
            return column.map(order)
        if column.name in keys:
            numbers = pd.to_numeric(column, errors="coerce")
            return numbers if numbers.notna().all() else column.astype(str)
        return column

    return frame.sort_values([*keys, *(extra or [])], key=sort_key, kind="stable")


def read_table(run_dir: Path, name: str) -> pd.DataFrame:
    """A table of a run folder: ``<name>.csv``, or ``<name>.parquet`` for a Parquet-only run."""
    csv = run_dir / f"{name}.csv"
    if csv.is_file() or not (run_dir / f"{name}.parquet").is_file():
        return pd.read_csv(csv)
    return pd.read_parquet(run_dir / f"{name}.parquet")


def load_sweep(sweep_dir: str | Path, group_by: list[str] | None = None) -> SweepData:
    """Find the runs of a sweep and read the tables of the complete ones.

    Args:
        sweep_dir: The sweep (Hydra multirun) folder.
        group_by: Override keys to group by besides the scenario; ``None`` for every varying
            override (see :func:`group_keys`).

    Returns:
        The runs and their tables.

    Raises:
        SweepError: The folder does not exist or holds no complete run.
    """
    root = Path(sweep_dir)
    runs = find_runs(root)
    if not any(r.status == COMPLETE for r in runs):
        statuses = ", ".join(f"{r.status} {r.path}" for r in runs[:5]) or "no run folders"
        raise SweepError(f"{root} holds no complete run ({statuses})")
    keys = group_keys(runs, group_by)
    mark_duplicates(runs)
    metrics, cities = [], []
    for run in runs:
        if run.status != COMPLETE:
            continue
        values = run.override_values()
        label = {"scenario": run.scenario, **{k: values.get(k, DEFAULT_VALUE) for k in keys}}
        assert run.path is not None
        for table, parts in (("metrics", metrics), ("cities", cities)):
            frame = read_table(run.path, table)
            for column, value in reversed(list(label.items())):
                frame.insert(0, column, value)
            frame.insert(len(label), "seed", run.seed)
            parts.append(frame)
    return SweepData(
        root=root,
        runs=runs,
        keys=["scenario", *keys],
        metrics=pd.concat(metrics, ignore_index=True),
        cities=pd.concat(cities, ignore_index=True),
    )


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, ...]:
    """Mean, standard deviation, interval bounds and count of a sample (NaN bounds if n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return (mean, np.nan, np.nan, np.nan, n)
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / np.sqrt(n)
    return (mean, std, mean - half, mean + half, n)


def welch_interval(
    a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Difference of means ``mean(a) - mean(b)`` and its Welch interval (NaN if n < 2)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not len(a) or not len(b):
        return (np.nan, np.nan, np.nan)
    delta = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return (delta, np.nan, np.nan)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return (delta, delta, delta)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return (delta, delta - half, delta + half)


def _numeric_columns(frame: pd.DataFrame, exclude: list[str]) -> list[str]:
    return [
        c for c in frame.columns if c not in exclude and pd.api.types.is_numeric_dtype(frame[c])
    ]


def _long(
    frame: pd.DataFrame, ids: list[str], exclude: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Tidy ``ids + [metric, value]`` of every numeric column not in ``ids`` or ``exclude``."""
    metrics = _numeric_columns(frame, [*ids, *exclude])
    long = frame.melt(id_vars=ids, value_vars=metrics, var_name="metric", value_name="value")
    long["value"] = long["value"].astype(float)
    return long, metrics


def _aggregate(long: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, std, t-interval and count of ``value`` per ``by`` group (vectorised)."""
    valid = long.dropna(subset=["value"])
    grouped = valid.groupby(by, sort=False, dropna=False)["value"]
    out = grouped.agg(mean="mean", std="std", n_runs="count").reset_index()
    n = out["n_runs"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(n >= 2, stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1)), np.nan)
        half = tq * out["std"].to_numpy() / np.sqrt(n)
    out.loc[n < 2, "std"] = np.nan
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out


def summarise_metrics(data: SweepData) -> pd.DataFrame:
    """``summary.csv``: group columns, metric, year, mean, std, ci_low, ci_high, n_runs.

    One row per group, metric of ``metrics.csv`` and year, across the group's seeds.
    """
    long, metrics = _long(data.metrics, [*data.keys, "seed", "year"], [])
    out = _aggregate(long, [*data.keys, "metric", "year"])
    out["metric"] = pd.Categorical(out["metric"], categories=metrics, ordered=True)
    out = _sorted(out, data.keys, ["metric", "year"])
    out["metric"] = out["metric"].astype(str)
    return out[[*data.keys, *SUMMARY_COLUMNS]].reset_index(drop=True)


@dataclass(frozen=True)
class Reference:
    """Which group every group is compared with: the one with ``key == value``.

    The reference of a group has the same values of every other group key.
    """

    key: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Reference:
        """``"baseline"`` (a scenario name) or ``"KEY=VALUE"`` (an override's value)."""
        if "=" in text:
            key, value = text.split("=", 1)
            return cls(key.lstrip("+") or "scenario", value)
        return cls("scenario", text)

    def __str__(self) -> str:
        return self.value if self.key == "scenario" else f"{self.key}={self.value}"

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows of ``frame`` (with the group columns) belong to the reference."""
        if self.key not in frame.columns:
            return pd.Series(False, index=frame.index)
        return frame[self.key].astype(str) == self.value


def _reference_of(group: tuple, keys: list[str], reference: Reference) -> tuple | None:
    if reference.key not in keys:
        return None
    position = keys.index(reference.key)
    return (*group[:position], reference.value, *group[position + 1 :])


def differences(
    long: pd.DataFrame, keys: list[str], by: list[str], reference: Reference
) -> pd.DataFrame:
    """Differences of each group's mean from its reference group's, with 95 % intervals.

    Args:
        long: Tidy values with the group columns, ``seed``, the ``by`` columns and ``value``.
        keys: Group columns.
        by: Further columns the difference is computed per (e.g. ``metric``, ``city_id``).
        reference: The reference group.

    Returns:
        Group columns, ``by``, ``delta`` (mean minus the reference's mean), ``delta_ci_low``,
        ``delta_ci_high``, ``n_pairs`` (seeds paired; 0 for an unpaired Welch interval),
        ``reference_mean``. Groups without a reference in the data are left out; the reference
        group itself has ``delta = 0``.
    """
    columns = [*keys, *by, "delta", "delta_ci_low", "delta_ci_high", "n_pairs", "reference_mean"]
    groups = {g: frame for g, frame in long.groupby(keys, sort=False, dropna=False)}
    parts = []
    for group, frame in groups.items():
        group = group if isinstance(group, tuple) else (group,)
        ref_key = _reference_of(group, keys, reference)
        if ref_key is None or ref_key not in groups:
            continue
        ref = groups[ref_key]
        if _pairable(frame, ref, by):
            mine = frame.pivot(index=by, columns="seed", values="value")
            theirs = ref.pivot(index=by, columns="seed", values="value")
            mine, theirs = mine.align(theirs, join="inner", axis=0)
            order = sorted(set(frame["seed"]))
            diff = mine[order].to_numpy(dtype=float) - theirs[order].to_numpy(dtype=float)
            delta, low, high, pairs = _paired(diff)
            reference_mean = theirs.mean(axis=1).to_numpy()
        else:  # other seeds, or several runs per seed (pooled): Welch's interval
            mine = frame.groupby(by, sort=False)["value"].agg(list).to_frame()
            theirs = ref.groupby(by, sort=False)["value"].agg(list).to_frame()
            mine, theirs = mine.align(theirs, join="inner", axis=0)
            rows = [
                welch_interval(np.array(a), np.array(b))
                for a, b in zip(mine["value"], theirs["value"], strict=True)
            ]
            delta, low, high = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
            pairs = np.zeros(len(mine), dtype=int)
            reference_mean = np.array([np.nanmean(b) for b in theirs["value"]], dtype=float)
        result = mine.index.to_frame(index=False)
        for column, value in zip(keys, group, strict=True):
            result.insert(keys.index(column), column, value)
        result["delta"] = delta
        result["delta_ci_low"] = low
        result["delta_ci_high"] = high
        result["n_pairs"] = pairs
        result["reference_mean"] = reference_mean
        parts.append(result)
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _pairable(frame: pd.DataFrame, ref: pd.DataFrame, by: list[str]) -> bool:
    """Both groups ran the same seeds, once each."""
    if set(frame["seed"]) != set(ref["seed"]):
        return False
    return not (frame.duplicated([*by, "seed"]).any() or ref.duplicated([*by, "seed"]).any())


def _paired(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise mean of paired differences, its t-interval bounds and the number of pairs."""
    ok = np.isfinite(diff)
    n = ok.sum(axis=1)
    filled = np.where(ok, diff, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / n
        var = (np.where(ok, diff - mean[:, None], 0.0) ** 2).sum(axis=1) / (n - 1)
        tq = stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, tq * np.sqrt(var) / np.sqrt(n), np.nan)
    return mean, mean - half, mean + half, n


def final_years(data: SweepData) -> pd.DataFrame:
    """The last year of each group (the smallest last year across its runs)."""
    last = data.metrics.groupby([*data.keys, "seed"], sort=False)["year"].max().reset_index()
    return last.groupby(data.keys, sort=False)["year"].min().reset_index()


def _at_final_year(frame: pd.DataFrame, data: SweepData) -> pd.DataFrame:
    final = final_years(data)
    return frame.merge(final, on=[*data.keys, "year"], how="inner")


def end_year_differences(data: SweepData, reference: Reference) -> pd.DataFrame:
    """``differences.csv``: each region-level metric in the final year minus the reference's.

    Columns: group columns, ``metric``, ``year``, ``mean``, ``reference_mean``, ``delta``,
    ``delta_ci_low``, ``delta_ci_high``, ``delta_pct`` (delta in % of the reference mean),
    ``n_runs``, ``n_pairs``.
    """
    final = _at_final_year(data.metrics, data)
    long, metrics = _long(final, [*data.keys, "seed", "year"], [])
    diff = differences(long, data.keys, ["metric", "year"], reference)
    stats_ = _aggregate(long, [*data.keys, "metric", "year"])[
        [*data.keys, "metric", "year", "mean", "n_runs"]
    ]
    out = stats_.merge(diff, on=[*data.keys, "metric", "year"], how="inner")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["delta_pct"] = 100.0 * out["delta"] / out["reference_mean"].abs()
    out.loc[out["reference_mean"] == 0, "delta_pct"] = np.nan
    out["metric"] = pd.Categorical(out["metric"], categories=metrics, ordered=True)
    out = _sorted(out, data.keys, ["metric"])
    out["metric"] = out["metric"].astype(str)
    columns = [
        *data.keys,
        "metric",
        "year",
        "mean",
        "reference_mean",
        "delta",
        "delta_ci_low",
        "delta_ci_high",
        "delta_pct",
        "n_runs",
        "n_pairs",
    ]
    return out[columns].reset_index(drop=True)


def summarise_cities(data: SweepData, reference: Reference) -> pd.DataFrame:
    """``city_summary.csv``: per group, city and metric of ``cities.csv`` in the final year.

    Columns: group columns, ``city_id``, ``metric``, ``year``, ``mean``, ``ci_low``,
    ``ci_high``, ``n_runs``, ``delta_vs_baseline`` (mean minus the reference group's mean;
    NaN where the group has no reference), ``delta_ci_low``, ``delta_ci_high``.
    """
    final = _at_final_year(data.cities, data)
    long, metrics = _long(final, [*data.keys, "seed", "year", "city_id"], ["name_en", "province"])
    summary = _aggregate(long, [*data.keys, "city_id", "metric", "year"])
    diff = differences(long, data.keys, ["city_id", "metric", "year"], reference)
    diff = diff.rename(columns={"delta": "delta_vs_baseline"}).drop(
        columns=["n_pairs", "reference_mean"]
    )
    out = summary.merge(diff, on=[*data.keys, "city_id", "metric", "year"], how="left")
    city_order = list(dict.fromkeys(final["city_id"]))
    out["city_id"] = pd.Categorical(out["city_id"], categories=city_order, ordered=True)
    out["metric"] = pd.Categorical(out["metric"], categories=metrics, ordered=True)
    out = _sorted(out, data.keys, ["city_id", "metric"])
    out["city_id"] = out["city_id"].astype(str)
    out["metric"] = out["metric"].astype(str)
    columns = [
        *data.keys,
        "city_id",
        "metric",
        "year",
        "mean",
        "ci_low",
        "ci_high",
        "n_runs",
        "delta_vs_baseline",
        "delta_ci_low",
        "delta_ci_high",
    ]
    return out[columns].reset_index(drop=True)


def yearly_differences(data: SweepData, reference: Reference) -> pd.DataFrame:
    """Each region-level metric minus the reference group's, every year, with 95 % intervals.

    Columns: group columns, ``metric``, ``year``, ``delta``, ``delta_ci_low``,
    ``delta_ci_high``, ``n_pairs``, ``reference_mean`` and ``delta_pct`` (the difference and
    its interval bounds in % of the reference mean: ``delta_pct``, ``delta_pct_ci_low``,
    ``delta_pct_ci_high``). The reference group itself is left out.
    """
    long, metrics = _long(data.metrics, [*data.keys, "seed", "year"], [])
    diff = differences(long, data.keys, ["metric", "year"], reference)
    diff = diff[~reference.matches(diff)].copy()
    scale = diff["reference_mean"].abs().where(diff["reference_mean"] != 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for column in ("delta", "delta_ci_low", "delta_ci_high"):
            diff[column.replace("delta", "delta_pct")] = 100.0 * diff[column] / scale
    if diff.empty:
        return diff.reset_index(drop=True)
    diff["metric"] = pd.Categorical(diff["metric"], categories=metrics, ordered=True)
    diff = _sorted(diff, data.keys, ["metric", "year"])
    diff["metric"] = diff["metric"].astype(str)
    return diff.reset_index(drop=True)


def all_runs_table(data: SweepData) -> pd.DataFrame:
    """``all_runs.csv``: every metric of every used run and year in one long table.

    Columns: ``run`` (folder, relative to the sweep folder), the group columns, ``seed``,
    ``overrides`` (the run's Hydra overrides), ``config_hash``, ``git_commit``, ``year``,
    ``metric`` and ``value``. It is what a reader needs to redo any statistic of the
    comparison with other tools.
    """
    info = pd.DataFrame(
        [
            {
                "seed": run.seed,
                "_group": tuple(
                    [run.scenario]
                    + [run.override_values().get(k, DEFAULT_VALUE) for k in data.keys[1:]]
                ),
                "run": "" if run.path is None else str(run.path.relative_to(data.root)),
                "overrides": " ".join(run.overrides),
                "config_hash": run.config_hash,
                "git_commit": run.git_commit,
            }
            for run in data.used
        ]
    )
    long, metrics = _long(data.metrics, [*data.keys, "seed", "year"], [])
    long["_group"] = list(zip(*(long[k] for k in data.keys), strict=True))
    out = long.merge(info, on=["_group", "seed"], how="left")
    out["metric"] = pd.Categorical(out["metric"], categories=metrics, ordered=True)
    out = _sorted(out, data.keys, ["seed", "metric", "year"])
    out["metric"] = out["metric"].astype(str)
    columns = [
        "run",
        *data.keys,
        "seed",
        "overrides",
        "config_hash",
        "git_commit",
        "year",
        "metric",
        "value",
    ]
    return out[columns].reset_index(drop=True)


def runs_table(data_or_runs: SweepData | list[Run], root: Path) -> pd.DataFrame:
    """``runs.csv``: every run with its status (used, failed, incomplete, missing, duplicate)."""
    runs = data_or_runs.runs if isinstance(data_or_runs, SweepData) else data_or_runs
    rows = []
    for run in runs:
        path = "" if run.path is None else str(run.path.relative_to(root))
        rows.append(
            {
                "run": path,
                "status": "used" if run.status == COMPLETE else run.status,
                "scenario": run.scenario,
                "seed": run.seed,
                "overrides": " ".join(run.overrides),
                "config_hash": run.config_hash,
                "git_commit": run.git_commit,
                "error": run.error,
            }
        )
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["run", "status"])
    order = {"used": 0, FAILED: 1, INCOMPLETE: 2, MISSING: 3, DUPLICATE: 4}
    return frame.sort_values(
        ["status", "run"], key=lambda c: c.map(order) if c.name == "status" else c, kind="stable"
    ).reset_index(drop=True)


def group_label(row: pd.Series | dict, keys: list[str]) -> str:
    """``"vouchers"`` or ``"vouchers, subsidy_rate=0.6"`` for a group's key values."""
    parts = [str(row["scenario"])]
    parts += [f"{k.rsplit('.', 1)[-1].rsplit('/', 1)[-1]}={row[k]}" for k in keys[1:]]
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# Voucher returns
# --------------------------------------------------------------------------------------------

#: Columns of ``voucher_returns.csv`` besides the group columns, with their meaning.
VOUCHER_RETURN_COLUMNS: dict[str, str] = {
    "extra_subsidy_rmb_million_per_year": "voucher value redeemed minus the reference's, mean "
    "over the years after the start (RMB million per year)",
    "extra_innovations_per_year": "innovations minus the reference's, mean per year",
    "extra_innovations_pct": "extra innovations in % of the reference's",
    "subsidy_rmb_per_additional_innovation": "extra voucher value / extra innovations (RMB)",
    "services_rmb_per_additional_innovation": "extra spending on R&D-service projects / extra "
    "innovations (RMB; vouchers and the firms' own share)",
    "inhouse_rmb_per_innovation": "in-house R&D / innovations from in-house R&D, this group (RMB)",
    "gdp_per_rmb_subsidy": "GDP gained over the run (sum of yearly GDP differences) per yuan "
    "of extra voucher value over the run",
    "end_year_gdp_per_rmb_annual_subsidy": "final-year GDP difference per yuan of mean yearly "
    "extra voucher value",
}


def voucher_return_row(mine: pd.DataFrame, ref: pd.DataFrame) -> dict[str, float]:
    """The voucher returns of one run against its reference run (both indexed by year)."""
    years = mine.index.intersection(ref.index)
    years = years[years > years.min()]
    m, r = mine.loc[years], ref.loc[years]

    def column(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(np.nan, index=frame.index)

    subsidy = float((m["voucher_spend"] - r["voucher_spend"]).sum()) * 1e6
    innovations = float((m["innovations"] - r["innovations"]).sum())
    services = float((column(m, "rd_services_spend") - column(r, "rd_services_spend")).sum())
    gdp = (m["gdp"] - r["gdp"]) * 1e9
    in_house = float(column(m, "rd_inhouse_spend").sum()) * 1e9
    in_house_innovations = float((m["innovations"] - column(m, "innovations_from_services")).sum())
    n = len(years)

    def ratio(a: float, b: float) -> float:
        return a / b if b and np.isfinite(b) else np.nan

    return {
        "extra_subsidy_rmb_million_per_year": subsidy / 1e6 / n if n else np.nan,
        "extra_innovations_per_year": innovations / n if n else np.nan,
        "extra_innovations_pct": 100 * ratio(innovations, float(r["innovations"].sum())),
        "subsidy_rmb_per_additional_innovation": ratio(subsidy, innovations),
        "services_rmb_per_additional_innovation": ratio(services * 1e9, innovations),
        "inhouse_rmb_per_innovation": ratio(in_house, in_house_innovations),
        "gdp_per_rmb_subsidy": ratio(float(gdp.sum()), subsidy),
        "end_year_gdp_per_rmb_annual_subsidy": ratio(float(gdp.iloc[-1]), subsidy / n)
        if n
        else np.nan,
    }


def voucher_returns(
    data: SweepData, reference: Reference, min_subsidy_rmb_million: float = 10.0
) -> pd.DataFrame:
    """``voucher_returns.csv``: what a yuan of extra voucher subsidy buys, by group and seed.

    Each group's run is compared with the reference group's run of the same seed (groups whose
    seeds have no reference run are left out), so the differences are those of the lever
    alone. Only groups that spend at least ``min_subsidy_rmb_million`` more a year on vouchers
    than the reference are kept; others would divide by (almost) zero (a scenario that leaves
    the voucher lever alone still spends a few million more or less, through its effect on
    firms).

    Returns:
        Group columns, ``seed`` and :data:`VOUCHER_RETURN_COLUMNS`.
    """
    keys = data.keys
    columns = [*keys, "seed", *VOUCHER_RETURN_COLUMNS]
    frames = {
        (g if isinstance(g, tuple) else (g,)): f.set_index("year")
        for g, f in data.metrics.groupby([*keys, "seed"], sort=False, dropna=False)
    }
    rows = []
    for group_seed, frame in frames.items():
        group, seed = group_seed[:-1], group_seed[-1]
        ref_group = _reference_of(group, keys, reference)
        if ref_group is None or ref_group == group or (*ref_group, seed) not in frames:
            continue
        row = voucher_return_row(frame, frames[(*ref_group, seed)])
        if not row["extra_subsidy_rmb_million_per_year"] >= min_subsidy_rmb_million:
            continue
        rows.append({**dict(zip(keys, group, strict=True)), "seed": seed, **row})
    if not rows:
        return pd.DataFrame(columns=columns)
    return _sorted(pd.DataFrame(rows), keys, ["seed"])[columns].reset_index(drop=True)
