"""Bad input gets one clear message: a table of mistakes and the words their message must hold.

Each case is a ``yrdsim`` command line checked by :func:`sim.hydra.checks.check_command_line`
(what the CLI runs before Hydra starts), optionally with a user config folder (YAML written by
hand, passed with ``--config-dir``) or a copy of the bundled data with one defect (passed with
``data_dir=``). The tests named ``test_cli_wired_*`` run the real command in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from sim.config.schema import ConfigError
from sim.core.data import BUNDLED_DATA_DIR, DataError
from sim.hydra.checks import check_command_line, check_overrides

CITY_LIST_SAMPLE = "ningbo"  # any city id: the message lists the valid ones


def _cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        frame.loc[row, column] = value
        frame.to_csv(folder / file, index=False)

    return change


def _drop_column(file: str, column: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        frame.drop(columns=[column]).to_csv(folder / file, index=False)

    return change


def _remove(file: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).unlink()


def _geojson(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / "yrd_cities.geojson"
        collection = json.loads(path.read_text())
        edit(collection)
        path.write_text(json.dumps(collection))

    return change


def _empty(file: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).write_text("")


def _truncate_geojson(folder: Path) -> None:
    path = folder / "yrd_cities.geojson"
    path.write_text(path.read_text()[:1000])


@dataclass(frozen=True)
class Case:
    """One mistake: the command line, optional user YAML or data defect, the expected words."""

    name: str
    argv: list[str]
    words: list[str]
    yaml: dict[str, str] = field(default_factory=dict)
    data: Callable[[Path], None] | None = None
    error: type[Exception] = ConfigError


SCENARIO_HEAD = "defaults:\n  - baseline\n  - _self_\nname: mine\n"

CASES = [
    # --- unknown scenario, group options, typo keys (rejected by Hydra in its own words before)
    Case("unknown scenario", ["scenario=foo"], ["scenario=foo", "'foo' is not a scenario",
                                                "baseline", "integrated", "vouchers"]),
    Case("misspelt scenario", ["scenario=integratd"], ["did you mean 'integrated'?"]),
    Case("unknown lever option", ["scenario/transport=nope"],
         ["scenario/transport=nope", "allowed: action_plan, delayed, existing"]),
    Case("unknown config group", ["scenario/transprt=delayed"],
         ["scenario/transprt", "scenario/transport", "did you mean 'transport'?"]),
    Case("lever option given as scenario", ["scenario=transport/delayed"],
         ["scenario/transport=delayed"]),
    Case("unknown experiment", ["experiment=smok"],
         ["experiment=smok", "smoke", "did you mean 'smoke'?"]),
    Case("typo in a top-level key", ["sede=3"],
         ["sede", "unknown key", "did you mean 'seed'?", "start_year"]),
    Case("typo in a nested key", ["scenario.vouchers.subsidy_rat=0.5"],
         ["scenario.vouchers.subsidy_rat", "unknown key", "'subsidy_rate'"]),
    Case("typo in an added key", ["+scenario.vouchers.subsidy_rat=0.5"],
         ["scenario.vouchers.subsidy_rat", "unknown key", "'subsidy_rate'", "0.5"]),
    Case("adding a key that exists", ["+seed=3"], ["+seed", "already in the configuration",
                                                   "seed=VALUE"]),
    Case("city budget without +", ["scenario.vouchers.budget_rmb_per_year_by_city.hangzhou=1e6"],
         ["+scenario.vouchers.budget_rmb_per_year_by_city.hangzhou=VALUE"]),
    Case("unreadable override", ["seed=[1,"], ["cannot read the override 'seed=[1,'"]),
    Case("sweep without -m", ["seed=1,2"], ["seed=1,2", "-m", "seed=[1,2]"]),
    Case("bad scenario in a sweep", ["-m", "seed=0,1", "scenario=baseline,foo"],
         ["'foo' is not a scenario"]),
    Case("bad value in a sweep", ["-m", "scenario.vouchers.subsidy_rate=0.5,1.5"],
         ["sweep run with scenario.vouchers.subsidy_rate=1.5", "from 0 to 1"]),
    # --- lever values
    Case("unknown city in a project",
         ["scenario.transport.projects=[{link_id: a, from: shanghai, to: ningbo, year: 2025},"
          "{link_id: b, from: hefei, to: wuhu, year: 2026},"
          "{link_id: c, from: shanghai, to: atlantis, year: 2030}]"],
         ["scenario.transport.projects[2].to", "'atlantis' is not a city id", CITY_LIST_SAMPLE]),
    Case("unknown link id", ["scenario.transport.projects=[{link_id: no_such_link, year: 2030}]"],
         ["scenario.transport.projects[0].link_id", "no_such_link", "plan_huyong_crossing"]),
    Case("project year out of range",
         ["scenario.transport.projects=[{link_id: plan_jinyong_rail, year: 20300}]"],
         ["scenario.transport.projects[0].year", "20300", "from 1800 to 2100"]),
    Case("project without year", ["scenario.transport.projects=[{link_id: plan_jinyong_rail}]"],
         ["scenario.transport.projects[0].year", "required value is missing"]),
    Case("typo in a project key",
         ["scenario.transport.projects=[{link_id: x, form: shanghai, to: ningbo, year: 2030}]"],
         ["scenario.transport.projects[0].form", "did you mean 'from'?"]),
    Case("negative province budget",
         ["scenario.vouchers.budget_rmb_per_year_by_province.Shanghai=-1"],
         ["scenario.vouchers.budget_rmb_per_year_by_province.Shanghai", "got -1", ">= 0"]),
    Case("unknown province", ["+scenario.vouchers.budget_rmb_per_year_by_province.Beijing=1"],
         ["Beijing", "'Shanghai', 'Jiangsu', 'Zhejiang' or 'Anhui'"]),
    Case("budget for an unknown city",
         ["+scenario.vouchers.budget_rmb_per_year_by_city.gotham=1e6"],
         ["budget_rmb_per_year_by_city.gotham", "not a city id", "hangzhou"]),
    Case("subsidy rate above 1", ["scenario.vouchers.subsidy_rate=1.5"],
         ["scenario.vouchers.subsidy_rate", "got 1.5", "allowed: a number from 0 to 1"]),
    Case("subsidy rate below 0", ["scenario.vouchers.subsidy_rate=-0.1"],
         ["scenario.vouchers.subsidy_rate", "got -0.1", "from 0 to 1"]),
    Case("unknown portability", ["scenario.vouchers.portability=nation"],
         ["scenario.vouchers.portability", "'city', 'province' or 'yrd'", "nation"]),
    Case("conversion rate above 1",
         ["scenario.residency.by_size_class.medium.hukou_conversion_rate=2"],
         ["scenario.residency.by_size_class.medium.hukou_conversion_rate", "from 0 to 1"]),
    # --- horizon, scale, seed
    Case("end before start", ["start_year=2030", "end_year=2025"],
         ["end_year: 2025", "start_year (2030)"]),
    Case("start before the first census", ["start_year=2005"],
         ["start_year", "got 2005", "from 2010 to 2100"]),
    Case("persons_per_agent zero", ["persons_per_agent=0"],
         ["persons_per_agent", "got 0", "a whole number > 0"]),
    Case("persons_per_agent negative", ["persons_per_agent=-5"], ["persons_per_agent", "-5"]),
    Case("persons_per_agent too large", ["persons_per_agent=2000000"],
         ["persons_per_agent", "zhoushan", "no talent agent", "allowed: 1 to 1,157,817"]),
    Case("negative seed", ["seed=-1"], ["seed", "got -1", ">= 0"]),
    # --- NaN, text, booleans, null and ??? where a number is expected
    Case("seed NaN", ["seed=nan"], ["seed", "got nan", "a whole number >= 0"]),
    Case("subsidy NaN", ["scenario.vouchers.subsidy_rate=nan"],
         ["scenario.vouchers.subsidy_rate", "got nan", "from 0 to 1"]),
    Case("persons_per_agent .nan", ["persons_per_agent=.nan"],
         ["persons_per_agent", "'.nan'", "a whole number"]),
    Case("infinite parameter", ["params.migration.real_wage_weight=inf"],
         ["params.migration.real_wage_weight", "finite", "> 0"]),
    Case("text for a number", ["seed=abc"], ["seed", "'abc'", "whole number"]),
    Case("text for a budget", ["scenario.vouchers.cap_per_firm_rmb=lots"],
         ["scenario.vouchers.cap_per_firm_rmb", "'lots'", "a number > 0"]),
    Case("boolean for a number", ["seed=true"], ["seed", "boolean true"]),
    Case("null for a required value", ["end_year=null"], ["end_year", "got None", "whole number"]),
    Case("??? on the command line", ["scenario.vouchers.subsidy_rate=???"],
         ["scenario.vouchers.subsidy_rate", "required value is missing", "'???'"]),
    Case("text for a switch", ["output.figures=maybe"], ["output.figures", "true or false"]),
    # --- YAML written by hand (a scenario in a user config folder, --config-dir)
    Case("YAML: typo in a key", ["scenario=mine"],
         ["scenario.vouchers.subsidy_rat", "did you mean 'subsidy_rate'?"],
         yaml={"scenario/mine.yaml": SCENARIO_HEAD + "vouchers:\n  subsidy_rat: 0.5\n"}),
    Case("YAML: key at the wrong level", ["scenario=mine"],
         ["scenario.subsidy_rate", "unknown key", "transport, vouchers, residency"],
         yaml={"scenario/mine.yaml": SCENARIO_HEAD + "subsidy_rate: 0.5\n"}),
    Case("YAML: NaN", ["scenario=mine"], ["scenario.vouchers.subsidy_rate", "got nan"],
         yaml={"scenario/mine.yaml": SCENARIO_HEAD + "vouchers:\n  subsidy_rate: .nan\n"}),
    Case("YAML: text for a number", ["scenario=mine"],
         ["scenario.vouchers.subsidy_rate", "'half'", "from 0 to 1"],
         yaml={"scenario/mine.yaml": SCENARIO_HEAD + "vouchers:\n  subsidy_rate: half\n"}),
    Case("YAML: null name", ["scenario=mine"], ["scenario.name", "got None", "text"],
         yaml={"scenario/mine.yaml": "defaults:\n  - baseline\n  - _self_\nname: null\n"}),
    Case("YAML: ??? value", ["scenario=mine"],
         ["scenario.vouchers.eligible_firms", "required value is missing"],
         yaml={"scenario/vouchers/mine.yaml": "budget_rmb_per_year_by_province: {}\n"
               "subsidy_rate: 0.5\ncap_per_firm_rmb: 1\neligible_firms: ???\n"
               "small_firm_quantile: 0.5\nstart_year: 2021\nportability: yrd\n",
               "scenario/mine.yaml": "defaults:\n  - baseline\n  - override vouchers: mine\n"
               "  - _self_\nname: mine\n"}),
    Case("YAML: unknown city in a project", ["scenario=mine"],
         ["scenario.transport.projects[1].to", "'gotham' is not a city id"],
         yaml={"scenario/mine.yaml": SCENARIO_HEAD + "transport:\n  projects:\n"
               "    - {link_id: plan_jinyong_rail, year: 2023}\n"
               "    - {link_id: new, from: hefei, to: gotham, year: 2030}\n"}),
    Case("YAML: syntax error", ["scenario=mine"], ["mine.yaml", "line 6", "not valid YAML"],
         yaml={"scenario/mine.yaml": SCENARIO_HEAD + "vouchers: {subsidy_rate: 0.5\n"}),
    # --- a data folder of one's own with one defect each
    Case("data: folder missing", ["data_dir=/nonexistent/yrd"], ["data_dir", "not a folder"],
         error=DataError),
    Case("data: missing file", [], ["transport_links.csv", "file not found"],
         data=_remove("transport_links.csv"), error=DataError),
    Case("data: missing column", [], ["cities.csv", "missing column", "pop_2010_persons"],
         data=_drop_column("cities.csv", "pop_2010_persons"), error=DataError),
    Case("data: duplicate city id", [],
         ["cities.csv", "rows [4, 5]", "column 'id'", "duplicate city id", "wuxi"],
         data=_cell("cities.csv", 3, "id", "wuxi"), error=DataError),
    Case("data: link to an unknown city", [],
         ["transport_links.csv", "row 4", "column 'to_id'", "'beijing' is not a city id"],
         data=_cell("transport_links.csv", 2, "to_id", "beijing"), error=DataError),
    Case("data: negative population", [],
         ["cities.csv", "row 6", "column 'pop_2020_persons'", "'-5'", "below the minimum"],
         data=_cell("cities.csv", 4, "pop_2020_persons", "-5"), error=DataError),
    Case("data: zero population", [], ["cities.csv", "row 2", "pop_2010_persons", "minimum 1"],
         data=_cell("cities.csv", 0, "pop_2010_persons", "0"), error=DataError),
    Case("data: unparsable year", [],
         ["transport_links.csv", "row 2", "column 'year_open'", "'2010s' is not a number"],
         data=_cell("transport_links.csv", 0, "year_open", "2010s"), error=DataError),
    Case("data: text population", [], ["cities.csv", "row 3", "pop_2020_persons", "not a number"],
         data=_cell("cities.csv", 1, "pop_2020_persons", "many"), error=DataError),
    Case("data: duplicate id in a city table", [],
         ["city_economy.csv", "column 'id'", "duplicate city id", "shanghai"],
         data=_cell("city_economy.csv", 1, "id", "shanghai"), error=DataError),
    Case("data: unknown id in a city table", [],
         ["city_demography.csv", "row 3", "column 'id'", "'atlantis' is not a city id"],
         data=_cell("city_demography.csv", 1, "id", "atlantis"), error=DataError),
    Case("data: broken GeoJSON", [], ["yrd_cities.geojson", "not a GeoJSON"],
         data=_truncate_geojson, error=DataError),
    # --- issue 16: data edited by hand
    Case("data: empty cities.csv", [], ["cities.csv", "the file is empty"],
         data=_empty("cities.csv"), error=DataError),
    Case("data: empty transport_links.csv", [], ["transport_links.csv", "the file is empty"],
         data=_empty("transport_links.csv"), error=DataError),
    Case("data: GeoJSON properties null", [], ["feature 2", "'properties' must be an object"],
         data=_geojson(lambda c: c["features"][2].update(properties=None)), error=DataError),
    Case("data: GeoJSON geometry malformed", [],
         ["feature 3", "'coordinates' must hold rings of at least 4"],
         data=_geojson(lambda c: c["features"][3]["geometry"].update(coordinates=[[1, 2]])),
         error=DataError),
    Case("data: zero GDP", [], ["city_economy.csv", "row 6", "gdp_2020_filled_100m_cny",
                                "must be above 0"],
         data=_cell("city_economy.csv", 4, "gdp_2020_filled_100m_cny", "0"), error=DataError),
    Case("data: latitude out of range", [], ["cities.csv", "row 6", "'lat'", "maximum 90"],
         data=_cell("cities.csv", 4, "lat", "95"), error=DataError),
    Case("data: status with a capital", [],
         ["transport_links.csv", "row 2", "'status'", "'Existing'", "allowed: existing"],
         data=_cell("transport_links.csv", 0, "status", "Existing"), error=DataError),
    Case("data: unknown mode", [], ["transport_links.csv", "row 2", "'mode'", "'teleport'"],
         data=_cell("transport_links.csv", 0, "mode", "teleport"), error=DataError),
    Case("data: flag not 0/1", [], ["cities.csv", "'central_area'", "allowed: 0 or 1"],
         data=_cell("cities.csv", 4, "central_area", "2"), error=DataError),
    # --- issue 16: parameters
    Case("inverted bounds", ["params.initial.high_skill_bounds=[0.9,0.1]"],
         ["params.initial.high_skill_bounds", "0.9 is above the highest 0.1"]),
    Case("boolean for a share", ["params.migration.steady_state_amenity_share=true"],
         ["params.migration.steady_state_amenity_share", "boolean true"]),
    Case("budgets overflow to inf",
         ["scenario=vouchers", "scenario.vouchers.budget_rmb_per_year_by_province.Shanghai=1e308",
          "scenario.vouchers.budget_rmb_per_year_by_province.Jiangsu=1e308"],
         ["voucher budgets", "add up to inf", "below 1e+18"]),
    Case("persons_per_agent beyond memory", ["persons_per_agent=1"],
         ["persons_per_agent: 1", "talent agents", "of memory", "available"]),
    Case("island cut off", ["params.transport.excluded_links=[road_donghai_bridge,"
                            "road_yongzhou_expwy]"],
         ["transport network", "zhoushan cannot be reached"]),
    # --- issue 16: every combination of a sweep, not each value alone
    Case("bad combination of two sweeps", ["-m", "start_year=2020,2022", "end_year=2022,2021"],
         ["sweep run with start_year=2022 end_year=2021", "end_year: 2021 is before"]),
    # --- issue 16: output folders
    Case("run folder is a file", ["hydra.run.dir=/etc/hostname"],
         ["/etc/hostname", "it is a file, not a folder"]),
    Case("run folder name too long", ["hydra.run.dir=/tmp/" + "x" * 300],
         ["is too long", "300 bytes"]),
    Case("run folder is someone else's", ["hydra.run.dir=" + str(Path(__file__).parent)],
         ["holds files yrdsim did not write", "test_bad_input.py", "hydra.run.dir"]),
]


def _argv(case: Case, tmp_path: Path) -> list[str]:
    argv = list(case.argv)
    if case.yaml:
        for relative, text in case.yaml.items():
            path = tmp_path / "conf" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        argv = ["--config-dir", str(tmp_path / "conf"), *argv]
    if case.data is not None:
        folder = tmp_path / "data"
        shutil.copytree(BUNDLED_DATA_DIR, folder)
        case.data(folder)
        argv.append(f"data_dir={folder}")
    return argv


def test_the_table_has_at_least_30_cases():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_one_clear_message(case, tmp_path):
    with pytest.raises(case.error) as error:
        check_command_line(_argv(case, tmp_path))
    message = str(error.value)
    for word in case.words:
        assert word in message, f"{word!r} not in:\n{message}"
    assert "Traceback" not in message and "HYDRA_FULL_ERROR" not in message
    assert len(message) < 1200, message


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["scenario=integrated", "seed=3", "hydra.run.dir=/tmp/x"],
        ["+scenario.vouchers.budget_rmb_per_year_by_city.hangzhou=1e6"],
        ["scenario/transport=delayed", "end_year=2030"],
        ["-m", "scenario=baseline,transport", "seed=range(0,2)"],
        ["--help"],
        ["--cfg", "job", "sede=3"],  # prints the config only: left to Hydra
    ],
)
def test_good_command_lines_pass(argv):
    check_command_line(argv)


def test_a_sweep_checks_every_value():
    configs = check_overrides(["scenario=baseline,integrated", "seed=range(0,3)"], multirun=True)
    assert {(c.scenario.name, c.seed) for c in configs} == {
        ("baseline", 0),
        ("integrated", 0),
        ("baseline", 1),
        ("baseline", 2),
    }


def test_an_experiment_file_sweep_is_checked(tmp_path):
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "mine.yaml").write_text(
        "# @package _global_\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"
        "      scenario.vouchers.portability: city,nation\n"
    )
    with pytest.raises(ConfigError, match=r"portability=nation.*'city', 'province' or 'yrd'"):
        check_command_line(["--config-dir", str(tmp_path), "experiment=mine"])


def test_project_years_outside_the_horizon_are_allowed_with_a_warning(caplog, region):
    from sim.config.checks import check_against_data
    from sim.core.run import simulate

    config = check_overrides(
        [
            "end_year=2022",
            "persons_per_agent=20000",
            "scenario.transport.projects=[{link_id: plan_jinyong_rail, year: 2015},"
            "{link_id: plan_huzhou_rail, year: 2040}]",
        ]
    )[0]
    with caplog.at_level("WARNING", logger="yrdsim.config"):
        check_against_data(config, region)
    text = caplog.text
    assert "plan_jinyong_rail (2015) open(s) before start_year 2020" in text
    assert "treated as open from 2020" in text
    assert "plan_huzhou_rail (2040) open(s) after end_year 2022; no effect" in text
    # the early project is open from the first year, as an existing link of 2015 would be
    times = simulate(config, data=region).travel_times
    early = check_overrides(["end_year=2022", "persons_per_agent=20000"])[0]
    base = simulate(early, data=region).travel_times
    first = times[times["year"] == 2020]["minutes"].to_numpy()
    assert (first <= base[base["year"] == 2020]["minutes"].to_numpy()).all()
    assert (first < base[base["year"] == 2020]["minutes"].to_numpy()).any()


# --- the real command (sim.cli.run.main calls check_command_line first) ---


def _yrdsim(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli.run", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["scenario=foo"], ["'foo' is not a scenario", "baseline"]),
        (["sede=3"], ["sede", "did you mean 'seed'?"]),
        (["scenario.vouchers.subsidy_rate=???"], ["required value is missing"]),
        (["data_dir=/nonexistent/yrd"], ["data_dir", "not a folder"]),
    ],
)
def test_cli_wired_refuses_before_hydra_with_exit_2(argv, words, tmp_path):
    out = tmp_path / "run"
    completed = _yrdsim(*argv, f"hydra.run.dir={out}")
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith("yrdsim: error:"), completed.stderr
    for word in words:
        assert word in completed.stderr
    assert "Traceback" not in completed.stderr
    assert "HYDRA_FULL_ERROR" not in completed.stderr
    assert not out.exists()  # refused before Hydra made the run folder


def test_cli_wired_debug_switch_shows_the_traceback(tmp_path):
    completed = _yrdsim("scenario=foo", f"hydra.run.dir={tmp_path}", env={"YRDSIM_DEBUG": "1"})
    assert completed.returncode != 0
    assert "Traceback" in completed.stderr and "ConfigError" in completed.stderr


@pytest.mark.slow
def test_cli_wired_refuses_a_folder_of_others_and_keeps_its_figures(tmp_path):
    """hydra.run.dir=docs with output.figures=false used to delete every figure in docs/."""
    docs = tmp_path / "docs"
    (docs / "figures").mkdir(parents=True)
    mine = {docs / "figures" / "architecture.png": b"png", docs / "README.md": b"notes"}
    for path, content in mine.items():
        path.write_bytes(content)
    completed = _yrdsim("output.figures=false", f"hydra.run.dir={docs}")
    assert completed.returncode == 2, completed.stderr
    assert f"{docs}: holds files yrdsim did not write" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert all(path.read_bytes() == content for path, content in mine.items())
    assert sorted(p.name for p in docs.iterdir()) == ["README.md", "figures"]  # nothing added


@pytest.mark.slow
def test_cli_wired_sweep_with_one_bad_combination_runs_nothing(tmp_path):
    completed = _yrdsim(
        "-m", "start_year=2020,2022", "end_year=2022,2021", f"hydra.sweep.dir={tmp_path}/s"
    )
    assert completed.returncode == 2, completed.stderr
    assert "start_year=2022 end_year=2021" in completed.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_provenance_of_a_refused_run_is_never_written(tmp_path):
    """A config error in a run folder that held a run leaves that run as it was."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "provenance.json").write_text(json.dumps({"complete": True}))
    completed = _yrdsim("scenario.vouchers.subsidy_rate=2", f"hydra.run.dir={out}")
    assert completed.returncode == 2
    assert json.loads((out / "provenance.json").read_text()) == {"complete": True}
