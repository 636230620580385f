"""The comparison's long table, yearly differences, datapackage.json and figure provenance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.analysis import compare
from sim.analysis.report import write_comparison
from sim.figures.comparison import comparison_figure_writer
from sim.runs.output import write_run
from tests.figures.test_provenance import assert_stamped

BASE = ["end_year=2022", "persons_per_agent=20000", "output.figures=false"]


@pytest.fixture(scope="module")
def sweep(run, region, tmp_path_factory) -> Path:
    """baseline and integrated, seeds 0 and 1, written as a sweep's run folders."""
    root = tmp_path_factory.mktemp("sweep")
    for scenario in ("baseline", "integrated"):
        for seed in (0, 1):
            overrides = [f"scenario={scenario}", f"seed={seed}"]
            write_run(
                run(*BASE, *overrides),
                root / f"{scenario}_{seed}",
                extra_provenance={"overrides": overrides},
            )
    return root


@pytest.mark.slow
def test_all_runs_holds_every_value_of_every_run_with_its_overrides(sweep):
    data = compare.load_sweep(sweep)
    table = compare.all_runs_table(data)
    metrics = pd.read_csv(sweep / "integrated_1" / "metrics.csv")
    values = [c for c in metrics.columns if c != "year"]
    assert len(table) == 4 * len(metrics) * len(values)
    mine = table[(table["scenario"] == "integrated") & (table["seed"] == 1)]
    assert set(mine["run"]) == {"integrated_1"}
    assert set(mine["overrides"]) == {"scenario=integrated seed=1"}
    gdp = mine[mine["metric"] == "gdp"].set_index("year")["value"]
    assert gdp.to_dict() == pytest.approx(metrics.set_index("year")["gdp"].to_dict())
    assert mine["config_hash"].str.len().eq(64).all()


@pytest.mark.slow
def test_yearly_differences_are_paired_by_seed_with_percentages(sweep):
    data = compare.load_sweep(sweep)
    yearly = compare.yearly_differences(data, compare.Reference.parse("baseline"))
    assert set(yearly["scenario"]) == {"integrated"}
    row = yearly[(yearly["metric"] == "gdp") & (yearly["year"] == 2022)].iloc[0]
    read = {
        (s, seed): pd.read_csv(sweep / f"{s}_{seed}" / "metrics.csv").set_index("year")
        for s in ("baseline", "integrated")
        for seed in (0, 1)
    }
    deltas = [read["integrated", s].loc[2022, "gdp"] - read["baseline", s].loc[2022, "gdp"]
              for s in (0, 1)]  # fmt: skip
    reference = np.mean([read["baseline", s].loc[2022, "gdp"] for s in (0, 1)])
    assert row["delta"] == pytest.approx(np.mean(deltas))
    assert row["n_pairs"] == 2
    assert row["delta_pct"] == pytest.approx(100 * np.mean(deltas) / reference)
    assert row["delta_pct_ci_low"] <= row["delta_pct"] <= row["delta_pct_ci_high"]


@pytest.mark.slow
def test_the_comparison_folder_is_a_data_package_and_its_figures_carry_provenance(sweep):
    out = sweep / "comparison"
    _, written = write_comparison(sweep, out=out, figures=comparison_figure_writer)
    package = json.loads((out / "datapackage.json").read_text())
    paths = {r["path"] for r in package["resources"]}
    assert {"summary.csv", "all_runs.csv", "runs.csv", "differences.csv"} <= paths
    for resource in package["resources"]:
        frame = pd.read_csv(out / resource["path"])
        assert [f["name"] for f in resource["schema"]["fields"]] == list(frame.columns)
        assert all(f["description"] and f["unit"] for f in resource["schema"]["fields"])
    assert package["yrdsim"]["seeds"] == [0, 1]
    assert len(package["yrdsim"]["config_hashes"]) == 4
    png = out / "figures" / "timeseries.png"
    assert png in written and (out / "figures" / "timeseries_levels.png").is_file()
    stamp = json.loads(Image.open(png).text["Description"])
    assert stamp["runs"] == 4 and stamp["seeds"] == [0, 1]
    assert len(assert_stamped(sorted((out / "figures").iterdir()))) >= 4  # every figure
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(out / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_a_sweep_of_parquet_only_runs_is_compared_like_csv(run, region, tmp_path):
    for scenario in ("baseline", "transport"):
        overrides = [f"scenario={scenario}", "output.format=parquet"]
        write_run(
            run(*BASE, *overrides), tmp_path / scenario, extra_provenance={"overrides": overrides}
        )
    assert not list(tmp_path.glob("*/metrics.csv"))
    _, written = write_comparison(tmp_path, out=tmp_path / "cmp")
    names = {p.name for p in written}
    assert {"all_runs.csv", "all_runs.parquet", "summary.parquet"} <= names
    table = pd.read_parquet(tmp_path / "cmp" / "all_runs.parquet")
    assert set(table["scenario"]) == {"baseline", "transport"}
