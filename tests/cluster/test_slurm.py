"""Sweeps on a real Slurm (``hydra/launcher=slurm`` through submitit), started by the fixture.

A 2 scenarios x 2 seeds sweep runs as a Slurm job array on a local single-node Slurm with
accounting: its run folders must be complete and byte-identical to the basic launcher's, the
launcher settings must reach Slurm (``sacct`` shows them), and the faults of the cluster path
(a job that ``scancel`` ends mid-run, a run that raises) must be reported as failed, in Slurm's
accounting too, and redone, alone, by the next run of the same sweep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.compare import run_comparison
from sim.runs.folders import is_complete

pytestmark = pytest.mark.slow

SHORT = ["end_year=2022", "persons_per_agent=5000", "output.figures=false"]
SWEEP = ["scenario=baseline,integrated", "seed=0,1"]
TABLES = ("metrics", "cities", "flows", "travel_times", "vouchers")
INJECT = Path(__file__).resolve().parent / "inject"
TIMEOUT = 300


def yrdsim(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli.run", *argv],
        capture_output=True, text=True, env={**env, "MPLBACKEND": "Agg"}, timeout=TIMEOUT,
    )  # fmt: skip


def run_dirs(root: Path) -> list[Path]:
    return sorted(
        p for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != "comparison"
    )  # fmt: skip


def accounting(slurm, array: str) -> dict[str, dict[str, str]]:
    """``sacct`` of the tasks of a job array: task index -> fields."""
    fields = "JobID,State,Partition,Account,Timelimit,ReqMem,AllocCPUS"
    out = slurm.run("sacct", "-X", "-n", "-P", "-j", array, "-o", fields)
    rows = [dict(zip(fields.split(","), line.split("|"), strict=True))
            for line in out.splitlines() if line]  # fmt: skip
    return {row["JobID"].split("_")[1]: row for row in rows if "_" in row["JobID"]}


def array_id(output: str) -> str:
    line = next(line for line in output.splitlines() if "Slurm job array" in line)
    return line.rsplit(" ", 1)[1]


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("slurm_sweeps") / "basic"
    done = yrdsim("-m", *SWEEP, *SHORT, f"hydra.sweep.dir={root}", env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return root


def test_a_slurm_sweep_gives_the_basic_launchers_runs_and_passes_its_settings(
    slurm, basic, tmp_path
):
    root = tmp_path / "slurm"
    done = yrdsim(
        "-m", *SWEEP, *SHORT, f"hydra.sweep.dir={root}", "hydra/launcher=slurm",
        f"hydra.launcher.partition={slurm.partition}", f"hydra.launcher.account={slurm.account}",
        "hydra.launcher.timeout_min=10", "hydra.launcher.mem_gb=1",
        "hydra.launcher.cpus_per_task=1", "hydra.launcher.array_parallelism=2",
        'hydra.launcher.setup=["export YRDSIM_SETUP_MARK=setup-ran"]',
        env=slurm.env,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "4 runs, 4 ran, 0 skipped (already complete), 0 failed" in done.stdout
    assert "sweep progress: run 4/4 done (0 skipped, 0 failed)" in out  # logged by the submitter

    # every run folder complete and its tables byte-identical to the basic launcher's
    assert [p.name for p in run_dirs(root)] == [p.name for p in run_dirs(basic)]
    for folder in run_dirs(basic):
        assert is_complete(root / folder.name)
        for name in TABLES:
            assert (root / folder.name / f"{name}.csv").read_bytes() == (
                folder / f"{name}.csv"
            ).read_bytes(), (folder.name, name)

    # sweep.json and the progress markers, written by the jobs on the "compute node"
    sweep = json.loads((root / "sweep.json").read_text())
    assert sweep["total"] == 4 and len(sweep["jobs"]) == 4
    assert sweep["launcher"] == "hydra_plugins.yrdsim_launcher.SlurmLauncher"
    markers = [json.loads(p.read_text()) for p in (root / ".progress").glob("*.json")]
    assert sorted(m["status"] for m in markers) == ["ran"] * 4
    progress = subprocess.run(
        [sys.executable, "-m", "sim.cli.compare", str(root), "--progress"],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert "run 4/4 done (0 skipped, 0 failed)" in progress.stdout, progress.stderr

    # yrdsim-compare reads the folder; its tables equal the basic sweep's
    compared = subprocess.run(
        [sys.executable, "-m", "sim.cli.compare", str(root), "--no-figures"],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    assert list(pd.read_csv(root / "comparison" / "runs.csv")["status"]) == ["used"] * 4
    run_comparison(basic, out=tmp_path / "cmp_basic", figures=False)
    for name in ("summary.csv", "city_summary.csv", "differences.csv"):
        assert (root / "comparison" / name).read_bytes() == (
            tmp_path / "cmp_basic" / name
        ).read_bytes(), name

    # the launcher settings reached Slurm
    tasks = accounting(slurm, array_id(out))
    assert sorted(tasks) == ["0", "1", "2", "3"]
    for row in tasks.values():
        assert row["State"] == "COMPLETED"
        assert row["Partition"] == slurm.partition and row["Account"] == slurm.account
        assert row["Timelimit"] == "00:10:00" and row["AllocCPUS"] == "1"
        assert row["ReqMem"] in ("1G", "1024M")
    script = next((root / ".submitit").rglob("*_submission.sh")).read_text()
    assert "#SBATCH --array=0-3%2" in script
    assert "export YRDSIM_SETUP_MARK=setup-ran" in script


def _wait_until_running(slurm, process: subprocess.Popen, task: str) -> str:
    """The Slurm id (``ARRAY_TASK``) of array task ``task`` once it runs."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the sweep ended before its job ran"
        for line in slurm.run("squeue", "-h", "-o", "%i %T").splitlines():
            job, state = line.split()
            if job.endswith(f"_{task}") and state == "RUNNING":
                return job
        time.sleep(0.5)
    raise AssertionError(f"array task {task} never ran")


