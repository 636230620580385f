"""The explorer's levers: presets equal the CLI's scenarios; each control changes its field."""

from __future__ import annotations

from dataclasses import replace

import pytest

import sim
from scenarios import SCENARIO_NAMES
from scenarios.types import SIZE_CLASSES
from sim.config.schema import ConfigError
from sim.explorer.levers import LeverSettings, project_catalogue


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_each_preset_is_exactly_the_scenario_yrdsim_runs(name):
    settings = LeverSettings.from_preset(name, seed=3, persons_per_agent=1000)
    expected = sim.load_config([f"scenario={name}", "seed=3"])
    assert settings.to_config().config_hash() == expected.config_hash()
    assert settings.describe() == name


def test_catalogue_is_the_action_plan_and_presets_switch_it():
    catalogue = project_catalogue()
    assert len(catalogue) == 9
    assert all(p.link_id.startswith("plan_") for p in catalogue)
    baseline = LeverSettings.from_preset("baseline")
    transport = LeverSettings.from_preset("transport")
    assert set(baseline.projects.values()) == {None}
    assert transport.projects == {p.link_id: p.year for p in catalogue}


def test_a_project_switched_on_opens_in_the_chosen_year():
    settings = LeverSettings.from_preset("baseline").with_project("plan_yongzhou_rail", 2023)
    projects = settings.to_config().scenario.transport.projects
    assert [(p.link_id, p.year) for p in projects] == [("plan_yongzhou_rail", 2023)]
    assert settings.describe() == "baseline with projects changed"
    off = LeverSettings.from_preset("transport").with_project("plan_yongzhou_rail", None)
    ids = [p.link_id for p in off.to_config().scenario.transport.projects]
    assert "plan_yongzhou_rail" not in ids and len(ids) == 8


def test_voucher_budget_keeps_the_presets_provincial_shares():
    base = LeverSettings.from_preset("baseline")
    doubled = replace(base, voucher_budget_rmb_million=2 * base.voucher_budget_rmb_million)
    before = base.to_config().scenario.vouchers.budget_rmb_per_year_by_province
    after = doubled.to_config().scenario.vouchers.budget_rmb_per_year_by_province
    assert after == pytest.approx({k: 2 * v for k, v in before.items()})
    vouchers = replace(base, subsidy_rate=0.7, portability="yrd").to_config().scenario.vouchers
    assert (vouchers.subsidy_rate, vouchers.portability) == (0.7, "yrd")


def test_barriers_and_flexible_talent_reach_the_residency_lever():
    settings = LeverSettings.from_preset("baseline").with_barrier("large_1", 0.25)
    settings = replace(settings, flexible_talent=True)
    residency = settings.to_config().scenario.residency
    assert residency.by_size_class["large_1"].settlement_barrier == 0.25
    assert residency.by_size_class["megacity"].settlement_barrier == pytest.approx(2.5)
    assert residency.flexible_talent is True
    assert set(settings.settlement_barriers) == set(SIZE_CLASSES)


def test_switching_preset_keeps_seed_scale_and_horizon():
    settings = LeverSettings.from_preset("baseline", seed=4, persons_per_agent=5000, end_year=2030)
    other = settings.with_preset("integrated")
    assert (other.seed, other.persons_per_agent, other.end_year) == (4, 5000, 2030)
    assert other.flexible_talent is True


def test_bad_values_are_refused_with_the_field_and_what_is_allowed():
    base = LeverSettings.from_preset("baseline")
    with pytest.raises(ConfigError, match=r"subsidy_rate.*allowed: a number from 0 to 1"):
        replace(base, subsidy_rate=1.5).to_config()
    with pytest.raises(ConfigError, match=r"portability.*'city'"):
        replace(base, portability="planet").to_config()
    with pytest.raises(ConfigError, match=r"not a scenario preset; allowed: baseline"):
        LeverSettings.from_preset("utopia")
    with pytest.raises(ConfigError, match=r"not an Action Plan project; allowed: plan_"):
        base.with_project("hsr_nowhere", 2025)
    with pytest.raises(ConfigError, match=r"not a size class; allowed: megacity"):
        base.with_barrier("village", 0.1)
    with pytest.raises(ConfigError, match=r"end_year"):
        replace(base, end_year=2019).to_config()
