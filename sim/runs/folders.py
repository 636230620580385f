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
import os
import tempfile
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.schema import changes_results
from sim.core.recording import TABLE_UNITS
from sim.runs.atomic import TEMPORARY_PATTERN, OutputError, describe_os_error, write_text_atomic
from sim.runs.files import (
    CONFIG_FILE,
    FAILED_FILE,
    HYDRA_DIR,
    PROGRESS_DIR,
    PROVENANCE_FILE,
    SWEEP_FILE,
    read_json,
)
from sim.runs.provenance import data_folder_hash

#: Longest name of one file or folder (bytes) on common file systems.
NAME_MAX = 255

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


#: Columns of a run's tables that are never NaN in a run yrdsim wrote.
NAN_FREE_COLUMNS: dict[str, tuple[str, ...]] = {
    "metrics": ("year", "population", "gdp"),
    "cities": ("year", "city_id", "population"),
}


def run_problem(run_dir: str | Path) -> str | None:
    """Why a run folder does not hold a complete, usable run (``None``: it does).

    Complete means: ``provenance.json`` is a JSON object with ``"complete": true``, and every
    table it lists is there, readable, with the rows and columns it recorded and no NaN in the
    columns of :data:`NAN_FREE_COLUMNS`. A folder written before tables were recorded
    (no ``tables`` entry) is checked for the tables' presence and readability only.
    """
    folder = Path(run_dir)
    path = folder / PROVENANCE_FILE
    if not path.is_file():
        return "no provenance.json: the run was interrupted or is still running"
    record = read_json(path)
    if record is None:
        return "provenance.json is not a readable JSON object"
    if record.get("complete") is not True:
        return "provenance.json does not mark the run complete"
    tables = record.get("tables")
    expected = tables if isinstance(tables, dict) else {name: {} for name in TABLE_UNITS}
    for name, recorded in expected.items():
        table = folder / f"{name}.csv"
        if not table.is_file() and (folder / f"{name}.parquet").is_file():
            table = folder / f"{name}.parquet"  # a run written with output.format=parquet
        if not table.is_file():
            return f"{table.name} is missing"
        try:
            frame = pd.read_csv(table) if table.suffix == ".csv" else pd.read_parquet(table)
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"{table.name} cannot be read ({reason})"
        recorded = recorded if isinstance(recorded, dict) else {}
        columns = recorded.get("columns")
        if isinstance(columns, list):
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                return f"{table.name} misses column(s) {', '.join(missing[:5])}"
        rows = recorded.get("rows")
        if isinstance(rows, int) and len(frame) != rows:
            return f"{table.name} has {len(frame)} rows, {rows} were written (truncated or edited)"
        for column in NAN_FREE_COLUMNS.get(name, ()):
            if column in frame.columns and frame[column].isna().any():
                return f"{table.name}: column {column!r} holds empty or NaN values"
    return None


def is_complete(run_dir: str | Path) -> bool:
    """Whether a run folder holds a finished run whose tables are all there and intact."""
    return run_problem(run_dir) is None


def already_done(run_dir: Path, config_hash: str) -> bool:
    """Whether ``run_dir`` holds a complete run of the configuration with ``config_hash``.

    A folder that is complete but was produced by another configuration (the YAML or an
    override changed) or from other data (the content of the data folder changed since:
    ``data_hash`` of ``provenance.json``) is not done: the run is repeated and overwrites it,
    as is a run whose tables are missing or damaged (:func:`run_problem`).
    """
    if not is_complete(run_dir):
        return False
    record = read_json(Path(run_dir) / PROVENANCE_FILE) or {}
    if record.get("config_hash") != config_hash:
        return False
    config = read_json(Path(run_dir) / CONFIG_FILE) or {}
    data_dir = config.get("data_dir")
    recorded = record.get("data_hash")
    return recorded is not None and recorded == data_folder_hash(data_dir)


