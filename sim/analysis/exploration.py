"""Scenario discovery: sample levers x uncertainties, run them, find where a condition holds.

1. **Sample** (:func:`latin_hypercube`): a Latin hypercube over the chosen levers and
   uncertainties of :data:`sim.analysis.problem.PROBLEM` (numeric ones uniform between their
   bounds, whole-number ones rounded, categorical ones in equal shares of the unit interval),
   of a given size and seed. Parameters not chosen keep the base scenario's values.
2. **Run** (:func:`run_exploration`): the points through the batch path
   (:func:`sim.analysis.evaluation.iter_batch`), each finished block of points written at once
   (atomically) to ``OUT/blocks/``. A killed exploration started again with the same settings
   runs only the points of the blocks that are missing; one started with other settings in the
   same folder stops with an error naming what differs (nothing is deleted). The tidy table of
   inputs and outcomes, one row per point, is ``experiments.parquet`` and ``experiments.csv``.
3. **Discover** (:func:`discover`): PRIM (Friedman & Fisher 1999) on the points where a
   condition on an outcome holds (e.g. ``central_area_gdp_pc_ratio <= 1.2``), with EMA
   Workbench's implementation (the optional extra ``explore``): the peeling trajectory
   (coverage, density, restricted dimensions of every box), the chosen box (the densest box
   whose coverage is at least ``min_coverage`` and that restricts at most ``max_restricted``
   inputs; fewer restricted dimensions break ties), its
   limits and statistics, and extra-trees feature scores of every input for the condition
   and for each outcome (Jaxa-Rozen & Kwakkel 2018).

References:
    Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data.
    Statistics and Computing 9(2).
    Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a participatory,
    computer-assisted approach to scenario discovery. Technological Forecasting and Social
    Change 77(1).
    Kwakkel, J. H. (2017). The Exploratory Modeling Workbench. Environmental Modelling &
    Software 96.
    Jaxa-Rozen, M. & Kwakkel, J. H. (2018). Tree-based ensemble methods for sensitivity
    analysis of environmental models. Environmental Modelling & Software 107.
"""

from __future__ import annotations

import contextlib
import json
import operator
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.evaluation import iter_batch
from sim.analysis.problem import PROBLEM, Parameter, Problem
from sim.config.schema import ConfigError, SimConfig
from sim.core.data import RegionData
from sim.runs.atomic import write_atomic, write_text_atomic

SETTINGS_FILE = "exploration.json"
BLOCKS_DIR = "blocks"
TABLE_STEM = "experiments"

#: Comparison operators a condition may use.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}

_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|<|>)\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """A condition on one outcome, e.g. ``central_area_gdp_pc_ratio <= 1.2``.

    Attributes:
        outcome: The outcome's name.
        op: The comparison (``<=``, ``>=``, ``<``, ``>``).
        value: The threshold.
    """

    outcome: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str, problem: Problem = PROBLEM) -> Condition:
        """Read ``"<outcome> <op> <number>"`` (ConfigError naming what is allowed)."""
        match = _CONDITION.match(text)
        if match is None:
            raise ConfigError(
                f"condition {text!r} is not '<outcome> <op> <number>'; allowed operators: "
                f"{', '.join(OPERATORS)}, e.g. 'central_area_gdp_pc_ratio <= 1.2'"
            )
        name, op, number = match.groups()
        if name not in problem.outcome_names:
            raise ConfigError(
                f"condition: {name!r} is not an outcome; allowed: "
                f"{', '.join(problem.outcome_names)}"
            )
        try:
            value = float(number)
        except ValueError:
            raise ConfigError(f"condition: {number!r} is not a number") from None
        return cls(name, op, value)

    def holds(self, table: pd.DataFrame) -> np.ndarray:
        """Whether the condition holds in each row of ``table``."""
        return np.asarray(OPERATORS[self.op](table[self.outcome], self.value), dtype=bool)

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value:g}"


