"""The examples run at small sizes and give what they promise (CI runs them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--end-year", "2022", "--persons-per-agent", "4000"]


def _run(script: str, *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_two_scenarios_example_plots_both_and_prints_outcomes(tmp_path):
    out = _run("two_scenarios.py", "--out", str(tmp_path), *QUICK, cwd=tmp_path)
    assert (tmp_path / "two_scenarios.png").stat().st_size > 10_000
    assert "central_area_gdp_pc_ratio: integrated" in out


@pytest.mark.slow
def test_sobol_example_prints_indices_of_every_factor_and_outcome(tmp_path):
    out = _run("sobol_salib.py", "--n", "2", "--n-jobs", "2", *QUICK, cwd=tmp_path)
    assert "12 runs in" in out
    for name in ("migration.real_wage_weight", "hukou_barrier_reduction", "innovations"):
        assert name in out


@pytest.mark.slow
def test_ema_workbench_example_runs_experiments_and_prim(tmp_path):
    pytest.importorskip("ema_workbench")
    out = _run("ema_explore.py", "--scenarios", "4", "--policies", "2", *QUICK, cwd=tmp_path)
    assert "8 runs;" in out
    assert "densest box: coverage" in out
