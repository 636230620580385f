"""Sweeps with ``yrdsim -m``: stable run folders, resume, failure markers and progress.

This module is part of the CLI boundary (it imports Hydra); the simulation core never imports
it. It provides

* :func:`run_folder_name` and the ``yrdsim_run_name`` resolver used by ``hydra.sweep.subdir``:
  a run's folder is named from its overrides, not from its position in the sweep, so re-running
  a sweep with the overrides in another order finds the same folders;
* :func:`already_done`: whether a run folder holds a complete run of the same configuration
  (then the run is skipped);
* :func:`write_failure`: the ``failed.json`` marker of a run that raised;
* :class:`SweepProgress`: a Hydra callback that writes ``sweep.json`` (the jobs of the sweep)
  into the sweep folder, logs "run k/N done, elapsed, ETA" after each job and, at the end,
  prints a summary and exits with status 1 if any run failed.

Progress is counted from small marker files in ``SWEEP_DIR/.progress/``, one per finished job,
so it works the same whether the jobs run in this process (basic launcher), in joblib workers
or in submitit jobs on other machines (the sweep folder must be on a shared file system).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config.schema import changes_results
from sim.runs.atomic import write_text_atomic
from sim.runs.output import PROVENANCE_FILE, is_complete

log = logging.getLogger("yrdsim.sweep")

FAILED_FILE = "failed.json"
SWEEP_FILE = "sweep.json"
PROGRESS_DIR = ".progress"

#: Task statuses returned by the ``yrdsim`` task function.
RAN, SKIPPED, FAILED = "ran", "skipped", "failed"

#: Override keys that do not distinguish runs in a folder name (or are part of it already).
_NAME_KEYS = {"scenario", "seed", "experiment"}


# --------------------------------------------------------------------------------------------
# Run folder names
# --------------------------------------------------------------------------------------------


def override_key(override: str) -> str:
    """The key of a ``key=value`` override, without Hydra's ``+``/``++``/``~`` prefixes."""
    return override.split("=", 1)[0].lstrip("+~")


def run_folder_name(scenario: str, seed: int, overrides: list[str]) -> str:
    """Folder name of a run in a sweep: ``<scenario>_seed<seed>[_<hash>]``.

    The hash (8 hex digits) is of the sorted overrides other than ``scenario``, ``seed``,
    ``experiment`` and the output options (``output.*``, which change no number), so it
    does not depend on the order of the overrides and two runs differing in any other
    override (a lever, a parameter) get different folders.

    Args:
        scenario: The scenario's name.
        seed: The run's seed.
        overrides: The run's task overrides (``hydra.overrides.task``).

    Returns:
        A folder name without path separators.
    """
    others = sorted(
        o
        for o in overrides
        if override_key(o) not in _NAME_KEYS and changes_results(override_key(o))
    )
    name = f"{scenario}_seed{seed}"
    if others:
        name += "_" + hashlib.sha256("\n".join(others).encode()).hexdigest()[:8]
    return name.replace("/", "-").replace("\\", "-")


def _run_name_resolver(*, _root_: DictConfig) -> str:
    overrides = OmegaConf.select(_root_, "hydra.overrides.task", default=[]) or []
    return run_folder_name(str(_root_.scenario.name), int(_root_.seed), [str(o) for o in overrides])


if not OmegaConf.has_resolver("yrdsim_run_name"):
    OmegaConf.register_new_resolver("yrdsim_run_name", _run_name_resolver)


