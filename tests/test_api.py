"""The first hour: a scenario folder of one's own, and writing a result from Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.runs.folders import is_complete
from tests.conftest import SHORT

CONFIGS = Path(__file__).parents[1] / "configs"


def _own_scenario(folder: Path) -> Path:
    (folder / "scenario").mkdir(parents=True)
    text = (CONFIGS / "scenario" / "integrated.yaml").read_text(encoding="utf-8")
    (folder / "scenario" / "mine.yaml").write_text(
        text.replace("name: integrated", "name: mine"), encoding="utf-8"
    )
    return folder


def test_load_config_finds_a_scenario_in_the_users_folder(tmp_path):
    folder = _own_scenario(tmp_path / "my_configs")
    config = sim.load_config(["scenario=mine", "seed=2"], config_dir=folder)
    assert config.scenario.name == "mine" and config.seed == 2
    integrated = sim.load_config(["scenario=integrated", "seed=2"])
    assert config.scenario.model_dump(exclude={"name", "description"}) == (
        integrated.scenario.model_dump(exclude={"name", "description"})
    )
    with pytest.raises(sim.ConfigError, match="'mine' is not a scenario"):
        sim.load_config(["scenario=mine"])
    with pytest.raises(sim.ConfigError, match=r"config_dir: .* is not a folder"):
        sim.load_config([], config_dir=tmp_path / "absent")


def test_an_unknown_scenario_points_to_config_dir():
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli.run", "scenario=foo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "'foo' is not a scenario" in done.stderr
    assert "put foo.yaml in DIR/scenario/ and add --config-dir DIR" in done.stderr


def test_write_result_writes_a_complete_run_folder_with_figures(region, tmp_path):
    result = sim.simulate(sim.load_config(list(SHORT)), data=region)
    written = sim.write_result(result, tmp_path, data=region)
    assert is_complete(tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    expected = {"metrics.csv", "datapackage.json", "config.json", "provenance.json"}
    expected |= {"figures/population_change_map.png", "figures/headline_indicators.pdf"}
    assert expected <= names
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert record["config_hash"] == result.config.config_hash()
    assert sim.write_result(result, tmp_path / "plain", figures=False)
    assert not (tmp_path / "plain" / "figures").exists()
