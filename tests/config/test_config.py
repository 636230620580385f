"""Every config composes and validates; bad configs are refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from scenarios import HINDCAST_SCENARIO_NAMES, SCENARIO_NAMES
from sim.config.checks import check_against_data
from sim.config.schema import ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_every_named_scenario_composes_and_validates(name):
    config = sim.load_config([f"scenario={name}"])
    assert config.scenario.name == name
    assert config.start_year == 2020 and config.end_year == 2035
    assert config.persons_per_agent == 1000


def test_the_scenario_files_are_exactly_the_named_scenarios():
    files = {p.stem for p in (CONFIGS / "scenario").glob("*.yaml")}
    assert files == set(SCENARIO_NAMES) | set(HINDCAST_SCENARIO_NAMES)


@pytest.mark.parametrize("name", HINDCAST_SCENARIO_NAMES)
def test_every_hindcast_experiment_composes_and_starts_in_the_past(name, region):
    config = sim.load_config([f"experiment={name}"])
    assert config.scenario.name == name
    assert config.start_year < 2020 <= config.end_year
    check_against_data(config, region)


@pytest.mark.parametrize(
    "option",
    sorted(f"scenario/{p.parent.name}={p.stem}" for p in (CONFIGS / "scenario").glob("*/*.yaml")),
)
def test_every_lever_option_composes_and_validates(option, region):
    config = sim.load_config([option])
    check_against_data(config, region)


def test_scenarios_hold_only_what_they_change():
    baseline = sim.load_config(["scenario=baseline"]).scenario
    transport = sim.load_config(["scenario=transport"]).scenario
    assert transport.vouchers == baseline.vouchers
    assert transport.residency == baseline.residency
    assert transport.transport != baseline.transport
    integrated = sim.load_config(["scenario=integrated"]).scenario
    assert integrated.transport == transport.transport
    assert integrated.vouchers == sim.load_config(["scenario=vouchers"]).scenario.vouchers
    large = sim.load_config(["scenario=residency", "scenario/residency=liberalised_large"])
    assert integrated.residency == large.scenario.residency.model_copy(
        update={"flexible_talent": True}
    )
    # the named residency scenario is the plan's clause alone: no flexible talent, and large
    # cities keep their 2019 barriers
    residency = sim.load_config(["scenario=residency"]).scenario.residency
    assert not residency.flexible_talent
    for size in ("megacity", "super_large", "large_1", "large_2"):
        kept = baseline.residency.by_size_class[size].settlement_barrier
        assert residency.by_size_class[size].settlement_barrier == kept


def test_documented_overrides_work():
    config = sim.load_config(
        [
            "scenario=vouchers",
            "seed=7",
            "start_year=2021",
            "end_year=2030",
            "persons_per_agent=500",
            "scenario.vouchers.subsidy_rate=0.6",
        ]
    )
    assert (config.seed, config.start_year, config.end_year) == (7, 2021, 2030)
    assert config.persons_per_agent == 500
    assert config.scenario.vouchers.subsidy_rate == 0.6
    assert config.census_year == 2020


def test_config_hash_depends_on_content():
    assert sim.load_config().config_hash() == sim.load_config().config_hash()
    assert sim.load_config().config_hash() != sim.load_config(["seed=1"]).config_hash()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (["scenario=nonexistent"], ["scenario", "nonexistent"]),
        (["seeed=3"], ["seeed"]),
        (["+scenario.vouchers.subsidy_rat=0.5"], ["scenario.vouchers.subsidy_rat", "unknown key"]),
        (["scenario.vouchers.subsidy_rate=1.5"], ["scenario.vouchers.subsidy_rate", "1.5"]),
        (
            ["scenario.vouchers.portability=nation"],
            ["scenario.vouchers.portability", "'city', 'province' or 'yrd'", "nation"],
        ),
        (
            ["scenario.vouchers.budget_rmb_per_year_by_province.Shanghai=-1"],
            ["budget_rmb_per_year_by_province.Shanghai", "greater than or equal to 0"],
        ),
        (["end_year=2019"], ["end_year", "2019"]),
        (["start_year=2030", "end_year=2025"], ["end_year: 2025", "start_year (2030)"]),
        (["persons_per_agent=0"], ["persons_per_agent", "greater than 0"]),
        (["seed=abc"], ["seed", "abc"]),
        (
            ["scenario.transport.projects=[{link_id: x}]"],
            ["scenario.transport.projects[0].year", "Field required"],
        ),
        (
            ["scenario.residency.by_size_class.medium.hukou_conversion_rate=nan"],
            ["scenario.residency.by_size_class.medium.hukou_conversion_rate"],
        ),
    ],
)
def test_bad_configs_are_refused_naming_the_field(overrides, words):
    with pytest.raises(ConfigError) as error:
        sim.load_config(overrides)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (
            [
                "scenario.transport.projects="
                "[{link_id: new, from: shanghai, to: atlantis, year: 2030}]"
            ],
            ["scenario.transport.projects[0].to", "'atlantis' is not a city id", "ningbo"],
        ),
        (
            ["scenario.transport.projects=[{link_id: no_such_link, year: 2030}]"],
            ["scenario.transport.projects[0].link_id", "no_such_link", "plan_huyong_crossing"],
        ),
        (["scenario.transport.remove_links=[nope]"], ["remove_links[0]", "nope"]),
        (
            ["+scenario.vouchers.budget_rmb_per_year_by_city.gotham=1e6"],
            ["budget_rmb_per_year_by_city.gotham", "not a city id"],
        ),
        (
            ["persons_per_agent=2000000"],
            ["persons_per_agent", "zhoushan", "no talent agent", "allowed: 1 to 1,157,817"],
        ),
    ],
)
def test_configs_are_checked_against_the_data(overrides, words, region):
    config = sim.load_config(overrides)
    with pytest.raises(ConfigError) as error:
        check_against_data(config, region)
    for word in words:
        assert word in str(error.value)
