"""Sweeps with ``yrdsim -m``: Hydra's side of run folders, resume and progress.

The run-folder format (names, completeness, failure markers, progress lines) is
:mod:`sim.runs.folders`; this module connects it to Hydra:

* the ``yrdsim_run_name`` resolver used by ``hydra.run.dir`` and ``hydra.sweep.subdir``
  (:func:`sim.runs.folders.run_folder_name` of the job's overrides);
* :func:`expand_sweep`: the jobs of a sweep, as Hydra's basic sweeper makes them;
* :class:`SweepProgress`: a Hydra callback that writes ``sweep.json`` (the jobs of the sweep)
  into the sweep folder, logs "run k/N done, elapsed, ETA" after each job and, at the end,
  prints a summary and exits with status 1 if any run failed.

Progress is counted from small marker files in ``SWEEP_DIR/.progress/``, one per finished job,
so it works the same whether the jobs run in this process (basic launcher), in joblib workers
or in submitit jobs on other machines (the sweep folder must be on a shared file system).
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.runs.atomic import write_text_atomic
from sim.runs.files import FAILED_FILE, PROGRESS_DIR, SWEEP_FILE, read_json
from sim.runs.folders import (
    FAILED,
    RAN,
    SKIPPED,
    format_duration,
    progress_line,
    progress_markers,
    run_folder_name,
)

log = logging.getLogger("yrdsim.sweep")

def _run_name_resolver(*, _root_: DictConfig) -> str:
    overrides = OmegaConf.select(_root_, "hydra.overrides.task", default=[]) or []
    return run_folder_name(str(_root_.scenario.name), int(_root_.seed), [str(o) for o in overrides])


if not OmegaConf.has_resolver("yrdsim_run_name"):
    OmegaConf.register_new_resolver("yrdsim_run_name", _run_name_resolver)


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
        statuses = [m["status"] for m in progress_markers(sweep_dir)]
        elapsed = time.time() - float(sweep.get("started_epoch", time.time()))
        log.info("sweep progress: %s", progress_line(statuses, sweep.get("total"), elapsed))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print the sweep's summary; exit with status 1 if any run failed."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep = read_json(sweep_dir / SWEEP_FILE) or {}
        markers = progress_markers(sweep_dir)
        statuses = [m["status"] for m in markers]
        elapsed = time.time() - float(sweep.get("started_epoch", time.time()))
        total = sweep.get("total") or len(markers)
        print(
            f"yrdsim: sweep finished in {format_duration(elapsed)}: {total} runs, "
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


