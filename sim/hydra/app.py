"""The Hydra application behind ``yrdsim``: one run (or one job of a sweep) from the Hydra config.

Validate (pydantic, unless the command-line check already did), simulate, write. Errors in the
configuration or the data are reported as one short message and exit status 2; set
``YRDSIM_DEBUG=1`` to see the full traceback instead.

In a sweep (``yrdsim -m ...``) every run is isolated: a run whose folder already holds a complete
run of the same configuration is skipped, and a run that fails (bad configuration, data or an
error in the simulation) writes ``failed.json`` into its folder and the sweep goes on; the
command exits with status 1 after all runs if any failed (see :mod:`sim.hydra.sweep`).

The console command itself is :mod:`sim.cli.run`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config.schema import ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.core.data import DataError, RegionData, load_region_data
from sim.core.run import simulate
from sim.hydra.checks import Checked, plain_key
from sim.hydra.compose import to_plain
from sim.runs import folders
from sim.runs.output import write_run
from sim.runs.provenance import git_commit

log = logging.getLogger("yrdsim")


#: Configurations validated (by their plain form) and data loaded by the command-line check, so
#: that the run does not validate or load them a second time.
_checked = Checked()


def remember_checked(checked: Checked) -> None:
    """Hand the configurations and data of the command-line check to the runs of this process."""
    global _checked
    _checked = checked


def fail(message: str) -> None:
    """Report a configuration or data error in one line and exit with status 2."""
    if os.environ.get("YRDSIM_DEBUG"):
        raise
    print(f"yrdsim: error: {message}", file=sys.stderr)
    sys.exit(2)


def prepare(cfg: DictConfig) -> tuple[SimConfig, RegionData]:
    """Validate the composed config and load its data.

    Raises:
        ConfigError: The configuration is not valid.
        DataError: The data cannot be loaded.
    """
    plain = to_plain(cfg)
    config = _checked.configs.get(plain_key(plain)) or validate_config(plain)
    data = _checked.data.get(config.data_dir)
    return config, data if data is not None else load_region_data(config.data_dir)


def run(
    config: SimConfig, data: RegionData, out_dir: Path, overrides: list[str] | None = None
) -> Path:
    """Simulate a validated config and write the run folder, logging progress by year."""
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
    figures = None
    if config.output.figures:
        from sim.figures.run import run_figure_writer  # matplotlib only when drawing

        figures = run_figure_writer(result, data)
    write_run(
        result,
        out_dir,
        figures=figures,
        extra_provenance={"overrides": list(overrides or []), "output_dir": str(out_dir)},
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


def task(cfg: DictConfig, out_dir: Path, overrides: list[str], sweeping: bool) -> str:
    """Run one job: skip it if already done, isolate its failure in a folders.

    Args:
        cfg: The composed Hydra config of this job.
        out_dir: The job's output folder.
        overrides: The job's task overrides (recorded in provenance and failure markers).
        sweeping: Whether the job is part of a multirun.

    Returns:
        ``"ran"``, ``"skipped"`` or ``"failed"`` (the last only in a sweep; a single run that
        fails exits with status 2 for a configuration or data error, or raises).
    """
    try:
        config, data = prepare(cfg)
    except (ConfigError, DataError) as exc:
        if not sweeping:
            fail(f"invalid configuration or data:\n{exc}")
        folders.write_failure(out_dir, exc, overrides)
        log.error("run %s failed: invalid configuration or data:\n%s", out_dir, exc)
        return folders.FAILED
    if sweeping and folders.already_done(out_dir, config.config_hash()):
        log.info("skipping %s: already complete with the same configuration", out_dir)
        recorded, current = folders.recorded_commit(out_dir), git_commit(Path(__file__).parent)
        if recorded != current:
            log.warning(
                "%s was made by code version %s, not the current %s; delete the folder to "
                "run it again with this code",
                out_dir,
                recorded,
                current,
            )
        return folders.SKIPPED
    folders.clear_failure(out_dir)
    try:
        run(config, data, out_dir, overrides)
    except (ConfigError, DataError) as exc:  # checks against the data, made by the model
        if not sweeping:
            fail(f"invalid configuration or data:\n{exc}")
        folders.write_failure(out_dir, exc, overrides)
        log.error("run %s failed: invalid configuration or data:\n%s", out_dir, exc)
        return folders.FAILED
    except Exception as exc:
        folders.write_failure(out_dir, exc, overrides)
        if not sweeping:
            raise
        log.exception("run %s failed (the sweep goes on)", out_dir)
        return folders.FAILED
    return folders.RAN


@hydra.main(version_base="1.3", config_path="../../configs", config_name="config")
def hydra_main(cfg: DictConfig) -> str:
    """The Hydra task: one run (or one job of a sweep)."""
    hydra_cfg = HydraConfig.get()
    return task(
        cfg,
        Path(hydra_cfg.runtime.output_dir),
        list(hydra_cfg.overrides.task),
        sweeping=hydra_cfg.mode == RunMode.MULTIRUN,
    )


def terminate(signum: int, frame: object) -> None:
    """Turn SIGTERM into ``SystemExit(143)`` so ``finally`` blocks and clean-up run."""
    log.warning("terminated (signal %d); the run folder is left incomplete", signum)
    sys.exit(128 + signum)
