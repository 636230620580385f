"""Run folders: their names, completeness, resume and failure markers, and sweep progress.

* :func:`run_folder_name`: a run's folder in a sweep is named from its overrides, not from its
  position in the sweep, so re-running a sweep with the overrides in another order finds the
  same folders (used by the ``yrdsim_run_name`` resolver of :mod:`sim.hydra.sweep`);
* :func:`is_complete` and :func:`already_done`: whether a run folder holds a complete run (of
  the same configuration: then the run is skipped);
* :func:`write_failure`: the ``failed.json`` marker of a run that raised;
* :func:`progress_line` and :func:`sweep_progress`: "run k/N done, elapsed, ETA" from the
  sweep folder's progress markers (``SWEEP_DIR/.progress/``, one per finished job), so it
  works the same whatever launcher ran the jobs.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim.config.schema import changes_results
from sim.runs.atomic import write_text_atomic
from sim.runs.files import FAILED_FILE, PROGRESS_DIR, PROVENANCE_FILE, SWEEP_FILE, read_json

#: Task statuses of a job of ``yrdsim`` (a failed job's run folder also holds ``failed.json``).
RAN, SKIPPED, FAILED = "ran", "skipped", "failed"

#: Override keys that do not distinguish runs in a folder name (or are part of it already).
_NAME_KEYS = {"scenario", "seed", "experiment"}


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


def is_complete(run_dir: str | Path) -> bool:
    """Whether a run folder holds a finished run (its ``provenance.json`` says so)."""
    return bool((read_json(Path(run_dir) / PROVENANCE_FILE) or {}).get("complete"))


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


def format_duration(seconds: float) -> str:
    """Seconds as ``H:MM:SS``."""
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
        f"elapsed {format_duration(elapsed)}"
    )
    if total:
        remaining = max(total - done, 0)
        if remaining == 0:
            text += ", sweep complete"
        elif worked:
            text += f", ETA {format_duration(elapsed / worked * remaining)}"
        else:
            text += ", ETA unknown"
    return text


def sweep_progress(sweep_dir: Path) -> str | None:
    """The progress line of a sweep folder, read from its files (any launcher, any machine).

    Returns:
        E.g. ``run 12/50 done (0 skipped, 0 failed), elapsed 0:01:10, ETA 0:03:42``, or
        ``None`` if the folder has no ``sweep.json`` (not a ``yrdsim -m`` folder).
    """
    sweep = read_json(Path(sweep_dir) / SWEEP_FILE)
    if sweep is None:
        return None
    markers = progress_markers(Path(sweep_dir))
    statuses = [m["status"] for m in markers]
    started = float(sweep.get("started_epoch", time.time()))
    total = sweep.get("total")
    finished = total is not None and len(markers) >= total and markers
    end = max(float(m.get("finished_epoch", started)) for m in markers) if finished else time.time()
    return progress_line(statuses, total, end - started)


def progress_markers(sweep_dir: Path) -> list[dict[str, Any]]:
    """The progress markers of the finished jobs of a sweep."""
    found = (read_json(p) for p in sorted((sweep_dir / PROGRESS_DIR).glob("*.json")))
    return [m for m in found if m is not None]