def latin_hypercube(
    parameters: Sequence[Parameter], size: int, seed: int
) -> pd.DataFrame:
    """A Latin hypercube sample of ``parameters`` (one column each, ``size`` rows).

    Numeric parameters are uniform between their bounds (whole-number ones rounded to the
    nearest whole number); a categorical one takes its ``k`` values in equal shares of the
    unit interval.
    """
    from scipy.stats import qmc

    if size < 1:
        raise ConfigError(f"sample size: {size} is not allowed; allowed: 1 or more")
    if not parameters:
        raise ConfigError("factors: none chosen; allowed: the problem's levers and uncertainties")
    unit = qmc.LatinHypercube(d=len(parameters), seed=seed).random(size)
    columns: dict[str, Any] = {}
    for j, p in enumerate(parameters):
        if p.categorical:
            values = list(p.values or ())
            picks = np.minimum((unit[:, j] * len(values)).astype(int), len(values) - 1)
            columns[p.name] = [values[k] for k in picks]
        else:
            x = p.low + unit[:, j] * (p.high - p.low)
            columns[p.name] = np.rint(x).astype(int) if p.integer else x
    return pd.DataFrame(columns)


def _block_path(out: Path, indices: Sequence[int]) -> Path:
    return out / BLOCKS_DIR / f"block_{indices[0]:06d}_{indices[-1] + 1:06d}.csv"


def _done_blocks(out: Path) -> dict[range, Path]:
    found = {}
    for path in sorted((out / BLOCKS_DIR).glob("block_*_*.csv")):
        parts = path.stem.split("_")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            found[range(int(parts[1]), int(parts[2]))] = path
    return found


def exploration_settings(
    base: SimConfig,
    names: Sequence[str],
    size: int,
    seed: int,
    block: int,
    problem: Problem = PROBLEM,
) -> dict[str, Any]:
    """What makes an exploration's points and outcomes (a resumed one must match it)."""
    return {
        "size": size,
        "sample_seed": seed,
        "factors": list(names),
        "block": block,
        "scenario": base.scenario.name,
        "model_seed": base.seed,
        "persons_per_agent": base.persons_per_agent,
        "start_year": base.start_year,
        "end_year": base.end_year,
        "base_config": json.loads(base.model_dump_json(by_alias=True)),
        "outcomes": problem.outcome_names,
    }


