"""Sweeps with ``yrdsim -m``: Hydra's side of run folders, resume and progress.

The run-folder format (names, completeness, failure markers, progress lines) is
:mod:`sim.runs.folders`; this module connects it to Hydra:

* the ``yrdsim_run_name`` resolver used by ``hydra.run.dir`` and ``hydra.sweep.subdir``
  (:func:`sim.runs.folders.run_folder_name` of the job's overrides);
* :func:`expand_sweep`: the jobs of a sweep, as Hydra's basic sweeper makes them;
* :class:`SweepProgress`: a Hydra callback that writes ``sweep.json`` (the jobs of the sweep)
  into the sweep folder, logs "run k/N done, elapsed, ETA" after each job and, at the end,
  prints a summary and exits with status 1 if any run failed.

* :class:`ReportingSlurmLauncher`: Hydra's submitit Slurm launcher (``hydra/launcher=slurm``,
  named for Hydra in ``hydra_plugins.yrdsim_launcher``) made to report every job: a job that
  Slurm ends before its run finished (``scancel``, time limit, node failure, out of memory) is
  marked failed (``failed.json`` and its progress marker) instead of stopping the sweep, and a
  run that fails also fails its Slurm job, so ``sacct`` shows ``FAILED`` rather than
  ``COMPLETED`` (hydra#1928).

Progress is counted from small marker files in ``SWEEP_DIR/.progress/``, one per finished job,
so it works the same whether the jobs run in this process (basic launcher), in joblib workers
or in submitit jobs on other machines (the sweep folder must be on a shared file system).

``sweep.json`` accumulates: each ``yrdsim -m`` into the same sweep folder adds its jobs to
``jobs`` (every job of every invocation, what ``yrdsim-compare`` expects to find) and itself to
``invocations``; ``started``, ``arguments``, ``launcher`` and ``total`` are those of the latest
invocation (its progress).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import (
    SlurmLauncher as SubmititSlurmLauncher,
)
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config.schema import changes_results
from sim.runs.atomic import write_text_atomic
from sim.runs.files import FAILED_FILE, PROGRESS_DIR, SWEEP_FILE, read_json
from sim.runs.folders import (
    FAILED,
    RAN,
    SKIPPED,
    format_duration,
    is_complete,
    override_key,
    progress_line,
    progress_markers,
    run_folder_name,
    write_failure,
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


def merge_sweep_record(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """The ``sweep.json`` of a sweep folder after one more invocation into it.

    Args:
        previous: The folder's ``sweep.json`` before this invocation (``None``: a new folder).
            A record written before invocations were kept counts as one invocation.
        current: This invocation: ``started``, ``started_epoch``, ``sweep_dir``, ``launcher``,
            ``arguments``, ``total`` and ``jobs`` (``None`` if they could not be expanded).

    Returns:
        ``current``'s fields, with ``jobs`` the jobs of every invocation (each run once, with
        the overrides of the latest invocation that ran it; output options such as
        ``output.figures`` do not make another run) and ``invocations`` every invocation's
        record, oldest first.
    """
    history: list[dict[str, Any]] = []
    if previous:
        history = list(previous.get("invocations") or [])
        if not history and "jobs" in previous:
            history = [{k: v for k, v in previous.items() if k != "sweep_dir"}]
    history.append({k: v for k, v in current.items() if k != "sweep_dir"})
    jobs: dict[tuple[str, ...], list[str]] = {}
    for record in history:
        for job in record.get("jobs") or []:
            # one run, whatever the order of its overrides or its output options: the latest
            # invocation's overrides are the ones Hydra wrote into the run's folder
            key = tuple(sorted(o for o in job if changes_results(override_key(o))))
            jobs.pop(key, None)
            jobs[key] = list(job)
    known = any(record.get("jobs") is not None for record in history)
    return {**current, "jobs": list(jobs.values()) if known else None, "invocations": history}


def write_progress_marker(
    sweep_dir: Path, number: int, status: str, output_dir: str, overrides: list[str]
) -> None:
    """Write the progress marker of job ``number`` of the sweep in ``sweep_dir``."""
    marker = {
        "num": number,
        "status": status,
        "output_dir": output_dir,
        "overrides": overrides,
        "finished_epoch": time.time(),
    }
    write_text_atomic(sweep_dir / PROGRESS_DIR / f"{number:06d}.json", json.dumps(marker) + "\n")


def log_progress(sweep_dir: Path) -> None:
    """Log the progress line of the sweep in ``sweep_dir`` from its markers."""
    sweep = read_json(sweep_dir / SWEEP_FILE) or {}
    statuses = [m["status"] for m in progress_markers(sweep_dir)]
    elapsed = time.time() - float(sweep.get("started_epoch", time.time()))
    log.info("sweep progress: %s", progress_line(statuses, sweep.get("total"), elapsed))


#: Set by the process that runs a sweep (``on_multirun_start``) to its pid, for its workers.
SWEEP_PID_VARIABLE = "YRDSIM_SWEEP_PID"


def die_with_sweep() -> bool:
    """In a worker process of a local sweep (joblib, submitit_local): end with the sweep.

    A worker started by the sweep's process (its parent, recorded in ``YRDSIM_SWEEP_PID``)
    asks Linux to send it SIGTERM when that parent dies (``prctl(PR_SET_PDEATHSIG)``), so a
    sweep killed even with SIGKILL leaves no worker running on (joblib's workers would otherwise
    idle for minutes, or finish their run, after their sweep is gone). SIGTERM and Ctrl-C of the
    sweep already end its workers; Slurm jobs (whose parent is ``slurmstepd``) are not affected.
    It is set when a worker starts a job; a worker that has not run one yet (joblib starts
    fresh workers during a sweep) is ended by the sweep's watchdog
    (:func:`start_sweep_watchdog`).

    Returns:
        Whether this process was set to end with its sweep.
    """
    sweep_pid = os.environ.get(SWEEP_PID_VARIABLE)
    if not sweep_pid or not sys.platform.startswith("linux"):
        return False
    if os.getpid() == int(sweep_pid) or os.getppid() != int(sweep_pid):
        return False  # the sweep's own process, or not one it started itself
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGTERM, 0, 0, 0) != 0:  # 1 = PR_SET_PDEATHSIG
        return False
    if os.getppid() != int(sweep_pid):  # the sweep died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
    return True


#: The watchdog of a local sweep (run with ``python -c``; only the standard library): once
#: the sweep's process (argv[1], started at argv[2] clock ticks) is gone, SIGTERM every process
#: that the sweep started (``YRDSIM_SWEEP_PID=<pid>`` in its environment), then exit.
_WATCHDOG = r"""
import os, signal, sys, time
pid, started = sys.argv[1], sys.argv[2]
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[19] == started and fields[0] != "Z"
    except OSError:
        return False
