"""The comparison of a sweep's runs: statistics, grouping, references, run statuses, CLI errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import compare
from sim.cli.compare import run_comparison
from sim.runs.output import write_run

BASE = ["end_year=2021", "persons_per_agent=20000", "output.figures=false"]
RATE = "scenario.vouchers.subsidy_rate"


def _write(run, region, root: Path, overrides: list[str]) -> Path:
    """Simulate with ``overrides`` and write a run folder as a sweep job would."""
    result = run(*BASE, *overrides)
    name = "_".join(o.replace("/", "-") for o in overrides)
    folder = root / name
    write_run(result, folder, extra_provenance={"overrides": overrides})
    return folder


@pytest.fixture(scope="module")
def lever_sweep(run, region, tmp_path_factory) -> Path:
    """2 scenarios x 2 subsidy rates x 2 seeds (+ one extra seed of vouchers at 0.3)."""
    root = tmp_path_factory.mktemp("lever")
    for scenario in ("baseline", "vouchers"):
        for rate in ("0.3", "0.6"):
            for seed in (0, 1):
                _write(
                    run, region, root, [f"scenario={scenario}", f"{RATE}={rate}", f"seed={seed}"]
                )
    _write(run, region, root, ["scenario=vouchers", f"{RATE}=0.3", "seed=2"])
    return root


def test_t_interval_matches_scipy_and_is_nan_for_one_run():
    values = np.array([3.0, 4.5, 2.0, 5.5])
    mean, std, low, high, n = compare.t_interval(values)
    expected = stats.t.interval(0.95, 3, loc=values.mean(), scale=stats.sem(values))
    assert (mean, n) == (values.mean(), 4)
    assert std == pytest.approx(values.std(ddof=1))
    assert (low, high) == pytest.approx(expected)
    mean, std, low, high, n = compare.t_interval(np.array([7.0]))
    assert mean == 7.0 and n == 1 and np.isnan([std, low, high]).all()


def test_welch_interval_matches_scipy():
    a, b = np.array([1.0, 2.5, 3.0, 4.0]), np.array([0.5, 0.7, 2.0])
    delta, low, high = compare.welch_interval(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert delta == pytest.approx(a.mean() - b.mean())
    assert (low, high) == pytest.approx((ci.low, ci.high))


@pytest.mark.slow
def test_groups_are_the_scenario_and_every_varying_override_but_the_seed(lever_sweep):
    data = compare.load_sweep(lever_sweep)
    assert data.keys == ["scenario", RATE]
    assert len(data.used) == 9
    groups = data.groups()
    assert groups.values.tolist() == [
        ["baseline", "0.3"],
        ["baseline", "0.6"],
        ["vouchers", "0.3"],
        ["vouchers", "0.6"],
    ]
    summary = compare.summarise_metrics(data)
    assert list(summary.columns) == ["scenario", RATE, *compare.SUMMARY_COLUMNS]
    n = summary.groupby(["scenario", RATE])["n_runs"].max().to_dict()
    assert n == {("baseline", "0.3"): 2, ("baseline", "0.6"): 2, ("vouchers", "0.3"): 3,
                 ("vouchers", "0.6"): 2}  # fmt: skip
    pooled = compare.load_sweep(lever_sweep, group_by=[])
    assert pooled.keys == ["scenario"]
    assert compare.summarise_metrics(pooled)["n_runs"].max() == 5


@pytest.mark.slow
def test_differences_are_paired_by_seed_against_the_reference_with_the_same_lever(lever_sweep):
    data = compare.load_sweep(lever_sweep)
    diffs = compare.end_year_differences(data, compare.Reference.parse("baseline"))
    final = data.metrics[data.metrics["year"] == 2021].set_index(["scenario", RATE, "seed"])
    # vouchers at 0.6 vs baseline at 0.6: same seeds, so a paired interval
    row = diffs.query(f"scenario == 'vouchers' and `{RATE}` == '0.6' and metric == 'innovations'")
    mine = final.loc[("vouchers", "0.6"), "innovations"].sort_index().to_numpy(float)
    ref = final.loc[("baseline", "0.6"), "innovations"].sort_index().to_numpy(float)
    ci = stats.ttest_rel(mine, ref).confidence_interval(0.95)
    assert row["delta"].iloc[0] == pytest.approx((mine - ref).mean())
    assert (row["delta_ci_low"].iloc[0], row["delta_ci_high"].iloc[0]) == pytest.approx(
        (ci.low, ci.high)
    )
    assert row["n_pairs"].iloc[0] == 2
    # vouchers at 0.3 has a third seed that baseline lacks: Welch's interval, unpaired
    row = diffs.query(f"scenario == 'vouchers' and `{RATE}` == '0.3' and metric == 'innovations'")
    mine = final.loc[("vouchers", "0.3"), "innovations"].to_numpy(float)
    ref = final.loc[("baseline", "0.3"), "innovations"].to_numpy(float)
    assert row["delta"].iloc[0] == pytest.approx(mine.mean() - ref.mean())
    assert row["n_pairs"].iloc[0] == 0
    ci = stats.ttest_ind(mine, ref, equal_var=False).confidence_interval(0.95)
    assert (row["delta_ci_low"].iloc[0], row["delta_ci_high"].iloc[0]) == pytest.approx(
        (ci.low, ci.high)
    )
    # the reference can also be a lever value
    by_rate = compare.end_year_differences(data, compare.Reference.parse(f"{RATE}=0.3"))
    row = by_rate.query(f"scenario == 'vouchers' and `{RATE}` == '0.6' and metric == 'gdp'")
    expected = (
        final.loc[("vouchers", "0.6"), "gdp"].mean() - final.loc[("vouchers", "0.3"), "gdp"].mean()
    )
    assert row["delta"].iloc[0] == pytest.approx(expected)


@pytest.mark.slow
def test_city_summary_holds_the_final_year_per_city_with_deltas(lever_sweep):
    data = compare.load_sweep(lever_sweep)
    cities = compare.summarise_cities(data, compare.Reference.parse("baseline"))
    assert set(cities["year"]) == {2021}
    assert cities["city_id"].nunique() == 41
    final = data.cities[data.cities["year"] == 2021].set_index(["scenario", RATE, "city_id"])
    row = cities.query(f"scenario == 'vouchers' and `{RATE}` == '0.6' and city_id == 'hefei'"
                       " and metric == 'innovations'")  # fmt: skip
    mine = final.loc[("vouchers", "0.6", "hefei"), "innovations"].mean()
    ref = final.loc[("baseline", "0.6", "hefei"), "innovations"].mean()
    assert row["mean"].iloc[0] == pytest.approx(mine)
    assert row["delta_vs_baseline"].iloc[0] == pytest.approx(mine - ref)
    baseline = cities[cities["scenario"] == "baseline"]
    assert (baseline["delta_vs_baseline"] == 0).all()


@pytest.mark.slow
def test_failed_incomplete_missing_and_duplicate_runs_are_listed_not_used(lever_sweep, tmp_path):
    root = tmp_path / "sweep"
    shutil.copytree(lever_sweep, root)
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    shutil.copytree(folders[0], root / "zz_copy")  # same group and seed again
    incomplete = folders[1]
    (incomplete / "provenance.json").unlink()
    failed = root / "failed_run"
    (failed / ".hydra").mkdir(parents=True)
    (failed / ".hydra" / "overrides.yaml").write_text("- scenario=baseline\n- seed=9\n")
    (failed / "failed.json").write_text(
        json.dumps({"error_type": "ValueError", "message": "bad", "overrides": []})
    )
    jobs = [["scenario=baseline", f"{RATE}=0.3", "seed=0"], ["scenario=baseline", "seed=42"]]
    (root / "sweep.json").write_text(json.dumps({"total": 2, "jobs": jobs}))
    data = compare.load_sweep(root)
    table = compare.runs_table(data, root)
    status = dict(zip(table["run"].fillna(""), table["status"], strict=True))
    assert status["zz_copy"] == "duplicate"
    assert status[incomplete.name] == "incomplete"
    assert status["failed_run"] == "failed"
    missing = table[table["status"] == "missing"]
    assert missing["overrides"].tolist() == ["scenario=baseline seed=42"]
    assert (table["status"] == "used").sum() == 8
    assert compare.summarise_metrics(data)["n_runs"].max() == 3


@pytest.mark.slow
def test_the_comparison_folder_holds_tables_text_and_figures_without_a_reference(lever_sweep):
    out = lever_sweep / "cmp_none"
    _, written = run_comparison(lever_sweep, baseline="nothing", out=out, figures=False)
    names = {p.name for p in written}
    assert {"summary.csv", "city_summary.csv", "differences.csv", "runs.csv", "summary.tex",
            "report.md"} <= names  # fmt: skip
    assert pd.read_csv(out / "differences.csv").empty
    assert pd.read_csv(out / "city_summary.csv")["delta_vs_baseline"].isna().all()
    assert "no `nothing` runs" in (out / "report.md").read_text()


def _compare_cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli.compare", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("kind", ["absent", "empty"])
def test_a_folder_without_runs_is_refused_with_one_line_and_status_2(kind, tmp_path):
    target = tmp_path / "x"
    if kind == "empty":
        target.mkdir()
    done = _compare_cli(str(target))
    assert done.returncode == 2
    assert done.stderr.startswith("yrdsim-compare: error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (target / "comparison").exists()


def test_difference_maps_name_only_the_largest_clear_differences():
    from sim.figures.comparison import LABELLED_CITIES_PER_MAP, _largest_clear_differences

    ids = [f"c{i}" for i in range(10)]
    frame = pd.DataFrame(
        {
            "pct": [-5.0, 4.0, 3.0, 2.0, 1.5, 1.2, 1.1, 0.05, 9.0, np.nan],
            "uncertain": [False] * 8 + [True, False],  # c8 is largest but not clear
        },
        index=pd.Index(ids, name="city_id"),
    )
    named = _largest_clear_differences(frame, set(ids), min_abs=0.5)
    assert named == ["c0", "c1", "c2", "c3", "c4", "c5"][:LABELLED_CITIES_PER_MAP]
    assert _largest_clear_differences(frame, set(ids) - {"c0"}, min_abs=3.5) == ["c1"]
    assert _largest_clear_differences(frame, set(ids), min_abs=10.0) == []