# --------------------------------------------------------------------------------------------
# Resume and failure markers
# --------------------------------------------------------------------------------------------


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` if it is missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def already_done(run_dir: Path, config_hash: str) -> bool:
    """Whether ``run_dir`` holds a complete run of the configuration with ``config_hash``.

    A folder that is complete but was produced by another configuration (the YAML or an
    override changed) is not done: the run is repeated and overwrites it.
    """
    if not is_complete(run_dir):
        return False
    record = read_json(Path(run_dir) / PROVENANCE_FILE) or {}
    return record.get("config_hash") == config_hash


def recorded_commit(run_dir: Path) -> str | None:
    """The git commit recorded in a run folder's ``provenance.json``."""
    return (read_json(Path(run_dir) / PROVENANCE_FILE) or {}).get("git_commit")


def write_failure(run_dir: Path, error: BaseException, overrides: list[str]) -> Path:
    """Write ``failed.json`` (error type, message, traceback, overrides) into ``run_dir``."""
    record = {
        "failed": True,
        "error_type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error)),
        "overrides": overrides,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return write_text_atomic(Path(run_dir) / FAILED_FILE, json.dumps(record, indent=2) + "\n")


def clear_failure(run_dir: Path) -> None:
    """Remove a ``failed.json`` left by an earlier attempt of this run."""
    (Path(run_dir) / FAILED_FILE).unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# The jobs of a sweep
# --------------------------------------------------------------------------------------------


def expand_sweep(params: dict[str, str] | None, arguments: list[str]) -> list[list[str]] | None:
    """The overrides of every job that Hydra's basic sweeper makes of ``params`` and arguments.

    Args:
        params: ``hydra.sweeper.params`` (``key: "a,b,c"``), may be ``None``.
        arguments: The command-line task overrides (``hydra.overrides.task``).

    Returns:
        One list of overrides per job, in Hydra's order; ``None`` if they cannot be expanded
        here (e.g. a glob over a config group).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.hydra.private import split_sweep

    lines = [f"{key}={value}" for key, value in (params or {}).items()] + list(arguments)
    try:
        overrides = OverridesParser.create().parse_overrides(lines)
        batches = split_sweep(overrides)
    except Exception:  # an unusual sweep only loses the progress total
        return None
    return [list(job) for batch in batches for job in batch]


def _format_duration(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def progress_line(statuses: list[str], total: int | None, elapsed: float) -> str:
    """One line of sweep progress: runs done of the total, elapsed time and estimate.

    The estimate assumes the remaining runs take as long, per run actually simulated, as those
    done so far (skipped runs take no time); with parallel workers the elapsed wall time already
    reflects the parallelism.

    Args:
        statuses: Status of each finished job (``ran``, ``skipped``, ``failed``).
        total: Number of jobs in the sweep, if known.
        elapsed: Wall seconds since the sweep started.

    Returns:
        E.g. ``run 3/10 done (1 skipped, 0 failed), elapsed 0:00:12, ETA 0:00:28``.
    """
    done = len(statuses)
    skipped = statuses.count(SKIPPED)
    failed = statuses.count(FAILED)
    worked = done - skipped
    of = f"/{total}" if total else ""
    text = (
        f"run {done}{of} done ({skipped} skipped, {failed} failed), "
        f"elapsed {_format_duration(elapsed)}"
    )
    if total:
        remaining = max(total - done, 0)
        if remaining == 0:
            text += ", sweep complete"
        elif worked:
            text += f", ETA {_format_duration(elapsed / worked * remaining)}"
        else:
            text += ", ETA unknown"
    return text


class SweepProgress(Callback):
    """Hydra callback: sweep bookkeeping for ``yrdsim -m`` (registered in ``config.yaml``).

    * ``on_multirun_start``: writes ``SWEEP_DIR/sweep.json`` (start time, the overrides of each
      job) and clears the progress markers of an earlier sweep into the same folder;
    * ``on_job_end`` (in whichever process ran the job): writes the job's progress marker and
      logs ``run k/N done (s skipped, f failed), elapsed, ETA``;
    * ``on_multirun_end``: prints a summary; if any run failed, lists them on stderr and exits
      with status 1 (after every job has run and written its outputs).

    Single runs (``yrdsim`` without ``-m``) are not affected.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Record the sweep's jobs and start time; clear old progress markers."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(sweep_dir / PROGRESS_DIR, ignore_errors=True)
        (sweep_dir / PROGRESS_DIR).mkdir()
        node = config.hydra.sweeper.get("params")
        params = {} if node is None else OmegaConf.to_container(node, resolve=False)
        arguments = [str(o) for o in config.hydra.overrides.task]
        target = str(config.hydra.sweeper.get("_target_", ""))
        jobs = expand_sweep(params, arguments) if target.endswith(".BasicSweeper") else None
        record = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "started_epoch": time.time(),
            "sweep_dir": str(sweep_dir),
            "launcher": str(config.hydra.launcher.get("_target_", "")),
            "arguments": arguments,
            "total": len(jobs) if jobs is not None else None,
            "jobs": jobs,
        }
        write_text_atomic(sweep_dir / SWEEP_FILE, json.dumps(record, indent=2) + "\n")
        total = f"{len(jobs)} runs" if jobs is not None else "a sweep"
        log.info("starting %s into %s", total, sweep_dir)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """Write this job's progress marker and log the sweep's progress."""
        if OmegaConf.select(config, "hydra.mode") != RunMode.MULTIRUN:
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        markers = sweep_dir / PROGRESS_DIR
        status = FAILED  # the task raised (Hydra keeps the error until the sweep ends)
        if job_return.status == JobStatus.COMPLETED and job_return.return_value in (RAN, SKIPPED):
            status = job_return.return_value
        number = int(config.hydra.job.num)
        marker = {
            "num": number,
            "status": status,
            "output_dir": str(config.hydra.runtime.output_dir),
            "overrides": [str(o) for o in config.hydra.overrides.task],
            "finished_epoch": time.time(),
        }
        write_text_atomic(markers / f"{number:06d}.json", json.dumps(marker) + "\n")
        sweep = read_json(sweep_dir / SWEEP_FILE) or {}
        statuses = [m["status"] for m in _markers(sweep_dir)]
        elapsed = time.time() - float(sweep.get("started_epoch", time.time()))
        log.info("sweep progress: %s", progress_line(statuses, sweep.get("total"), elapsed))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print the sweep's summary; exit with status 1 if any run failed."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep = read_json(sweep_dir / SWEEP_FILE) or {}
        markers = _markers(sweep_dir)
        statuses = [m["status"] for m in markers]
        elapsed = time.time() - float(sweep.get("started_epoch", time.time()))
        total = sweep.get("total") or len(markers)
        print(
            f"yrdsim: sweep finished in {_format_duration(elapsed)}: {total} runs, "
            f"{statuses.count(RAN)} ran, {statuses.count(SKIPPED)} skipped (already complete), "
            f"{statuses.count(FAILED)} failed; outputs in {sweep_dir}",
            flush=True,
        )
        failed = [m for m in markers if m["status"] == FAILED]
        if failed:
            lines = []
            for m in failed:
                record = read_json(Path(m["output_dir"]) / FAILED_FILE) or {}
                reason = f"{record.get('error_type', 'error')}: {record.get('message', '?')}"
                lines.append(f"  {m['output_dir']}: {reason.splitlines()[0]}")
            print(
                f"yrdsim: error: {len(failed)} of {total} runs failed (the others' outputs are "
                "kept; see failed.json in each folder):\n" + "\n".join(lines),
                file=sys.stderr,
                flush=True,
            )
            sys.exit(1)


def sweep_progress(sweep_dir: Path) -> str | None:
    """The progress line of a sweep folder, read from its files (any launcher, any machine).

    Returns:
        E.g. ``run 12/50 done (0 skipped, 0 failed), elapsed 0:01:10, ETA 0:03:42``, or
        ``None`` if the folder has no ``sweep.json`` (not a ``yrdsim -m`` folder).
    """
    sweep = read_json(Path(sweep_dir) / SWEEP_FILE)
    if sweep is None:
        return None
    markers = _markers(Path(sweep_dir))
    statuses = [m["status"] for m in markers]
    started = float(sweep.get("started_epoch", time.time()))
    total = sweep.get("total")
    finished = total is not None and len(markers) >= total and markers
    end = max(float(m.get("finished_epoch", started)) for m in markers) if finished else time.time()
    return progress_line(statuses, total, end - started)


def _markers(sweep_dir: Path) -> list[dict[str, Any]]:
    found = (read_json(p) for p in sorted((sweep_dir / PROGRESS_DIR).glob("*.json")))
    return [m for m in found if m is not None]