while alive():
    time.sleep(0.5)
mark = f"YRDSIM_SWEEP_PID={pid}".encode()
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    os.kill(int(entry), signal.SIGTERM)
        except OSError:
            pass
"""


def start_sweep_watchdog() -> bool:
    """Start the watchdog that ends this sweep's local workers if the sweep dies (Linux).

    SIGKILL gives the sweep's process no chance to end its joblib workers, and a worker only
    asks to die with it (:func:`die_with_sweep`) once it runs a job; joblib also starts fresh
    workers during a sweep. The watchdog, a small process of its own, covers them all.

    Returns:
        Whether a watchdog was started.
    """
    try:
        with open(f"/proc/{os.getpid()}/stat") as handle:
            started = handle.read().rsplit(")", 1)[1].split()[19]
    except OSError:  # no /proc: not Linux
        return False
    subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), started],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not ended by the Ctrl-C that ends the sweep
    )
    return True


#: Launchers whose jobs run as processes of the sweep's own machine (ended with the sweep).
_LOCAL_LAUNCHERS = ("JoblibLauncher", "LocalLauncher")


class SweepProgress(Callback):
    """Hydra callback: sweep bookkeeping for ``yrdsim -m`` (registered in ``config.yaml``).

    * ``on_multirun_start``: adds this invocation to ``SWEEP_DIR/sweep.json`` (start time, the
      overrides of each job; see :func:`merge_sweep_record`) and clears the progress markers of
      an earlier sweep into the same folder;
    * ``on_multirun_start`` of a local launcher (joblib, submitit_local) also starts the
      sweep's watchdog (:func:`start_sweep_watchdog`);
    * ``on_job_start`` (in whichever process runs the job): a local worker ends with the sweep
      (:func:`die_with_sweep`);
    * ``on_job_end`` (in whichever process ran the job): writes the job's progress marker and
      logs ``run k/N done (s skipped, f failed), elapsed, ETA``;
    * ``on_multirun_end``: prints a summary; if any run failed, lists them on stderr and exits
      with status 1 (after every job has run and written its outputs).

    Single runs (``yrdsim`` without ``-m``) are not affected.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Add this invocation's jobs to ``sweep.json``; clear old progress markers."""
        os.environ[SWEEP_PID_VARIABLE] = str(os.getpid())  # for die_with_sweep in workers
        if str(config.hydra.launcher.get("_target_", "")).endswith(_LOCAL_LAUNCHERS):
            start_sweep_watchdog()
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(sweep_dir / PROGRESS_DIR, ignore_errors=True)
        (sweep_dir / PROGRESS_DIR).mkdir()
        node = config.hydra.sweeper.get("params")
        params = {} if node is None else OmegaConf.to_container(node, resolve=False)
        arguments = [str(o) for o in config.hydra.overrides.task]
        target = str(config.hydra.sweeper.get("_target_", ""))
        jobs = expand_sweep(params, arguments) if target.endswith(".BasicSweeper") else None
        current = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "started_epoch": time.time(),
            "sweep_dir": str(sweep_dir),
            "launcher": str(config.hydra.launcher.get("_target_", "")),
            "arguments": arguments,
            "total": len(jobs) if jobs is not None else None,
            "jobs": jobs,
        }
        record = merge_sweep_record(read_json(sweep_dir / SWEEP_FILE), current)
        write_text_atomic(sweep_dir / SWEEP_FILE, json.dumps(record, indent=2) + "\n")
        total = f"{len(jobs)} runs" if jobs is not None else "a sweep"
        log.info("starting %s into %s", total, sweep_dir)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """In a local worker of a sweep, end with the sweep (:func:`die_with_sweep`)."""
        if OmegaConf.select(config, "hydra.mode") == RunMode.MULTIRUN:
            die_with_sweep()

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """Write this job's progress marker and log the sweep's progress."""
        if OmegaConf.select(config, "hydra.mode") != RunMode.MULTIRUN:
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        status = FAILED  # the task raised (Hydra keeps the error until the sweep ends)
        if job_return.status == JobStatus.COMPLETED and job_return.return_value in (RAN, SKIPPED):
            status = job_return.return_value
        write_progress_marker(
            sweep_dir,
            int(config.hydra.job.num),
            status,
            str(config.hydra.runtime.output_dir),
            [str(o) for o in config.hydra.overrides.task],
        )
        log_progress(sweep_dir)

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




