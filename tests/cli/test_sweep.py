"""Sweeps through the real CLI: run folders, progress, resume, failures, launchers, comparison."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir
from scipy import stats

from sim.cli.compare import main as compare_main
from sim.cli.compare import run_comparison
from sim.config.schema import CONFIG_DIR
from sim.hydra.sweep import expand_sweep
from sim.runs.folders import already_done, is_complete, progress_line, run_folder_name

SHORT = ["end_year=2022", "persons_per_agent=5000", "output.figures=false"]
SWEEP = ["scenario=baseline,integrated", "seed=0,1"]
TABLES = ("metrics", "cities", "flows", "travel_times", "vouchers")
ENV = {**os.environ, "MPLBACKEND": "Agg", "HYDRA_FULL_ERROR": "1"}

#: Run yrdsim with sim.hydra.app.run failing for seed 0 (a run that raises inside the simulation).
FLAKY = """
import sys
import sim.cli.run as cli
import sim.hydra.app as app

real = app.run


def flaky(config, data, out_dir, overrides=None):
    if config.seed == 0:
        raise RuntimeError("injected failure")
    return real(config, data, out_dir, overrides)


app.run = flaky
sys.argv = ["yrdsim", *sys.argv[1:]]
cli.main()
"""


def yrdsim(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli.run", *argv],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )


def yrdsim_compare(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli.compare", *argv],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )


def run_dirs(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != "comparison"
    )


def seed_of(folder: Path) -> int:
    overrides = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text())
    return int(next(o.split("=")[1] for o in overrides if o.startswith("seed=")))


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("sweeps") / "basic"
    done = yrdsim("-m", *SWEEP, *SHORT, f"hydra.sweep.dir={root}")
    assert done.returncode == 0, done.stderr
    return root, done


@pytest.mark.slow
def test_a_sweep_writes_a_complete_folder_per_run_with_distinct_recorded_seeds(basic):
    root, _ = basic
    folders = run_dirs(root)
    assert len(folders) == 4
    seen = set()
    for folder in folders:
        assert is_complete(folder)
        for name in TABLES:
            assert (folder / f"{name}.csv").stat().st_size > 0
        assert (folder / "config.json").exists() and (folder / ".hydra" / "config.yaml").exists()
        record = json.loads((folder / "provenance.json").read_text())
        config = json.loads((folder / "config.json").read_text())
        assert record["seed"] == config["seed"]
        assert folder.name.startswith(f"{record['scenario']}_seed{record['seed']}_")
        seen.add((record["scenario"], record["seed"]))
    assert seen == {(s, k) for s in ("baseline", "integrated") for k in (0, 1)}
    sweep = json.loads((root / "sweep.json").read_text())
    assert sweep["total"] == 4 and len(sweep["jobs"]) == 4


@pytest.mark.slow
def test_a_sweep_reports_runs_done_of_the_total_with_elapsed_time_and_estimate(basic):
    _, done = basic
    out = done.stdout + done.stderr
    for k in range(1, 5):
        assert f"run {k}/4 done" in out
    assert "ETA" in out and "elapsed" in out
    assert "year 2022 (2/2)" in out  # each run's progress by year
    assert "4 runs, 4 ran, 0 skipped (already complete), 0 failed" in out


@pytest.mark.slow
def test_the_progress_of_a_sweep_can_be_read_from_its_folder(basic, capsys):
    root, _ = basic
    assert compare_main([str(root), "--progress"]) == 0
    line = capsys.readouterr().out
    assert "run 4/4 done (0 skipped, 0 failed)" in line and "sweep complete" in line


@pytest.mark.slow
def test_rerunning_a_sweep_in_another_override_order_skips_complete_runs(basic):
    root, _ = basic
    before = {p.name: (p / "metrics.csv").stat().st_mtime_ns for p in run_dirs(root)}
    again = yrdsim("-m", "seed=0,1", *reversed(SHORT), "scenario=baseline,integrated",
                   f"hydra.sweep.dir={root}")  # fmt: skip
    assert again.returncode == 0, again.stderr
    out = again.stdout + again.stderr
    assert out.count("already complete with the same configuration") == 4
    assert "0 ran, 4 skipped" in out
    after = {p.name: (p / "metrics.csv").stat().st_mtime_ns for p in run_dirs(root)}
    assert after == before


@pytest.mark.slow
def test_a_complete_folder_of_another_configuration_is_not_done(basic, tmp_path):
    root, _ = basic
    folder = shutil.copytree(run_dirs(root)[0], tmp_path / "run")
    record = json.loads((folder / "provenance.json").read_text())
    assert already_done(folder, record["config_hash"])
    assert not already_done(folder, "0" * 64)
    (folder / "provenance.json").unlink()
    assert not already_done(folder, record["config_hash"])


@pytest.mark.slow
def test_comparison_tables_equal_statistics_of_the_runs_own_csvs(basic):
    root, _ = basic
    done = yrdsim_compare(str(root))
    assert done.returncode == 0, done.stderr
    out = root / "comparison"
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == [
        "scenario", "metric", "year", "mean", "std", "ci_low", "ci_high", "n_runs",
    ]  # fmt: skip
    runs = {}
    for folder in run_dirs(root):
        record = json.loads((folder / "provenance.json").read_text())
        runs[(record["scenario"], record["seed"])] = folder
    t = stats.t.ppf(0.975, 1)
    for scenario in ("baseline", "integrated"):
        tables = [pd.read_csv(runs[(scenario, seed)] / "metrics.csv") for seed in (0, 1)]
        for metric in ("gdp", "innovations", "theil_gdp_per_capita", "migrants"):
            for year in (2020, 2021, 2022):
                values = np.array([t_[t_["year"] == year][metric].iloc[0] for t_ in tables])
                row = summary[
                    (summary["scenario"] == scenario)
                    & (summary["metric"] == metric)
                    & (summary["year"] == year)
                ].iloc[0]
                std = values.std(ddof=1)
                assert row["n_runs"] == 2
                assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
                assert row["std"] == pytest.approx(std, rel=1e-9, abs=1e-12)
                half = t * std / np.sqrt(2)
                assert row["ci_low"] == pytest.approx(values.mean() - half, rel=1e-9, abs=1e-9)
                assert row["ci_high"] == pytest.approx(values.mean() + half, rel=1e-9, abs=1e-9)

    cities = pd.read_csv(out / "city_summary.csv")
    assert {"scenario", "city_id", "metric", "mean", "ci_low", "ci_high",
            "delta_vs_baseline"} <= set(cities.columns)  # fmt: skip
    assert set(cities["year"]) == {2022}
    final = {
        key: pd.read_csv(folder / "cities.csv").query("year == 2022").set_index("city_id")
        for key, folder in runs.items()
    }
    for city in ("shanghai", "hefei", "zhoushan"):
        mean = {s: np.mean([final[(s, k)].loc[city, "population"] for k in (0, 1)])
                for s in ("baseline", "integrated")}  # fmt: skip
        row = cities.query(
            "scenario == 'integrated' and city_id == @city and metric == 'population'"
        ).iloc[0]
        assert row["mean"] == pytest.approx(mean["integrated"])
        assert row["delta_vs_baseline"] == pytest.approx(mean["integrated"] - mean["baseline"])

    used = pd.read_csv(out / "runs.csv")
    assert list(used["status"]) == ["used"] * 4
    for stem in ("timeseries", "end_year_differences", "map_population_difference"):
        for suffix in (".png", ".pdf"):
            assert (out / "figures" / f"{stem}{suffix}").stat().st_size > 10_000
    tex = (out / "summary.tex").read_text()
    assert "\\begin{tabular}" in tex and "integrated" in tex and "GDP per capita" in tex
    report = (out / "report.md").read_text()
    assert "figures/timeseries.png" in report and "moves it most" in report
    assert report.count("**integrated** moves it most") >= 3


@pytest.mark.slow
def test_the_joblib_launcher_gives_identical_runs_and_tables(basic, tmp_path):
    root, _ = basic
    parallel = tmp_path / "joblib"
    done = yrdsim("-m", *SWEEP, *SHORT, f"hydra.sweep.dir={parallel}", "hydra/launcher=joblib")
    assert done.returncode == 0, done.stderr
    assert "run 4/4 done" in done.stdout + done.stderr
    assert [p.name for p in run_dirs(parallel)] == [p.name for p in run_dirs(root)]
    for folder in run_dirs(root):
        for name in TABLES:
            left = (folder / f"{name}.csv").read_bytes()
            assert left == (parallel / folder.name / f"{name}.csv").read_bytes()
    for sweep_dir, out in ((root, tmp_path / "cmp_basic"), (parallel, tmp_path / "cmp_joblib")):
        run_comparison(sweep_dir, out=out, figures=False)
    for name in ("summary.csv", "city_summary.csv", "differences.csv", "summary.tex"):
        assert (tmp_path / "cmp_basic" / name).read_bytes() == (
            tmp_path / "cmp_joblib" / name
        ).read_bytes(), name


@pytest.mark.slow
def test_the_submitit_local_launcher_runs_a_sweep(basic, tmp_path):
    root, _ = basic
    local = tmp_path / "submitit"
    done = yrdsim(
        "-m", "scenario=baseline", "seed=0,1", *SHORT, f"hydra.sweep.dir={local}",
        "hydra/launcher=submitit_local",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 runs, 2 ran" in done.stdout
    folders = run_dirs(local)
    assert len(folders) == 2 and all(is_complete(f) for f in folders)
    for folder in folders:  # the same runs as the basic launcher's
        assert (folder / "metrics.csv").read_bytes() == (
            root / folder.name / "metrics.csv"
        ).read_bytes()
    assert len(list((local / ".progress").glob("*.json"))) == 2
    logs = "".join(p.read_text() for p in (local / ".submitit").rglob("*.out"))
    assert "done (0 skipped, 0 failed)" in logs


@pytest.mark.slow
def test_a_failing_run_is_isolated_reported_and_rerun_later(tmp_path):
    root = tmp_path / "flaky"
    argv = ["-m", "scenario=baseline", "seed=0,1", *SHORT, f"hydra.sweep.dir={root}"]
    failed = subprocess.run(
        [sys.executable, "-c", FLAKY, *argv], capture_output=True, text=True, env=ENV, timeout=300
    )
    assert failed.returncode == 1, failed.stderr
    assert "1 of 2 runs failed" in failed.stderr and "injected failure" in failed.stderr
    assert "1 ran, 0 skipped (already complete), 1 failed" in failed.stdout
    folders = {seed_of(f): f for f in run_dirs(root)}
    assert not is_complete(folders[0])
    assert is_complete(folders[1])  # the run after the failure went on
    marker = json.loads((folders[0] / "failed.json").read_text())
    assert marker["error_type"] == "RuntimeError" and marker["message"] == "injected failure"
    assert "Traceback" in marker["traceback"] and "seed=0" in marker["overrides"]

    compared = yrdsim_compare(str(root), "--no-figures", "--baseline", "none")
    assert compared.returncode == 0, compared.stderr
    assert "failed run" in compared.stderr and "injected failure" in compared.stderr
    assert "no 'none' runs in the sweep" in compared.stderr
    runs = pd.read_csv(root / "comparison" / "runs.csv")
    assert list(runs["status"]) == ["used", "failed"]
    summary = pd.read_csv(root / "comparison" / "summary.csv")
    assert set(summary["n_runs"]) == {1} and summary["std"].isna().all()

    fixed = yrdsim(*argv)  # the same sweep again: only the failed run is repeated
    assert fixed.returncode == 0, fixed.stderr
    assert "1 ran, 1 skipped (already complete), 0 failed" in fixed.stdout
    assert is_complete(folders[0]) and not (folders[0] / "failed.json").exists()


def test_experiment_files_declare_sweeps_of_distinct_seeds():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        paper = compose("config", ["experiment=paper_main"], return_hydra_config=True)
        smoke = compose("config", ["experiment=smoke"], return_hydra_config=True)
    assert str(paper.hydra.mode) == "RunMode.MULTIRUN"
    assert paper.hydra.sweep.dir == "outputs/sweeps/paper_main"
    jobs = expand_sweep(dict(paper.hydra.sweeper.params), [])
    assert len(jobs) == 50
    pairs = {(job[0], job[1]) for job in jobs}
    assert len(pairs) == 50
    assert {j[1] for j in jobs} == {f"seed={k}" for k in range(10)}
    assert len(expand_sweep(dict(smoke.hydra.sweeper.params), [])) == 4
    # a command-line value replaces the file's
    assert len(expand_sweep(dict(paper.hydra.sweeper.params), ["seed=0,1"])) == 10


def test_the_slurm_launcher_config_composes_with_documented_defaults():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", ["hydra/launcher=slurm"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.cpus_per_task == 1 and launcher.timeout_min == 30
    assert launcher.mem_gb == 2 and launcher.array_parallelism == 64


def test_run_folder_names_do_not_depend_on_override_order():
    a = run_folder_name("vouchers", 3, ["seed=3", "end_year=2030", "scenario.vouchers.cap=1"])
    b = run_folder_name("vouchers", 3, ["scenario.vouchers.cap=1", "end_year=2030", "seed=3"])
    c = run_folder_name("vouchers", 3, ["seed=3", "end_year=2030", "scenario.vouchers.cap=2"])
    assert a == b != c
    assert a.startswith("vouchers_seed3_")
    assert run_folder_name("baseline", 0, ["scenario=baseline", "seed=0"]) == "baseline_seed0"
    assert "/" not in run_folder_name("a/b", 0, ["scenario/transport=delayed"])


def test_progress_line_counts_done_runs_and_estimates_from_runs_that_ran():
    line = progress_line(["ran", "skipped", "failed"], 10, 40.0)
    assert line.startswith("run 3/10 done (1 skipped, 1 failed), elapsed 0:00:40")
    assert "ETA 0:02:20" in line  # 40 s for 2 runs that ran, 7 to go
    assert progress_line(["ran"] * 4, 4, 8.0).endswith("sweep complete")
    assert "ETA unknown" in progress_line(["skipped"], 3, 1.0)


def test_a_run_that_raises_leaves_failed_json_and_only_a_sweep_goes_on(tmp_path, monkeypatch):
    import sim.hydra.app as cli

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", SHORT)

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "run", boom)
    with pytest.raises(RuntimeError, match="boom"):
        cli.task(cfg, tmp_path, SHORT, sweeping=False)
    assert json.loads((tmp_path / "failed.json").read_text())["message"] == "boom"
    assert cli.task(cfg, tmp_path / "swept", SHORT, sweeping=True) == "failed"
    assert (tmp_path / "swept" / "failed.json").exists()


def test_output_options_change_neither_the_hash_nor_the_folder_name():
    import sim
    from sim.runs.folders import run_folder_name

    with_figures = sim.load_config(["end_year=2022", "output.figures=true"])
    without = sim.load_config(["end_year=2022", "output.figures=false"])
    assert with_figures.config_hash() == without.config_hash()
    assert run_folder_name("baseline", 0, ["end_year=2022", "output.figures=false"]) == (
        run_folder_name("baseline", 0, ["end_year=2022"])
    )
    other = sim.load_config(["end_year=2023", "output.figures=false"])
    assert other.config_hash() != without.config_hash()
