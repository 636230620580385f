"""The sweep view reads a sweep folder as yrdsim-compare does, and writes nothing into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis import compare
from sim.explorer.sweep import SweepError, load_sweep_view
from sim.runs.output import write_run

BASE = ["end_year=2022", "persons_per_agent=20000", "output.figures=false"]


@pytest.fixture(scope="module")
def sweep(run, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sweep_view")
    for scenario in ("baseline", "residency"):
        for seed in (0, 1, 2):
            overrides = [f"scenario={scenario}", f"seed={seed}"]
            folder = root / f"{scenario}_seed{seed}"
            write_run(run(*BASE, *overrides), folder, extra_provenance={"overrides": overrides})
    return root


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_view_matches_the_comparison_and_writes_nothing(sweep):
    before = _files(sweep)
    view = load_sweep_view(sweep)
    assert _files(sweep) == before
    assert view.n_runs == 6 and view.skipped == []
    assert list(view.labels.values()) == ["baseline", "residency"]
    summary = compare.summarise_metrics(compare.load_sweep(sweep))
    row = summary[(summary["scenario"] == "residency") & (summary["metric"] == "population")]
    lines = {s.name: s for s in view.series("population")}
    assert lines["residency"].y == pytest.approx((row["mean"] * 1e-6).tolist())
    assert lines["residency"].low == pytest.approx((row["ci_low"] * 1e-6).tolist())
    assert lines["baseline"].dashed and not lines["residency"].dashed
    assert view.years() == (2020, 2022)
    assert view.metrics()[0] == "population"


def test_difference_map_is_the_city_summary_in_percent(sweep):
    view = load_sweep_view(sweep)
    delta, unclear, year = view.differences("residency", "population")
    assert year == 2022 and len(delta) == 41
    cities = view.cities
    row = cities[
        (cities["scenario"] == "residency")
        & (cities["metric"] == "population")
        & (cities["city_id"] == "nanjing")
    ].iloc[0]
    reference = row["mean"] - row["delta_vs_baseline"]
    assert delta["nanjing"] == pytest.approx(100 * row["delta_vs_baseline"] / reference)
    assert unclear["nanjing"] == bool(row["delta_ci_low"] <= 0 <= row["delta_ci_high"])
    assert view.differences("baseline", "population")[0]  # baseline minus itself: zeros
    assert set(view.differences("baseline", "population")[0].values()) == {0.0}


def test_bad_folders_get_one_line(tmp_path):
    with pytest.raises(SweepError, match="is not a folder"):
        load_sweep_view(tmp_path / "nowhere")
    with pytest.raises(SweepError, match="holds no complete run"):
        load_sweep_view(tmp_path)
    with pytest.raises(SweepError, match="empty"):
        load_sweep_view("  ")
