"""``sweep.json`` accumulates the runs of every ``yrdsim -m`` into the same sweep folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from sim.hydra.sweep import merge_sweep_record

SHORT = ["end_year=2021", "persons_per_agent=5000", "output.figures=false"]


def invocation(jobs: list[list[str]] | None, started: str) -> dict:
    total = None if jobs is None else len(jobs)
    return {"started": started, "started_epoch": 0.0, "sweep_dir": "/x", "launcher": "L",
            "arguments": [], "total": total, "jobs": jobs}  # fmt: skip


def test_merge_keeps_every_invocations_jobs_once_and_the_latest_fields():
    a0, a1, a2 = ["scenario=a", "seed=0"], ["scenario=a", "seed=1"], ["scenario=a", "seed=2"]
    first = merge_sweep_record(None, invocation([a0, a1], "t1"))
    assert first["jobs"] == [["scenario=a", "seed=0"], ["scenario=a", "seed=1"]]
    assert len(first["invocations"]) == 1 and "sweep_dir" not in first["invocations"][0]
    # the same run in another order, and a new one
    second = merge_sweep_record(first, invocation([a1[::-1], a2], "t2"))
    assert second["started"] == "t2" and second["total"] == 2
    assert sorted(map(sorted, second["jobs"])) == [
        ["scenario=a", "seed=0"], ["scenario=a", "seed=1"], ["scenario=a", "seed=2"],
    ]  # fmt: skip
    assert [i["started"] for i in second["invocations"]] == ["t1", "t2"]
    # an output option is the same run: the latest overrides (those in the folder) are kept
    third = merge_sweep_record(second, invocation([[*a0, "output.figures=true"]], "t3"))
    assert len(third["jobs"]) == 3
    assert ["scenario=a", "seed=0", "output.figures=true"] in third["jobs"]
    # jobs that could not be expanded (None) do not erase the known ones
    fourth = merge_sweep_record(third, invocation(None, "t4"))
    assert len(fourth["jobs"]) == 3 and fourth["total"] is None
    assert merge_sweep_record(None, invocation(None, "t"))["jobs"] is None


def test_a_record_without_invocations_counts_as_one():
    old = {"started": "t0", "started_epoch": 1.0, "sweep_dir": "/x", "launcher": "L",
           "arguments": [], "total": 1, "jobs": [["seed=0"]]}  # fmt: skip
    merged = merge_sweep_record(old, invocation([["seed=1"]], "t1"))
    assert merged["jobs"] == [["seed=0"], ["seed=1"]]
    assert [i["started"] for i in merged["invocations"]] == ["t0", "t1"]


@pytest.mark.slow
def test_two_sweeps_into_one_folder_are_both_in_sweep_json_and_compared(tmp_path):
    root = tmp_path / "sweep"
    env = {**os.environ, "MPLBACKEND": "Agg"}

    def yrdsim(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sim.cli.run", *argv], capture_output=True,
                              text=True, env=env, timeout=300)  # fmt: skip

    for seeds in ("seed=0,1", "seed=2"):
        done = yrdsim("-m", "scenario=baseline", seeds, *SHORT, f"hydra.sweep.dir={root}")
        assert done.returncode == 0, done.stderr
    record = json.loads((root / "sweep.json").read_text())
    seeds = sorted(next(o for o in job if o.startswith("seed=")) for job in record["jobs"])
    assert seeds == ["seed=0", "seed=1", "seed=2"]
    assert [i["total"] for i in record["invocations"]] == [2, 1]
    assert record["total"] == 1  # the latest invocation's progress

    compared = subprocess.run(
        [sys.executable, "-m", "sim.cli.compare", str(root), "--no-figures"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    assert "missing" not in compared.stderr
    runs = pd.read_csv(root / "comparison" / "runs.csv")
    assert sorted(runs["status"]) == ["used"] * 3
