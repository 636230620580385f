"""A joblib sweep killed by any signal leaves no worker process running.

The sweep runs with ``hydra/launcher=joblib hydra.launcher.n_jobs=2`` (the settings pass the
command-line check) and a tag in its environment, which its workers inherit; once two workers
are each in a run, the sweep's process gets SIGTERM, SIGINT (Ctrl-C) or SIGKILL. Afterwards no
process with the tag may be left (loky's workers and resource trackers included), and the
same sweep again finishes every run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sim.runs.folders import is_complete

pytestmark = pytest.mark.slow

ARGS = ["scenario=baseline,integrated", "seed=0,1,2,3", "end_year=2030", "output.figures=false",
        "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]  # fmt: skip
TIMEOUT = 120


def tagged(tag: str) -> list[int]:
    """Processes whose environment holds the tag."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"YRDSIM_TEST_TAG={tag}".encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def describe(pid: int) -> str:
    """A process's command line and signal state, for the failure message."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
        status = [line.strip() for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if line.startswith(("State", "PPid", "SigCgt", "SigIgn", "SigBlk"))]  # fmt: skip
    except OSError:
        return "gone"
    return f"{cmdline} {status}"


def command(root: Path) -> list[str]:
    return [sys.executable, "-m", "sim.cli.run", "-m", *ARGS, f"hydra.sweep.dir={root}"]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])  # fmt: skip
def test_a_killed_joblib_sweep_leaves_no_worker_running(signum, tmp_path):
    tag = uuid.uuid4().hex
    root = tmp_path / "sweep"
    env = {**os.environ, "YRDSIM_TEST_TAG": tag, "MPLBACKEND": "Agg"}
    sweep = subprocess.Popen(command(root), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:  # both workers in a run: two runs started and not finished
            assert sweep.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the workers never started"
            running = [f for f in root.glob("*/.hydra") if not is_complete(f.parent)]
            if len(running) >= 2:
                break
            time.sleep(0.05)
        sweep.send_signal(signum)
        sweep.wait(timeout=60)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    deadline = time.monotonic() + 20
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: describe(pid) for pid in tagged(tag)}
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running after {signum.name}: {left}"

    if signum == signal.SIGKILL:  # the same sweep again completes every run
        again = subprocess.run(command(root), env=env, capture_output=True, text=True,
                               timeout=300)  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "8 runs" in again.stdout and "0 failed" in again.stdout
        folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        assert len(folders) == 8 and all(is_complete(f) for f in folders)
