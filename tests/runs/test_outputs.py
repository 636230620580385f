"""What a run writes: tables equal to the API's, byte-identical reruns, provenance, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.figures.run import run_figure_writer
from sim.runs.folders import is_complete
from sim.runs.output import write_run
from tests.conftest import SHORT

TABLES = ("metrics", "cities", "flows", "travel_times", "vouchers")


def test_written_csvs_equal_the_returned_tables(run, region, tmp_path):
    result = run(*SHORT)
    write_run(result, tmp_path)
    for name in TABLES:
        read = pd.read_csv(tmp_path / f"{name}.csv")
        expected = getattr(result, name)
        pd.testing.assert_frame_equal(read, expected, check_dtype=False, check_exact=True)
    assert is_complete(tmp_path)


@pytest.mark.slow
def test_same_seed_writes_byte_identical_csvs(region, tmp_path):
    config = sim.load_config([*SHORT, "scenario=integrated"])
    for folder in ("a", "b"):
        write_run(sim.simulate(config, data=region), tmp_path / folder)
    for name in TABLES:
        first = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.csv").read_bytes(), name


def test_provenance_records_what_produced_the_run(run, region, tmp_path):
    result = run(*SHORT)
    write_run(result, tmp_path)
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert record["seed"] == 0
    assert record["config_hash"] == result.config.config_hash()
    assert record["packages"]["mesa"].startswith("3.3")
    assert record["python"].startswith("3.")
    assert record["wall_seconds"] > 0
    assert record["model"]["talent_agents"] == result.info["talent_agents"] > 100_000
    assert record["complete"] is True
    assert {"started", "finished", "version", "git_commit", "units"} <= set(record)


def test_a_rerun_into_the_same_folder_is_incomplete_until_it_finishes(run, region, tmp_path):
    result = run(*SHORT)
    write_run(result, tmp_path)

    class Boom(RuntimeError):
        pass

    def explode(*_args, **_kwargs):
        raise Boom

    failing = sim.SimulationResult(
        config=result.config,
        metrics=result.metrics,
        cities=result.cities,
        flows=result.flows,
        travel_times=result.travel_times,
        vouchers=result.vouchers,
    )
    failing.tables = explode  # a failure while writing the tables
    with pytest.raises(Boom):
        write_run(failing, tmp_path)
    assert not is_complete(tmp_path)
    assert not list(tmp_path.glob("*.part"))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli.run",
            "scenario=integrated",
            "seed=3",
            "end_year=2023",
            "persons_per_agent=5000",
            f"hydra.run.dir={out}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return out


@pytest.mark.slow
def test_cli_writes_a_complete_run_folder(cli_run):
    for name in TABLES:
        assert (cli_run / f"{name}.csv").stat().st_size > 0
    for stem in ("population_change_map", "headline_indicators", "population_change_by_city"):
        for suffix in (".png", ".pdf"):
            assert (cli_run / "figures" / f"{stem}{suffix}").stat().st_size > 10_000
    assert (cli_run / ".hydra" / "config.yaml").exists()
    record = json.loads((cli_run / "provenance.json").read_text())
    assert record["scenario"] == "integrated" and record["seed"] == 3
    assert "seed=3" in record["overrides"]
    metrics = pd.read_csv(cli_run / "metrics.csv")
    assert list(metrics["year"]) == [2020, 2021, 2022, 2023]


@pytest.mark.slow
def test_cli_and_api_give_the_same_tables(cli_run, region):
    config = sim.load_config(
        ["scenario=integrated", "seed=3", "end_year=2023", "persons_per_agent=5000"]
    )
    result = sim.simulate(config, data=region)
    for name in TABLES:
        read = pd.read_csv(cli_run / f"{name}.csv")
        pd.testing.assert_frame_equal(
            read, getattr(result, name), check_dtype=False, check_exact=True
        )


def test_cli_refuses_a_bad_config_with_a_short_message(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli.run",
            "scenario.vouchers.subsidy_rate=2",
            f"hydra.run.dir={tmp_path / 'bad'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "scenario.vouchers.subsidy_rate" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "bad" / "metrics.csv").exists()


@pytest.mark.slow
def test_rewriting_a_folder_without_figures_removes_the_earlier_figures(tmp_path, run, region):
    with_figures = run("end_year=2021", "persons_per_agent=5000", "output.figures=true")
    write_run(with_figures, tmp_path, figures=run_figure_writer(with_figures, region))
    assert list((tmp_path / "figures").glob("*.png"))
    without = run("end_year=2021", "persons_per_agent=5000", "seed=5")
    write_run(without, tmp_path)
    assert not list((tmp_path / "figures").glob("*.p*"))
    assert is_complete(tmp_path)
