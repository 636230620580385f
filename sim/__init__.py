"""yrdsim: an agent-based scenario simulator of Yangtze River Delta integration.

Python API for embedding the model::

    import sim
    config = sim.load_config(["scenario=integrated", "seed=1"])
    result = sim.simulate(config)
    result.metrics  # pandas DataFrame, one row per year

The simulation core (:mod:`sim.core.model`, :mod:`sim.core.run`) does not import Hydra; only
:func:`load_config` (through :mod:`sim.hydra.compose`) and the CLI do.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sim.config.schema import ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.core.data import DataError, load_region_data
from sim.core.model import YRDModel
from sim.core.run import SimulationResult, simulate

try:
    __version__ = version("yrdsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def load_config(overrides: list[str] | None = None) -> SimConfig:
    """Compose the Hydra configuration with ``overrides`` and validate it.

    Args:
        overrides: Hydra overrides as on the command line, e.g. ``["scenario=transport"]``.

    Returns:
        The validated :class:`SimConfig` that ``yrdsim`` would run with these overrides.
    """
    if isinstance(overrides, str) or not isinstance(overrides, list | tuple | type(None)):
        raise TypeError(
            f"load_config: overrides must be a list of 'key=value' texts, not "
            f"{type(overrides).__name__} (e.g. sim.load_config(['seed=1']))"
        )
    from sim.hydra.compose import load_config as compose_and_validate  # Hydra only when asked

    return compose_and_validate(overrides)


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
]
