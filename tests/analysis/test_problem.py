"""The one problem specification: names, bounds, sources, JSON and SALib forms, checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

import sim
from sim.analysis import factors, sensitivity
from sim.analysis.problem import PROBLEM, apply_values
from sim.cli import spec as spec_cli
from sim.config.schema import CONFIG_DIR, ConfigError


def test_every_factor_of_the_one_table_is_in_the_problem_once_with_its_bounds_and_source():
    names = [p.name for p in PROBLEM.parameters]
    assert len(names) == len(set(names))
    for factor in factors.FACTORS:
        p = PROBLEM.parameter(factor.name)
        assert (p.low, p.high, p.source, p.kind) == (
            factor.low,
            factor.high,
            factor.source,
            factor.kind,
        )
    for p in PROBLEM.parameters:
        assert p.source and p.unit


#: Defaults outside their factor's bounds, known and reported: size_elasticity is 0.5 in
#: configs/params/default.yaml (below its stability bound 0.75 there) while the factor table
#: keeps it below 0.45 (the bound at the lowest real_wage_weight, docs/ODD.md 7.6). Which
#: one is meant is the modeller's call; this list must shrink, never grow.
KNOWN_OUTSIDE_BOUNDS = {"migration.size_elasticity"}


def test_uncertainty_defaults_are_those_of_the_defaults_file_and_inside_their_bounds():
    defaults = yaml.safe_load((CONFIG_DIR / "params" / "default.yaml").read_text())
    outside = set()
    for p in PROBLEM.uncertainties:
        section, key = p.name.split(".")
        assert p.default == defaults[section][key]
        if not p.low <= p.default <= p.high:
            outside.add(p.name)
    assert outside == KNOWN_OUTSIDE_BOUNDS


def test_levers_and_uncertainties_are_kept_apart():
    assert {p.kind for p in PROBLEM.levers} == {"lever"}
    assert {p.kind for p in PROBLEM.uncertainties} == {"uncertainty"}
    assert all("." in p.name for p in PROBLEM.uncertainties)
    assert not any("." in p.name for p in PROBLEM.levers)


def test_salib_problem_has_numeric_parameters_and_refuses_categorical_ones():
    problem = PROBLEM.salib()
    assert problem["num_vars"] == len(problem["names"]) == len(problem["bounds"])
    assert "voucher_portability" not in problem["names"]
    assert all(low < high for low, high in problem["bounds"])
    with pytest.raises(ConfigError, match="voucher_portability: categorical"):
        PROBLEM.salib(["voucher_subsidy_rate", "voucher_portability"])
    assert sensitivity.problem(sensitivity.FACTORS)["names"] == [
        f.name for f in sensitivity.FACTORS
    ]


def test_spec_command_prints_json_and_the_salib_problem(capsys):
    assert spec_cli.main([]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert [o["name"] for o in spec["outcomes"]] == PROBLEM.outcome_names
    assert {p["name"] for p in spec["levers"]} >= {"voucher_subsidy_rate", "flexible_talent"}
    assert spec["salib_problem"] == PROBLEM.salib()
    assert spec_cli.main(["--salib", "--names", "voucher_subsidy_rate"]) == 0
    assert json.loads(capsys.readouterr().out)["bounds"] == [[0.3, 0.7]]
    assert spec_cli.main(["--salib", "--names", "nope"]) == 2
    assert "'nope' is not a lever or uncertainty" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"voucher_subsidy_rate": 0.9}, "voucher_subsidy_rate: 0.9 is outside its bounds"),
        ({"voucher_subsidy_rate": "high"}, "voucher_subsidy_rate: 'high' is not a number"),
        ({"voucher_portability": "city_only"}, "allowed values: 'city', 'province', 'yrd'"),
        ({"flexible_talent": 1}, "flexible_talent: 1 is not allowed"),
        ({"migration.real_wage_weight": float("nan")}, "outside its bounds"),
        ({"subsidy": 0.5}, "'subsidy' is not a lever or uncertainty; allowed: "),
    ],
)
def test_bad_values_are_refused_with_the_field_and_what_is_allowed(values, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PROBLEM.check(values)


def test_values_are_applied_to_the_configuration():
    base = sim.load_config(["scenario=integrated"])
    config = apply_values(
        base,
        {
            "voucher_subsidy_rate": 0.6,
            "voucher_portability": "city",
            "flexible_talent": False,
            "migration__real_wage_weight": 2.0,
            "transport_delay_years": 2.4,
        },
    )
    assert config.scenario.vouchers.subsidy_rate == 0.6
    assert config.scenario.vouchers.portability == "city"
    assert config.scenario.residency.flexible_talent is False
    assert config.params.migration.real_wage_weight == 2.0
    years = np.array([p.year for p in config.scenario.transport.projects])
    assert (years == np.array([p.year for p in base.scenario.transport.projects]) + 2).all()
    assert apply_values(base, {}) is base
