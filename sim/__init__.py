"""yrdsim: an agent-based scenario simulator of Yangtze River Delta integration.

Python API for embedding the model::

    import sim
    config = sim.load_config(["scenario=integrated", "seed=1"])
    result = sim.simulate(config)
    result.metrics  # pandas DataFrame, one row per year
    sim.write_result(result, "outputs/mine")  # tables, datapackage.json, figures, provenance

The simulation core (:mod:`sim.core.model`, :mod:`sim.core.run`) does not import Hydra; only
:func:`load_config` (through :mod:`sim.hydra.compose`) and the CLI do.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

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


__all__ = [
    "ConfigError",
    "DataError",
    "SimConfig",
    "SimulationResult",
    "YRDModel",
    "__version__",
    "load_config",
    "load_region_data",
    "simulate",
    "validate_config",
    "write_result",
]