def test_a_cancelled_job_and_a_failed_run_are_reported_failed_and_redone_alone(slurm, tmp_path):
    root = tmp_path / "faults"
    argv = ["-m", *SWEEP, *SHORT, f"hydra.sweep.dir={root}", "hydra/launcher=slurm",
            f"hydra.launcher.partition={slurm.partition}", "hydra.launcher.array_parallelism=2"]
    env = {
        **slurm.env,
        "MPLBACKEND": "Agg",
        "YRDSIM_INJECT_FAIL": "baseline:0",  # job 0: the run raises
        "YRDSIM_INJECT_SLOW": "integrated:1",  # job 3: sleeps in its run until cancelled
    }
    sweep = subprocess.Popen(
        [sys.executable, "-m", "sim.cli.run", *argv,
         f'hydra.launcher.setup=["export PYTHONPATH={INJECT}"]'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        job = _wait_until_running(slurm, sweep, "3")
        time.sleep(2)  # well into its run
        slurm.run("scancel", job)
        stdout, stderr = sweep.communicate(timeout=TIMEOUT)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    out = stdout + stderr
    assert sweep.returncode == 1, out
    assert "4 runs, 2 ran, 0 skipped (already complete), 2 failed" in stdout
    assert "2 of 4 runs failed" in stderr
    assert "RuntimeError: injected failure" in stderr
    assert f"JobLostError: Slurm job {job} ended CANCELLED" in stderr

    folders = {p.name.split("_")[0] + p.name.split("_")[1]: p for p in run_dirs(root)}
    assert sorted(folders) == ["baselineseed0", "baselineseed1", "integratedseed0",
                               "integratedseed1"]  # fmt: skip
    failed = {key: json.loads((f / "failed.json").read_text())
              for key, f in folders.items() if (f / "failed.json").exists()}  # fmt: skip
    assert sorted(failed) == ["baselineseed0", "integratedseed1"]
    assert failed["baselineseed0"]["error_type"] == "RuntimeError"
    assert failed["integratedseed1"]["error_type"] == "JobLostError"
    assert "CANCELLED" in failed["integratedseed1"]["message"]
    assert not is_complete(folders["baselineseed0"])
    assert not is_complete(folders["integratedseed1"])
    assert is_complete(folders["baselineseed1"]) and is_complete(folders["integratedseed0"])
    found = [json.loads(p.read_text()) for p in (root / ".progress").glob("*.json")]
    markers = {m["num"]: m["status"] for m in found}
    assert markers == {0: "failed", 1: "ran", 2: "ran", 3: "failed"}

    # Slurm's accounting agrees: the failed run's job FAILED (not COMPLETED, hydra#1928)
    states = {k: row["State"].split()[0] for k, row in accounting(slurm, array_id(out)).items()}
    assert states == {"0": "FAILED", "1": "COMPLETED", "2": "COMPLETED", "3": "CANCELLED"}

    compared = subprocess.run(
        [sys.executable, "-m", "sim.cli.compare", str(root), "--no-figures"],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    assert sorted(pd.read_csv(root / "comparison" / "runs.csv")["status"]) == [
        "failed", "failed", "used", "used",
    ]  # fmt: skip

    again = subprocess.run(
        [sys.executable, "-m", "sim.cli.run", *argv],
        capture_output=True, text=True, env={**slurm.env, "MPLBACKEND": "Agg"}, timeout=TIMEOUT,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "4 runs, 2 ran, 2 skipped (already complete), 0 failed" in again.stdout
    for folder in folders.values():
        assert is_complete(folder) and not (folder / "failed.json").exists()
    record = json.loads((root / "sweep.json").read_text())
    assert len(record["invocations"]) == 2 and len(record["jobs"]) == 4