# --------------------------------------------------------------------------------------------
# Slurm
# --------------------------------------------------------------------------------------------


class JobLostError(RuntimeError):
    """Slurm ended a job before its run finished (cancelled, time limit, node failure, memory)."""


class RunFailedError(RuntimeError):
    """Raised in a Slurm job whose run failed, so that Slurm records the job as ``FAILED``."""


class ReportingSlurmLauncher(SubmititSlurmLauncher):
    """Hydra's submitit Slurm launcher, reporting every job as what it was.

    Hydra's launcher waits for the jobs one by one and stops the sweep at the first job that
    Slurm ended early (its result cannot be read), leaving the others unwaited and the sweep
    without a summary; and a job whose run failed is ``COMPLETED`` for Slurm (hydra#1928). Here:

    * in the job (:meth:`__call__`), a run that failed raises :class:`RunFailedError` after its
      ``failed.json`` and progress marker are written, so ``sacct`` shows ``FAILED``;
    * in the submitting process (:meth:`launch`), every job is waited for; one whose result
      cannot be read is reported from its progress marker if it wrote one (a failed run), and
      otherwise (cancelled, out of time or memory) gets ``failed.json`` (``JobLostError`` with
      Slurm's state) and a ``failed`` marker. The sweep's summary then counts it as failed, the
      command exits with status 1, and the next run of the same sweep redoes it.

    The progress line is also logged in the submitting process after each job.
    """

    def __call__(
        self,
        sweep_overrides: list[str],
        job_dir_key: str,
        job_num: int,
        job_id: str,
        singleton_state: dict[type, Any],
    ) -> JobReturn:
        """Run one job of the sweep (in the Slurm job); raise if its run failed."""
        result = super().__call__(sweep_overrides, job_dir_key, job_num, job_id, singleton_state)
        if result.status != JobStatus.COMPLETED:  # Hydra keeps the exception as the value
            raise RunFailedError(
                f"job {job_num} ({' '.join(sweep_overrides)}) raised"
            ) from result._return_value
        if result.return_value == FAILED:
            raise RunFailedError(
                f"run {result.working_dir} failed (see failed.json there); "
                f"overrides: {' '.join(sweep_overrides)}"
            )
        return result

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Submit the jobs as one Slurm array, wait for every one and report each."""
        import submitit
        from hydra.core.singleton import Singleton
        from hydra.core.utils import filter_overrides
        from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

        assert self.config is not None
        init_keys = {"submitit_folder", "max_num_timeout"}
        executor = submitit.AutoExecutor(
            cluster=self._EXECUTOR,
            folder=self.params["submitit_folder"],
            slurm_max_num_timeout=self.params.get("max_num_timeout", 0),
        )
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{
                key if key in base else f"{self._EXECUTOR}_{key}": value
                for key, value in self.params.items()
                if key not in init_keys
            }
        )
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        numbers = [initial_job_idx + k for k in range(len(job_overrides))]
        log.info("submitting %d runs to Slurm; sweep folder %s", len(numbers), sweep_dir)
        for number, overrides in zip(numbers, job_overrides, strict=True):
            log.info("\t#%d : %s", number, " ".join(filter_overrides(overrides)))
        jobs = executor.map_array(
            self,
            [list(o) for o in job_overrides],
            ["hydra.sweep.dir"] * len(numbers),
            numbers,
            [f"job_id_for_{n}" for n in numbers],
            [Singleton.get_state()] * len(numbers),
        )
        if jobs:
            log.info("Slurm job array %s", str(jobs[0].job_id).split("_")[0])
        returns = []
        for number, overrides, job in zip(numbers, job_overrides, jobs, strict=True):
            try:
                returns.append(job.results()[0])
            except Exception as exc:  # ended by Slurm, or the run failed (RunFailedError)
                returns.append(self._report_unreadable(number, list(overrides), job, exc))
            log_progress(sweep_dir)
        return returns

    def _report_unreadable(
        self, number: int, overrides: list[str], job: Any, error: Exception
    ) -> JobReturn:
        """The return of a job whose result cannot be read; its folder marked if it was lost."""
        assert self.hydra_context is not None and self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        config = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(config.hydra.job):
            config.hydra.job.num = number
        out_dir = sweep_dir / str(config.hydra.sweep.subdir)
        marker = read_json(sweep_dir / PROGRESS_DIR / f"{number:06d}.json")
        if marker is not None:  # the job reported itself: a run that failed
            status = str(marker["status"])
        elif is_complete(out_dir):  # its run finished, then the job was ended
            status = RAN
            write_progress_marker(sweep_dir, number, status, str(out_dir), overrides)
        else:
            reason = " ".join(str(error).split())[:300]  # submitit's words, on one line
            lost = JobLostError(
                f"Slurm job {job.job_id} ended {_job_state(job)} before its run finished"
                + (f" ({reason})" if reason else "")
            )
            out_dir.mkdir(parents=True, exist_ok=True)
            write_failure(out_dir, lost, overrides)
            status = FAILED
            write_progress_marker(sweep_dir, number, status, str(out_dir), overrides)
            log.error("run %s failed: %s", out_dir, lost)
        return JobReturn(
            overrides=overrides,
            working_dir=str(out_dir),
            task_name=str(self.config.hydra.job.name),
            status=JobStatus.COMPLETED,  # the run's status is the value, as task() returns it
            _return_value=status,
        )


def _job_state(job: Any) -> str:
    """Slurm's state of a submitit job, e.g. ``CANCELLED``, ``TIMEOUT`` (``UNKNOWN`` if none)."""
    try:
        return str(job.state).split()[0]
    except Exception:
        return "UNKNOWN"
