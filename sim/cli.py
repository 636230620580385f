"""The ``yrdsim`` command: run one scenario (or, with ``-m``, a sweep) from the Hydra config.

Thin by design: compose (Hydra), validate (pydantic), simulate, write. Errors in the
configuration or the data are reported as one short message and exit status 2; set
``YRDSIM_DEBUG=1`` to see the full traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.compose import to_plain
from sim.config import ConfigError, validate_config
from sim.data import DataError, load_region_data
from sim.output import write_run
from sim.run import simulate

log = logging.getLogger("yrdsim")


def _fail(message: str) -> None:
    if os.environ.get("YRDSIM_DEBUG"):
        raise
    print(f"yrdsim: error: {message}", file=sys.stderr)
    sys.exit(2)


def run(cfg: DictConfig, out_dir: Path) -> Path:
    """Validate the composed config, simulate and write the run folder."""
    try:
        config = validate_config(to_plain(cfg))
        data = load_region_data(config.data_dir)
        log.info(
            "scenario %s, seed %d, %d-%d, %d persons per agent -> %s",
            config.scenario.name,
            config.seed,
            config.start_year,
            config.end_year,
            config.persons_per_agent,
            out_dir,
        )

        def progress(year: int, start: int, end: int) -> None:
            log.info("year %d (%d/%d)", year, year - start, end - start)

        result = simulate(config, data=data, progress=progress)
    except (ConfigError, DataError) as exc:
        _fail(f"invalid configuration or data:\n{exc}")
    overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
    write_run(
        result,
        out_dir,
        data,
        figures=config.output.figures,
        extra_provenance={"overrides": overrides, "output_dir": str(out_dir)},
    )
    last = result.metrics.iloc[-1]
    log.info(
        "done in %.1f s: %d population, GDP RMB %.0f bn, %d innovations in %d; outputs in %s",
        result.timing["wall_seconds"],
        last["population"],
        last["gdp"],
        last["innovations"],
        last["year"],
        out_dir,
    )
    return out_dir


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    """Entry point of the ``yrdsim`` console script."""
    run(cfg, Path(HydraConfig.get().runtime.output_dir))


if __name__ == "__main__":
    main()
