"""Compose the Hydra configuration in-process (the boundary between Hydra and the core).

This is the only module besides the CLI that imports Hydra; the simulation core takes the
validated :class:`sim.config.schema.SimConfig` it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config.schema import CONFIG_DIR, ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.hydra.checks import to_plain_checked, translate_hydra_error


def to_plain(config: DictConfig) -> dict[str, Any]:
    """Resolve interpolations and drop Hydra's own node: plain data for validation."""
    plain = OmegaConf.to_container(config, resolve=True, throw_on_missing=True)
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    return plain


def load_config(
    overrides: list[str] | None = None, config_dir: str | Path | None = None
) -> SimConfig:
    """Compose ``configs/config.yaml`` with Hydra overrides and validate it.

    Args:
        overrides: Hydra overrides as on the command line, e.g.
            ``["scenario=integrated", "seed=3", "scenario.vouchers.subsidy_rate=0.6"]``.
        config_dir: A folder of the user's own configuration (as ``yrdsim --config-dir``):
            its groups (e.g. ``DIR/scenario/mine.yaml``) are added to yrdsim's, so
            ``scenario=mine`` finds it. A ``DIR/config.yaml`` is *not* used as the primary
            config (yrdsim's is).

    Returns:
        The validated configuration (the same one ``yrdsim`` runs with these overrides).

    Raises:
        ConfigError: The overrides do not compose, the result does not validate, or
            ``config_dir`` is not a folder.
    """
    overrides = list(overrides or [])
    if config_dir is not None:
        directory = Path(config_dir).expanduser().resolve()
        if not directory.is_dir():
            raise ConfigError(f"config_dir: {config_dir} is not a folder")
        overrides = [f"hydra.searchpath=[file://{directory}]", *overrides]
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            composed = compose(config_name="config", overrides=overrides)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as exc:
        raise translate_hydra_error(exc) from None
    return validate_config(to_plain_checked(composed))


#: The overrides of the hindcast (``configs/experiment/hindcast_2010.yaml``), figures off.
HINDCAST_OVERRIDES: tuple[str, ...] = ("experiment=hindcast_2010", "output.figures=false")


def hindcast_config(overrides: Sequence[str] = (), seed: int = 0) -> SimConfig:
    """The 2010 -> 2020 hindcast configuration with extra Hydra ``overrides`` and a seed."""
    return load_config([*HINDCAST_OVERRIDES, f"seed={seed}", *overrides])
