"""yrdsim-reproduce: a run folder is re-run from its config.json, table by table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import sim
from sim.runs.output import write_run
from sim.runs.reproduce import ReproduceError, reproduce
from tests.conftest import SHORT


def test_an_untouched_run_folder_reproduces_byte_identical(region, tmp_path):
    config = sim.load_config([*SHORT, "scenario=integrated", "seed=4", "output.format=both"])
    write_run(sim.simulate(config, data=region), tmp_path / "run")
    outcome = reproduce(tmp_path / "run", tmp_path / "again")
    assert outcome.identical
    assert outcome.config_hash_matches
    assert {t.name for t in outcome.tables} == {
        f"{n}{s}" for n in ("metrics", "cities", "flows", "travel_times", "vouchers")
        for s in (".csv", ".parquet")
    }  # fmt: skip


@pytest.mark.slow
def test_a_changed_table_is_found_and_the_command_fails(region, tmp_path):
    config = sim.load_config(SHORT)
    write_run(sim.simulate(config, data=region), tmp_path)
    metrics = tmp_path / "metrics.csv"
    lines = metrics.read_text().splitlines()
    lines[3] = lines[3].replace("1", "2", 1)
    metrics.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli.reproduce", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "metrics.csv: different (line 4:" in done.stdout
    assert "cities.csv: identical" in done.stdout
    assert "NOT reproduced (4/5 tables identical" in done.stdout


def test_a_folder_that_is_not_a_complete_run_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"seed": 1}))
    try:
        reproduce(tmp_path)
    except ReproduceError as exc:
        assert "not a complete run folder" in str(exc)
    else:
        raise AssertionError("an incomplete folder was reproduced")
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli.reproduce", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("yrdsim-reproduce: error: ")
    assert len(done.stderr.strip().splitlines()) == 1
