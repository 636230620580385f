"""Evaluate points of the problem: one run per point, its named outcomes; batches on all cores.

One evaluation is one :func:`sim.simulate` of the base configuration with the point's levers
and uncertainties applied (:func:`sim.analysis.problem.apply_values`) and its outcomes read
(:func:`sim.analysis.problem.outcomes`). A batch evaluates many points in this process or in
worker processes (one per core by default), each of which:

* has the region's data and the base configuration once (loaded before the workers start and
  shared with them when processes fork, otherwise sent once to each worker);
* keeps the solved amenities of its earlier points (:class:`sim.core.amenities.AmenityCache`)
  and reuses them when a point's solve reads the same inputs, i.e. when it differs from an
  earlier point only in what the start does not depend on (voucher levers, the scenario's
  residency rules, transport projects opening after the start year);
* takes contiguous blocks of points, so that neighbouring points (a sweep over levers at
  fixed uncertainties) meet in one cache.

Every point is an independent run with its own configuration and seed, and the cache only
ever returns what the solve would compute, so a batch's outcomes are identical to evaluating
the points one by one (``tests/analysis/test_evaluation.py`` checks this).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import pandas as pd

from sim.analysis.problem import PROBLEM, Problem, apply_values, outcomes, points_frame
from sim.config.schema import ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.core.amenities import AmenityCache
from sim.core.data import RegionData, load_region_data
from sim.core.run import SimulationResult, simulate

#: Called after each finished block with ``(points done, points in all)``.
BatchProgress = Callable[[int, int], None]

#: What a batch keeps of each run: ``reduce(result, data)``.
Reducer = Callable[[SimulationResult, RegionData], Any]

#: The logger of the configuration's warnings (:func:`sim.config.checks.check_against_data`).
CONFIG_LOGGER = "yrdsim.config"

#: Keyword arguments of an evaluation that are not levers or uncertainties.
RUN_SETTINGS = ("seed", "persons_per_agent")


class Evaluator:
    """Evaluates points against one base configuration and the region's data, in this process.

    Args:
        base: The base configuration (scenario, horizon, scale and seed).
        data: The region's data; loaded from ``base.data_dir`` when omitted.
        problem: The specification of the levers, uncertainties and outcomes.
        cache_size: Most amenity solutions kept.
    """

    def __init__(
        self,
        base: SimConfig,
        data: RegionData | None = None,
        problem: Problem = PROBLEM,
        cache_size: int = 16,
    ) -> None:
        self.base = base
        self.data = data if data is not None else load_region_data(base.data_dir)
        self.problem = problem
        self.cache = AmenityCache(cache_size)

    def config(self, point: Mapping[str, Any]) -> SimConfig:
        """The configuration of ``point`` (levers, uncertainties, seed, persons_per_agent)."""
        values = dict(point)
        settings = {k: values.pop(k) for k in RUN_SETTINGS if k in values}
        config = apply_values(self.base, values, self.problem)
        if settings:
            for key, value in settings.items():
                if isinstance(value, bool) or int(value) != value or int(value) < (key != "seed"):
                    raise ConfigError(f"{key}: {value!r} is not allowed; allowed: a whole number")
            plain = config.model_dump(mode="json", by_alias=True)
            plain.update({k: int(v) for k, v in settings.items()})
            config = validate_config(plain)
        return config

    def evaluate(self, point: Mapping[str, Any], reduce: Reducer | None = None) -> Any:
        """The named outcomes of one run of ``point`` (or what ``reduce`` makes of the run).

        The configuration's warnings (e.g. transport projects delayed past the horizon, which
        an exploration of delays produces on purpose) are not logged for each point.

        Args:
            point: Levers, uncertainties, ``seed`` and ``persons_per_agent`` by name.
            reduce: Called with the run's :class:`~sim.core.run.SimulationResult` and the data
                instead of :func:`~sim.analysis.problem.outcomes` (a module-level function,
                so that worker processes can be sent it).
        """
        config = self.config(point)
        logger = logging.getLogger(CONFIG_LOGGER)
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            result = simulate(config, data=self.data, amenity_cache=self.cache)
        finally:
            logger.setLevel(level)
        if reduce is not None:
            return reduce(result, self.data)
        return outcomes(result, self.data, self.problem)


# One evaluator per worker process, made by the pool's initializer.
_WORKER: Evaluator | None = None


def _start_worker(base: SimConfig, data: RegionData | None, problem: Problem) -> None:
    global _WORKER
    # The workers share the cores: one BLAS thread each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER = Evaluator(base, data, problem)


def _evaluate_block(points: list[dict[str, Any]], reduce: Reducer | None) -> list[Any]:
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker not started")
    return [_WORKER.evaluate(p, reduce) for p in points]


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _blocks(count: int, jobs: int, block: int | None) -> list[list[int]]:
    size = block or max(1, min(8, -(-count // (4 * jobs))))
    return [list(range(start, min(start + size, count))) for start in range(0, count, size)]


def iter_batch(
    points: Sequence[Mapping[str, Any]] | pd.DataFrame,
    base: SimConfig,
    data: RegionData | None = None,
    *,
    n_jobs: int | None = None,
    problem: Problem = PROBLEM,
    block: int | None = None,
    blocks: Sequence[Sequence[int]] | None = None,
    reduce: Reducer | None = None,
) -> Iterator[tuple[list[int], list[Any]]]:
    """Evaluate ``points``, yielding each finished block ``(indices, outcomes)``.

    Blocks finish in any order; their indices say which points they hold. Every point is
    checked before any run starts (a bad value raises :class:`ConfigError` at once).

    Args:
        points: The points (``{name: value}``; a DataFrame's columns are names, NaN = not set).
        base: The base configuration.
        data: The region's data (loaded once when omitted).
        n_jobs: Worker processes (``None`` or negative: every core this process may use; 1: this
            process).
        problem: The specification.
        block: Points per block (default: up to 8, about four blocks per worker).
        blocks: The blocks themselves (lists of indices into ``points``; overrides ``block``).
        reduce: What to keep of each run (default: the problem's outcomes; see
            :meth:`Evaluator.evaluate`).
    """
    rows = points_frame(points, problem)
    data = data if data is not None else load_region_data(base.data_dir)
    checker = Evaluator(base, data, problem, cache_size=1)
    for row in rows:
        checker.config(row)
    jobs = default_jobs() if n_jobs is None or n_jobs < 0 else max(1, n_jobs)
    blocks = (
        [list(b) for b in blocks] if blocks is not None else _blocks(len(rows), jobs, block)
    )
    if jobs == 1 or len(blocks) <= 1:
        for indices in blocks:
            yield indices, [checker.evaluate(rows[i], reduce) for i in indices]
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(blocks)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(base, data, problem),
    ) as pool:
        pending: dict[Future[list[Any]], list[int]] = {
            pool.submit(_evaluate_block, [rows[i] for i in indices], reduce): indices
            for indices in blocks
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    indices = pending.pop(future)
                    yield indices, future.result()
        finally:
            for future in pending:
                future.cancel()


def evaluate_batch(
    points: Sequence[Mapping[str, Any]] | pd.DataFrame,
    base: SimConfig,
    data: RegionData | None = None,
    *,
    n_jobs: int | None = None,
    problem: Problem = PROBLEM,
    progress: BatchProgress | None = None,
) -> pd.DataFrame:
    """The outcomes of every point, one row per point in the points' order.

    Args:
        points: The points (see :func:`iter_batch`).
        base: The base configuration.
        data: The region's data (loaded once when omitted).
        n_jobs: Worker processes (``None``: all cores this process may use; 1: in-process).
        problem: The specification.
        progress: Called after each finished block with ``(done, total)``.

    Returns:
        One column per outcome (the problem's order), indexed like ``points``.
    """
    rows = points_frame(points, problem)
    results: list[dict[str, float] | None] = [None] * len(rows)
    done = 0
    for indices, values in iter_batch(rows, base, data, n_jobs=n_jobs, problem=problem):
        for i, value in zip(indices, values, strict=True):
            results[i] = value
        done += len(indices)
        if progress is not None:
            progress(done, len(rows))
    frame = pd.DataFrame(results, columns=problem.outcome_names)
    if isinstance(points, pd.DataFrame):
        frame.index = points.index
    return frame


def run_points(
    points: Sequence[Mapping[str, Any]],
    base: SimConfig,
    data: RegionData,
    reduce: Reducer,
    n_jobs: int | None = None,
) -> list[Any]:
    """``reduce`` of the run of each point, in order (one block per point)."""
    results: list[Any] = [None] * len(points)
    for indices, values in iter_batch(
        points, base, data, n_jobs=n_jobs, blocks=[[i] for i in range(len(points))], reduce=reduce
    ):
        for i, value in zip(indices, values, strict=True):
            results[i] = value
    return results