def recorded_commit(run_dir: Path) -> str | None:
    """The git commit recorded in a run folder's ``provenance.json``."""
    return (read_json(Path(run_dir) / PROVENANCE_FILE) or {}).get("git_commit")


def write_failure(run_dir: Path, error: BaseException, overrides: list[str]) -> Path | None:
    """Write ``failed.json`` (error type, message, traceback, overrides) into ``run_dir``.

    Best effort: where the folder cannot be written (the disk is full, it is read-only: often
    the very failure being recorded) nothing is written, ``None`` is returned and the caller's
    own report of the error stands.
    """
    record = {
        "failed": True,
        "error_type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error)),
        "overrides": overrides,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        return write_text_atomic(Path(run_dir) / FAILED_FILE, json.dumps(record, indent=2) + "\n")
    except OutputError:
        return None


def check_output_folder(path: str | Path, *, run: bool) -> None:
    """Refuse an output folder that cannot be written, or a run folder holding others' files.

    Checked before anything is simulated or created: a name too long, a part of the path
    that is a file, a folder (or its nearest existing parent) that cannot be written to. With
    ``run`` (the folder of one run, ``hydra.run.dir``), an existing folder that holds files
    yrdsim did not write is refused too: yrdsim would write its tables among them and remove
    figures from its ``figures/`` (see :func:`foreign_entries`).

    Raises:
        OutputError: Naming the path and the problem.
    """
    folder = Path(path).expanduser().absolute()
    for part in folder.parts:
        if len(part.encode()) > NAME_MAX:
            raise OutputError(
                f"{folder}: cannot write (the file name {part[:20]}... is too long: "
                f"{len(part.encode())} bytes, at most {NAME_MAX})"
            )
    existing = folder
    while not existing.exists():
        if existing.is_symlink():
            raise OutputError(f"{existing}: cannot write (a broken symbolic link)")
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{existing}: cannot write (it is a file, not a folder)")
    try:
        probe = tempfile.mkdtemp(prefix=".yrdsim-probe-", dir=existing)
        os.rmdir(probe)
    except OSError as exc:
        raise OutputError(describe_os_error(existing, exc, exact=True)) from None
    if run and existing == folder:
        foreign = foreign_entries(folder)
        if foreign:
            raise OutputError(
                f"{folder}: holds files yrdsim did not write ({', '.join(foreign[:4])}"
                f"{' ...' if len(foreign) > 4 else ''}); choose a new or empty folder for "
                "hydra.run.dir"
            )


#: What Hydra puts into a run folder before yrdsim writes anything.
_HYDRA_ENTRIES = {HYDRA_DIR, "yrdsim.log"}


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` holds (the remains of) a yrdsim run: something only yrdsim writes.

    Its ``provenance.json``, ``failed.json`` or ``config.json``, a hidden temporary file of
    :func:`sim.runs.atomic.write_atomic` (a run killed while writing), or a table whose header
    is exactly the one yrdsim writes.
    """
    record = read_json(folder / PROVENANCE_FILE)
    if record is not None and record.get("package") == "yrdsim":
        return True
    if (folder / FAILED_FILE).is_file() or (folder / CONFIG_FILE).is_file():
        return True
    if any(TEMPORARY_PATTERN.match(p.name) for p in folder.glob(".*")):
        return True
    for name, units in TABLE_UNITS.items():
        try:
            with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
                if handle.readline().strip() == ",".join(units):
                    return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


def foreign_entries(folder: Path) -> list[str]:
    """The entries of an existing folder that make it someone else's (empty: ours or empty).

    A yrdsim run folder (:func:`is_run_folder`) is ours; any other folder is ours only while it
    holds nothing but what Hydra writes first (``.hydra/``, ``yrdsim.log``).
    """
    if not folder.is_dir() or is_run_folder(folder):
        return []
    return sorted(p.name for p in folder.iterdir() if p.name not in _HYDRA_ENTRIES)


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