def run_exploration(
    out_dir: str | Path,
    base: SimConfig,
    data: RegionData,
    *,
    size: int,
    seed: int = 0,
    names: Sequence[str] | None = None,
    n_jobs: int | None = None,
    block: int = 8,
    problem: Problem = PROBLEM,
    progress: Callable[[int, int, float], None] | None = None,
) -> pd.DataFrame:
    """Sample, run (resuming what a killed run left), and write the table of the exploration.

    Args:
        out_dir: The exploration's folder (created if needed).
        base: The base configuration (scenario, seed, scale, horizon).
        data: The region's data.
        size: Points in the sample.
        seed: The sample's seed.
        names: The levers and uncertainties varied (all of them when ``None``).
        n_jobs: Worker processes (``None``: every core).
        block: Points per block (the unit of progress and of resuming).
        problem: The specification.
        progress: Called after each block with ``(points done, points in all, seconds)``.

    Returns:
        The table: ``point``, the inputs varied, then the outcomes, one row per point.

    Raises:
        ConfigError: A bad factor name, or the folder holds an exploration with other settings.
    """
    out = Path(out_dir)
    parameters = problem.select(names)
    chosen = [p.name for p in parameters]
    settings = exploration_settings(base, chosen, size, seed, block, problem)
    settings_path = out / SETTINGS_FILE
    if settings_path.exists():
        earlier = json.loads(settings_path.read_text(encoding="utf-8"))
        differ = [k for k in settings if earlier.get(k) != settings[k]]
        if differ:
            raise ConfigError(
                f"{out}: holds an exploration with other {', '.join(differ)}; allowed: the "
                "same settings to resume it, or another folder"
            )
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(settings_path, json.dumps(settings, indent=2) + "\n")
    sample = latin_hypercube(parameters, size, seed)
    sample.insert(0, "point", np.arange(size))
    write_atomic(out / "sample.csv", lambda p: sample.to_csv(p, index=False))
    done = _done_blocks(out)
    blocks = [range(s, min(s + block, size)) for s in range(0, size, block)]
    todo = [b for b in blocks if b not in done]
    points = sample.drop(columns="point").to_dict(orient="records")
    clock = time.perf_counter()
    finished = size - sum(len(b) for b in todo)
    if todo:
        for indices, values in iter_batch(
            points, base, data, n_jobs=n_jobs, problem=problem, blocks=[list(b) for b in todo]
        ):
            frame = pd.DataFrame(values, columns=problem.outcome_names)
            frame.insert(0, "point", list(indices))
            write_atomic(_block_path(out, indices), lambda p, f=frame: f.to_csv(p, index=False))
            finished += len(indices)
            if progress is not None:
                progress(finished, size, time.perf_counter() - clock)
    results = pd.concat(
        [pd.read_csv(path) for path in _done_blocks(out).values()], ignore_index=True
    ).sort_values("point")
    table = sample.merge(results, on="point", how="left", validate="one_to_one")
    write_table(out, table)
    record = {
        **settings,
        "complete": bool(table[problem.outcome_names].notna().all().all()),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_text_atomic(out / "exploration_done.json", json.dumps(record, indent=2) + "\n")
    return table


def write_table(out: Path, table: pd.DataFrame) -> None:
    """``experiments.csv`` and, if pyarrow (or fastparquet) is installed, ``.parquet``."""
    write_atomic(out / f"{TABLE_STEM}.csv", lambda p: table.to_csv(p, index=False))
    with contextlib.suppress(ImportError):
        write_atomic(out / f"{TABLE_STEM}.parquet", lambda p: table.to_parquet(p, index=False))


def read_table(out: Path) -> pd.DataFrame:
    """The experiments table of a finished exploration."""
    return pd.read_csv(Path(out) / f"{TABLE_STEM}.csv")


@dataclass
class Discovery:
    """What PRIM and feature scoring found for a condition.

    Attributes:
        condition: The condition.
        cases: Points where it holds.
        points: Points in all.
        trajectory: The peeling trajectory: one row per box (``box``, ``coverage``,
            ``density``, ``mass``, ``restricted_dims``, ``points``, ``cases``).
        chosen: Index of the chosen box in ``trajectory``.
        limits: The chosen box's limits: one row per restricted input (``factor``, ``low``,
            ``high`` for a numeric one; ``values`` for a categorical one; and the full range).
        scores: Feature scores: one row per input, one column for the condition and one per
            outcome.
    """

    condition: Condition
    cases: int
    points: int
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    scores: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """Coverage, density and mass of the chosen box, and the counts."""
        row = self.trajectory.iloc[self.chosen]
        return {
            "condition": str(self.condition),
            "points": self.points,
            "cases": self.cases,
            "chosen_box": int(self.chosen),
            "coverage": float(row["coverage"]),
            "density": float(row["density"]),
            "mass": float(row["mass"]),
            "restricted_dims": int(row["restricted_dims"]),
            "limits": self.limits.to_dict(orient="records"),
        }


def require_workbench() -> None:
    """Raise ConfigError if EMA Workbench (the ``explore`` extra) is not installed."""
    try:
        import ema_workbench  # noqa: F401
    except ImportError:
        raise ConfigError(
            "condition: PRIM needs EMA Workbench; install the optional extra: "
            "pip install -e '.[explore]'"
        ) from None


def _inputs(table: pd.DataFrame, names: Sequence[str], problem: Problem) -> pd.DataFrame:
    x = table[list(names)].copy()
    for name in names:
        p = problem.parameter(name)
        if p.categorical:
            x[name] = pd.Categorical(x[name].astype(str), categories=[str(v) for v in p.values])
        elif p.integer:
            x[name] = x[name].astype(np.int64)
        else:
            x[name] = x[name].astype(float)
    return x


def discover(
    table: pd.DataFrame,
    condition: Condition,
    names: Sequence[str],
    *,
    problem: Problem = PROBLEM,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    min_coverage: float = 0.5,
    max_restricted: int = 3,
    seed: int = 0,
) -> Discovery:
    """PRIM boxes and feature scores for the points where ``condition`` holds.

    Args:
        table: The experiments table (inputs and outcomes).
        condition: The condition on an outcome.
        names: The inputs varied (PRIM's dimensions).
        problem: The specification.
        threshold: PRIM's density threshold (peeling stops when a box reaches it).
        peel_alpha: Share of points peeled at each step.
        mass_min: Smallest share of points a box may hold.
        min_coverage: Least coverage of the chosen box.
        max_restricted: Most inputs the chosen box may restrict (few restricted inputs make
            a box a scenario one can state; Bryant & Lempert 2010).
        seed: Seed of the extra trees.

    Raises:
        ConfigError: The condition holds nowhere or everywhere (nothing to discover).
    """
    require_workbench()
    from ema_workbench.analysis import feature_scoring, prim
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    complete = table.dropna(subset=problem.outcome_names)
    y = condition.holds(complete)
    cases = int(y.sum())
    if cases in (0, len(y)):
        where = "no" if cases == 0 else "every"
        raise ConfigError(
            f"condition {condition}: holds at {where} point of {len(y)}; allowed: a condition "
            f"true at some points and false at others (range of {condition.outcome}: "
            f"{complete[condition.outcome].min():.4g} to {complete[condition.outcome].max():.4g})"
        )
    x = _inputs(complete, names, problem)
    import logging

    logging.getLogger("EMA").setLevel(logging.WARNING)
    finder = prim.Prim(x, y, threshold=threshold, peel_alpha=peel_alpha, mass_min=mass_min)
    box = finder.find_box()
    pt = box.peeling_trajectory
    trajectory = pd.DataFrame(
        {
            "box": pt["id"].astype(int),
            "coverage": pt["coverage"].astype(float),
            "density": pt["density"].astype(float),
            "mass": pt["mass"].astype(float),
            "restricted_dims": pt["res_dim"].astype(int),
            "points": pt["n"].astype(int),
            "cases": pt["k"].astype(int),
        }
    )
    eligible = trajectory[
        (trajectory["coverage"] >= min_coverage)
        & (trajectory["restricted_dims"] <= max_restricted)
    ]
    if eligible.empty:
        eligible = trajectory
    best = eligible.sort_values(
        ["density", "restricted_dims", "box"], ascending=[False, True, True], kind="stable"
    ).iloc[0]
    chosen = int(best["box"])
    limits = _limits(box.box_lims[chosen], box.box_lims[0], names, problem)

    scores = {}
    condition_scores, _ = feature_scoring.get_ex_feature_scores(
        x, y.astype(int), mode=RuleInductionType.CLASSIFICATION, random_state=seed
    )
    scores[str(condition)] = condition_scores.iloc[:, 0]
    for outcome in problem.outcome_names:
        values = complete[outcome].to_numpy(dtype=float)
        if np.ptp(values) == 0:
            continue
        found, _ = feature_scoring.get_ex_feature_scores(
            x, values, mode=RuleInductionType.REGRESSION, random_state=seed
        )
        scores[outcome] = found.iloc[:, 0]
    score_table = pd.DataFrame(scores).reindex(list(names))
    score_table.index.name = "factor"
    score_table = score_table.sort_values(str(condition), ascending=False).reset_index()
    return Discovery(condition, cases, len(y), trajectory, chosen, limits, score_table)


def _limits(
    box: pd.DataFrame, full: pd.DataFrame, names: Sequence[str], problem: Problem
) -> pd.DataFrame:
    rows = []
    for name in names:
        p = problem.parameter(name)
        if p.categorical:
            kept = sorted(box.loc[0, name], key=str)
            allowed = sorted(full.loc[0, name], key=str)
            if kept == allowed:
                continue
            rows.append(
                {
                    "factor": name,
                    "kind": p.kind,
                    "low": np.nan,
                    "high": np.nan,
                    "values": ", ".join(kept),
                    "range_low": np.nan,
                    "range_high": np.nan,
                    "range_values": ", ".join(allowed),
                }
            )
            continue
        low, high = float(box.loc[0, name]), float(box.loc[1, name])
        if low == float(full.loc[0, name]) and high == float(full.loc[1, name]):
            continue
        rows.append(
            {
                "factor": name,
                "kind": p.kind,
                "low": low,
                "high": high,
                "values": "",
                "range_low": float(full.loc[0, name]),
                "range_high": float(full.loc[1, name]),
                "range_values": "",
            }
        )
    columns = ["factor", "kind", "low", "high", "values", "range_low", "range_high"]
    return pd.DataFrame(rows, columns=[*columns, "range_values"])


def write_discovery(out: Path, found: Discovery) -> list[Path]:
    """Write the trajectory, the chosen box and the feature scores (CSV and JSON)."""
    folder = Path(out) / "discovery"
    tables = {
        "prim_trajectory.csv": found.trajectory,
        "prim_box.csv": found.limits,
        "feature_scores.csv": found.scores,
    }
    written = [
        write_atomic(folder / name, lambda p, t=table: t.to_csv(p, index=False))
        for name, table in tables.items()
    ]
    written.append(
        write_text_atomic(
            folder / "prim_box.json", json.dumps(found.summary(), indent=2, default=str) + "\n"
        )
    )
    return written
