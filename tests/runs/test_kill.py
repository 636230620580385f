"""A run killed at any moment leaves a complete run folder or one recognisably incomplete.

Real ``yrdsim`` subprocesses get a real signal (SIGKILL, SIGTERM) while simulating, right when
the first table appears, and while drawing figures. Afterwards the folder must be either
complete (``is_complete`` and every table whole) or ``is_complete`` false, with every table
that exists whole (files are renamed into place) and no partial file that looks like a table;
a rerun into the same folder must then produce a complete run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from sim.runs.files import PROVENANCE_FILE
from sim.runs.folders import is_complete

START, END = 2020, 2023
YEARS = END - START + 1
ARGS = ["scenario=integrated", f"end_year={END}", "persons_per_agent=4000", "seed=1"]
TABLE_ROWS = {"metrics": YEARS, "cities": 41 * YEARS}
TABLES = ("metrics", "cities", "flows", "travel_times", "vouchers")
TIMEOUT = 120


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim.cli.run", *ARGS, f"hydra.run.dir={out}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen) -> bool:
    """Poll every few milliseconds; False if the process ended first."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return condition()
        time.sleep(0.003)
    raise AssertionError("the moment to kill never came")


def _simulating(out: Path) -> Callable[[], bool]:
    log = out / "yrdsim.log"
    return lambda: log.is_file() and f"year {START + 1}" in log.read_text()


def _first_table(out: Path) -> Callable[[], bool]:
    return lambda: (out / "metrics.csv").exists()


def _drawing_figures(out: Path) -> Callable[[], bool]:
    return lambda: (out / "figures").is_dir() and any((out / "figures").iterdir())


def assert_complete_or_recognisably_incomplete(out: Path) -> bool:
    """Check a run folder after a kill; return whether it is complete."""
    complete = is_complete(out)
    for path in out.rglob("*"):
        if path.is_file() and path.name.endswith(".part"):
            assert path.name.startswith("."), path  # hidden, and never *.csv/*.json
    for name in TABLES:
        path = out / f"{name}.csv"
        if complete:
            assert path.is_file(), f"complete run without {name}.csv"
        if path.is_file():  # a table that exists is whole: it was renamed into place
            table = pd.read_csv(path)
            if name in TABLE_ROWS:
                assert len(table) == TABLE_ROWS[name], name
                assert set(table["year"]) == set(range(START, END + 1)), name
    if (out / "config.json").is_file():
        json.loads((out / "config.json").read_text())
    provenance = out / PROVENANCE_FILE
    if provenance.is_file():
        record = json.loads(provenance.read_text())  # never half-written
        assert record.get("complete") is complete
    else:
        assert not complete
    return complete


@pytest.mark.slow
@pytest.mark.parametrize(
    ("moment", "sig"),
    [
        (_simulating, signal.SIGKILL),
        (_drawing_figures, signal.SIGKILL),
        (_first_table, signal.SIGTERM),
    ],
    ids=["SIGKILL-simulating", "SIGKILL-figures", "SIGTERM-first-table"],
)
def test_a_killed_run_is_complete_or_recognisably_incomplete(moment, sig, tmp_path):
    out = tmp_path / "run"
    process = _start(out)
    try:
        reached = _wait_for(moment(out), process)
        if process.poll() is None:
            os.kill(process.pid, sig)
        process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert reached, process.stderr.read().decode() if process.stderr else ""
    if sig == signal.SIGTERM:  # yrdsim unwinds on SIGTERM: exit 143, temporary files removed
        assert process.returncode in (128 + sig, 0), process.returncode
        assert not list(out.rglob("*.part")), list(out.rglob("*.part"))
    else:
        assert process.returncode in (-sig, 0), process.returncode
    assert_complete_or_recognisably_incomplete(out)


@pytest.mark.slow
def test_a_rerun_into_a_killed_runs_folder_completes(tmp_path):
    """SIGKILL right when the first table appears, then run again into the same folder."""
    out = tmp_path / "run"
    process = _start(out)
    try:
        _wait_for(_first_table(out), process)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not assert_complete_or_recognisably_incomplete(out)  # the figures were still to come
    rerun = _start(out)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr.decode()
    assert assert_complete_or_recognisably_incomplete(out)
    for name in TABLES:
        assert (out / f"{name}.csv").stat().st_size > 0


def test_atomic_writes_get_the_permissions_of_an_ordinary_new_file(tmp_path):
    from sim.runs.atomic import write_text_atomic

    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    written = write_text_atomic(tmp_path / "atomic.txt", "x")
    assert written.stat().st_mode & 0o777 == ordinary.stat().st_mode & 0o777


def test_atomic_write_leaves_nothing_on_failure_and_clears_stale_parts(tmp_path):
    from sim.runs.atomic import write_atomic, write_text_atomic

    target = tmp_path / "table.csv"
    write_text_atomic(target, "a\n1\n")
    stale = tmp_path / ".table.csv.killed.part"
    stale.write_text("a\n")

    def half_then_fail(path: Path) -> None:
        path.write_text("a\n2")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "a\n1\n"  # the earlier file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # stale part removed too


@pytest.mark.parametrize("interrupted_call", ["close", "fsync", "replace"])
def test_a_signal_right_after_the_temporary_file_exists_leaves_nothing(
    interrupted_call, tmp_path, monkeypatch
):
    """SIGTERM unwinds as ``SystemExit`` wherever Python next checks for signals.

    The CI run that killed a real ``yrdsim`` right after its first table caught a window
    between creating the temporary file and the clean-up guarding it; here the exit is raised
    by each system call that follows the creation, so every such window is covered.
    """
    import sim.runs.atomic as atomic

    real = getattr(atomic.os, interrupted_call)

    def terminated(*args, **kwargs):
        if interrupted_call != "fsync" or any(
            tmp_path.glob(f".table.csv.*{atomic.TEMPORARY_SUFFIX}")
        ):
            raise SystemExit(143)
        return real(*args, **kwargs)

    monkeypatch.setattr(atomic.os, interrupted_call, terminated)
    with pytest.raises(SystemExit):
        atomic.write_text_atomic(tmp_path / "table.csv", "a\n1\n")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
