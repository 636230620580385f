"""Scenario discovery: sampling, resumable runs, PRIM and feature scores, the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis import exploration
from sim.analysis.exploration import Condition, discover, latin_hypercube, run_exploration
from sim.analysis.problem import PROBLEM
from sim.cli import explore as explore_cli
from sim.config.schema import ConfigError
from tests.figures.test_provenance import assert_stamped, assert_tables_provenance

TINY = ["persons_per_agent=4000", "end_year=2021", "output.figures=false"]
NAMES = ["voucher_subsidy_rate", "transport_delay_years", "voucher_portability"]


def test_condition_is_parsed_and_bad_ones_name_what_is_allowed():
    c = Condition.parse("central_area_gdp_pc_ratio <= 1.2")
    assert (c.outcome, c.op, c.value) == ("central_area_gdp_pc_ratio", "<=", 1.2)
    table = pd.DataFrame({"central_area_gdp_pc_ratio": [1.1, 1.2, 1.3]})
    assert c.holds(table).tolist() == [True, True, False]
    with pytest.raises(ConfigError, match="'gdp_ratio' is not an outcome; allowed: "):
        Condition.parse("gdp_ratio < 1")
    with pytest.raises(ConfigError, match="allowed operators: <=, >=, <, >"):
        Condition.parse("central_area_gdp_pc_ratio == 1")


def test_latin_hypercube_stratifies_every_input_and_respects_types():
    params = PROBLEM.select([*NAMES, "migration.real_wage_weight"])
    sample = latin_hypercube(params, 30, seed=3)
    wage = PROBLEM.parameter("migration.real_wage_weight")
    position = (sample["migration.real_wage_weight"] - wage.low) / (wage.high - wage.low)
    strata = np.floor(position * 30)
    assert sorted(strata.astype(int)) == list(range(30))  # one point per stratum
    assert sample["transport_delay_years"].dtype.kind == "i"
    assert sample["transport_delay_years"].between(0, 10).all()
    assert sample["voucher_portability"].value_counts().to_dict() == {
        "city": 10,
        "province": 10,
        "yrd": 10,
    }
    pd.testing.assert_frame_equal(sample, latin_hypercube(params, 30, seed=3))
    with pytest.raises(ConfigError, match="sample size: 0 is not allowed"):
        latin_hypercube(params, 0, seed=3)


def test_a_stopped_exploration_resumes_where_it_stopped_and_other_settings_are_refused(
    tmp_path, region
):
    base = sim.load_config(["scenario=integrated", *TINY])
    calls = []

    def stop_after_first(done, total, seconds):
        calls.append(done)
        raise KeyboardInterrupt

    out = tmp_path / "explore"
    with pytest.raises(KeyboardInterrupt):
        run_exploration(
            out, base, region, size=5, seed=1, names=NAMES, n_jobs=1, block=2,
            progress=stop_after_first,
        )
    assert len(list((out / "blocks").glob("block_*.csv"))) == 1
    resumed = []
    table = run_exploration(
        out, base, region, size=5, seed=1, names=NAMES, n_jobs=1, block=2,
        progress=lambda done, total, s: resumed.append(done),
    )
    assert resumed == [4, 5]  # the two missing blocks only
    whole = run_exploration(
        tmp_path / "whole", base, region, size=5, seed=1, names=NAMES, n_jobs=1, block=2
    )
    pd.testing.assert_frame_equal(table, whole)
    assert list(table.columns) == ["point", *NAMES, *PROBLEM.outcome_names]
    assert (out / "experiments.csv").exists()
    assert json.loads((out / "exploration_done.json").read_text())["complete"] is True
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(ConfigError, match="holds an exploration with other size"):
        run_exploration(out, base, region, size=6, seed=1, names=NAMES, n_jobs=1, block=2)
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing deleted


@pytest.mark.slow
def test_prim_finds_the_box_where_a_synthetic_condition_holds():
    pytest.importorskip("ema_workbench")
    rng = np.random.default_rng(0)
    n = 400
    table = pd.DataFrame(
        {
            "voucher_subsidy_rate": rng.uniform(0.3, 0.7, n),
            "hukou_barrier_reduction": rng.uniform(0, 1, n),
            "voucher_portability": rng.choice(["city", "province", "yrd"], n),
        }
    )
    for name in PROBLEM.outcome_names:
        table[name] = rng.normal(size=n)
    # The condition holds where the barrier reduction is above 0.6 (and nowhere else).
    table["central_area_gdp_pc_ratio"] = 1.0 + (table["hukou_barrier_reduction"] > 0.6) * 0.5
    condition = Condition.parse("central_area_gdp_pc_ratio >= 1.4")
    found = discover(
        table, condition, ["voucher_subsidy_rate", "hukou_barrier_reduction", "voucher_portability"]
    )
    summary = found.summary()
    assert summary["coverage"] >= 0.9 and summary["density"] >= 0.9
    limits = found.limits.set_index("factor")
    assert list(limits.index) == ["hukou_barrier_reduction"]
    assert limits.loc["hukou_barrier_reduction", "low"] == pytest.approx(0.6, abs=0.05)
    assert found.scores.iloc[0]["factor"] == "hukou_barrier_reduction"
    with pytest.raises(ConfigError, match="holds at no point of 400"):
        discover(table, Condition.parse("central_area_gdp_pc_ratio > 9"), ["voucher_subsidy_rate"])


@pytest.mark.slow
def test_explore_command_writes_the_table_tables_and_figures(tmp_path, capsys):
    pytest.importorskip("ema_workbench")
    out = tmp_path / "x"
    args = [
        str(out), "--size", "8", "--block", "4", "--n-jobs", "1", "--end-year", "2021",
        "--persons-per-agent", "4000", "--factors", "hukou_barrier_reduction",
        "migration.size_elasticity",
    ]
    assert explore_cli.main(args) == 0
    table = exploration.read_table(out)
    median = table["theil_population"].median()
    assert explore_cli.main([*args, "--condition", f"theil_population <= {median}"]) == 0
    printed = capsys.readouterr().out
    assert "chosen box" in printed
    for name in ("prim_trajectory.csv", "prim_box.csv", "prim_box.json", "feature_scores.csv",
                 "prim_tradeoff.png", "prim_box.png", "feature_scores.png"):
        assert (out / "discovery" / name).stat().st_size > 0, name
    assert assert_stamped(sorted((out / "discovery").iterdir())) == {
        "prim_tradeoff", "prim_box", "feature_scores"
    }
    assert_tables_provenance(out, {"sample.csv", "experiments.csv"})
    assert_tables_provenance(
        out / "discovery", {"prim_trajectory.csv", "prim_box.csv", "prim_box.json",
                            "feature_scores.csv"}
    )
    assert explore_cli.main([*args, "--condition", "nope < 1"]) == 2
    assert "'nope' is not an outcome" in capsys.readouterr().err
    assert explore_cli.main([str(tmp_path / "y"), "--factors", "bogus"]) == 2
    assert not (tmp_path / "y").exists()
