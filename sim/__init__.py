"""yrdsim: an agent-based scenario simulator of Yangtze River Delta integration.

Python API for embedding the model::

    import sim
    config = sim.load_config(["scenario=integrated", "seed=1"])
    result = sim.simulate(config)
    result.metrics  # pandas DataFrame, one row per year
    sim.write_result(result, "outputs/mine")  # tables, datapackage.json, figures, provenance

Many runs over levers and uncertainties (named outcomes, all cores)::

    sim.problem().salib()                      # the SALib problem of the one specification
    sim.evaluate(voucher_subsidy_rate=0.6)     # {outcome: value} of one run
    sim.evaluate_batch(points)                 # one row per point, identical to evaluate

The simulation core (:mod:`sim.core.model`, :mod:`sim.core.run`) does not import Hydra; only
:func:`load_config` (through :mod:`sim.hydra.compose`) and the CLI do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from sim.analysis.problem import (
    BASE_SCENARIO,
    DEFAULT_END_YEAR,
    DEFAULT_PERSONS_PER_AGENT,
    PROBLEM,
    Problem,
)
from sim.config.schema import ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.core.data import DataError, RegionData, load_region_data
from sim.core.model import YRDModel
from sim.core.run import SimulationResult, simulate

try:
    __version__ = version("yrdsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def load_config(
    overrides: list[str] | None = None, config_dir: str | Path | None = None
) -> SimConfig:
    """Compose the Hydra configuration with ``overrides`` and validate it.

    Args:
        overrides: Hydra overrides as on the command line, e.g. ``["scenario=transport"]``.
        config_dir: A folder of your own configuration, as ``yrdsim --config-dir``: e.g. with
            ``DIR/scenario/mine.yaml``, ``load_config(["scenario=mine"], config_dir=DIR)``.

    Returns:
        The validated :class:`SimConfig` that ``yrdsim`` would run with these overrides.
    """
    if isinstance(overrides, str) or not isinstance(overrides, list | tuple | type(None)):
        raise TypeError(
            f"load_config: overrides must be a list of 'key=value' texts, not "
            f"{type(overrides).__name__} (e.g. sim.load_config(['seed=1']))"
        )
    from sim.hydra.compose import load_config as compose_and_validate  # Hydra only when asked

    return compose_and_validate(overrides, config_dir=config_dir)


def write_result(
    result: SimulationResult,
    out_dir: str | Path,
    *,
    figures: bool = True,
    data: RegionData | None = None,
) -> list[Path]:
    """Write a result's tables, ``datapackage.json``, figures and provenance into a folder.

    The folder is laid out like a ``yrdsim`` run folder (tables as ``result.config.output.format``
    says; ``yrdsim-reproduce`` can re-run it).

    Args:
        result: From :func:`simulate`.
        out_dir: The folder (created if missing).
        figures: Also draw the run's figures (PNG and PDF) into ``out_dir/figures``.
        data: The data the run used, for the map (loaded from the config's ``data_dir`` if
            omitted).

    Returns:
        The paths written.
    """
    from sim.runs.output import write_run

    writer = None
    if figures:
        from sim.figures.run import run_figure_writer  # matplotlib only when drawing

        region = data if data is not None else load_region_data(result.config.data_dir)
        writer = run_figure_writer(result, region)
    return write_run(result, out_dir, figures=writer)


def _base_config(scenario: str, end_year: int) -> SimConfig:
    """The base configuration of an evaluation (composed once per process and arguments)."""
    key = (scenario, end_year)
    if key not in _BASE_CONFIGS:
        _BASE_CONFIGS[key] = load_config(
            [f"scenario={scenario}", f"end_year={end_year}", "output.figures=false"]
        )
    return _BASE_CONFIGS[key]


_BASE_CONFIGS: dict[tuple[str, int], SimConfig] = {}


def problem() -> Problem:
    """The one specification of levers, uncertainties and outcomes (``yrdsim-spec`` prints it).

    ``problem().salib()`` is a SALib problem dict; ``problem().to_dict()`` the JSON form.
    """
    return PROBLEM


def evaluate(
    *,
    seed: int = 0,
    persons_per_agent: int = DEFAULT_PERSONS_PER_AGENT,
    scenario: str = BASE_SCENARIO,
    end_year: int = DEFAULT_END_YEAR,
    **levers_and_uncertainties: float | str | bool,
) -> dict[str, float]:
    """Named outcomes of one run with the given levers and uncertainties.

    Example::

        sim.evaluate(voucher_subsidy_rate=0.6, **{"migration.real_wage_weight": 2.0})

    Args:
        seed: The model's seed.
        persons_per_agent: Residents per talent agent.
        scenario: The base scenario the levers act on.
        end_year: Last simulated year.
        **levers_and_uncertainties: Values by name (see :func:`problem`); the others keep
            the base scenario's and ``configs/params/default.yaml``'s values.

    Returns:
        Outcome name -> value (see ``problem().outcomes``).

    Raises:
        ConfigError: An unknown name or a value outside its bounds or allowed values.
    """
    from sim.analysis.evaluation import Evaluator

    base = _base_config(scenario, end_year)
    point = {**levers_and_uncertainties, "seed": seed, "persons_per_agent": persons_per_agent}
    evaluator = _EVALUATORS.get(id(base))
    if evaluator is None:
        evaluator = _EVALUATORS[id(base)] = Evaluator(base)
    return evaluator.evaluate(point)


_EVALUATORS: dict[int, object] = {}


def evaluate_batch(
    points: Sequence[Mapping[str, float | str | bool]] | pd.DataFrame,
    *,
    seed: int = 0,
    persons_per_agent: int = DEFAULT_PERSONS_PER_AGENT,
    scenario: str = BASE_SCENARIO,
    end_year: int = DEFAULT_END_YEAR,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Named outcomes of many points, on all local cores; identical to :func:`evaluate` each.

    Args:
        points: ``{name: value}`` per point, or a DataFrame with one column per name (a point
            may also set its own ``seed`` or ``persons_per_agent``).
        seed: The model's seed of points that do not set their own.
        persons_per_agent: Residents per talent agent of points that do not set their own.
        scenario: The base scenario the levers act on.
        end_year: Last simulated year.
        n_jobs: Worker processes (``None``: every core; 1: in this process).

    Returns:
        One row per point (in order), one column per outcome.
    """
    from sim.analysis.evaluation import evaluate_batch as run_batch
    from sim.analysis.problem import points_frame

    rows = [
        {"seed": seed, "persons_per_agent": persons_per_agent, **row}
        for row in points_frame(points)
    ]
    frame = run_batch(rows, _base_config(scenario, end_year), n_jobs=n_jobs)
    if isinstance(points, pd.DataFrame):
        frame.index = points.index
    return frame


__all__ = [
    "ConfigError",
    "DataError",
    "Problem",
    "SimConfig",
    "SimulationResult",
    "YRDModel",
    "__version__",
    "evaluate",
    "evaluate_batch",
    "load_config",
    "load_region_data",
    "problem",
    "simulate",
    "validate_config",
    "write_result",
]
