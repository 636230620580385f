"""The Python API validates again what it is handed (issue 16).

``sim.simulate`` of a dict, ``None`` or a ``SimConfig`` changed with ``model_copy`` (which does not
validate) used to fail deep inside numpy ("repeats may not contain negative values") or, worse,
return a one-row result for an ``end_year`` before the ``start_year``. Each misuse now raises a
``TypeError`` or :class:`sim.ConfigError` (a ``ValueError``) naming the argument or field, before
anything is built.
"""

from __future__ import annotations

import math

import pytest

import sim
from sim.config.schema import ConfigError

SHORT = ["end_year=2021", "persons_per_agent=20000", "output.figures=false"]


@pytest.fixture(scope="module")
def config() -> sim.SimConfig:
    return sim.load_config(SHORT)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, ["config must be a SimConfig", "NoneType"]),
        ("config.yaml", ["config must be a SimConfig", "str"]),
        (42, ["config must be a SimConfig", "int"]),
    ],
)
def test_simulate_refuses_what_is_not_a_config(value, words):
    with pytest.raises(TypeError) as error:
        sim.simulate(value)
    for word in words:
        assert word in str(error.value)


def test_simulate_of_a_dict_says_how_to_validate_it(config):
    with pytest.raises(TypeError, match=r"not dict \(validate a dict with sim.validate_config"):
        sim.simulate(config.model_dump())


@pytest.mark.parametrize(
    ("update", "words"),
    [
        ({"end_year": 2015}, ["end_year: 2015 is before start_year (2020)"]),
        ({"persons_per_agent": 0}, ["persons_per_agent", "got 0", "> 0"]),
        ({"persons_per_agent": -5}, ["persons_per_agent", "got -5"]),
        ({"start_year": 1990}, ["start_year", "got 1990", "from 2010"]),
        ({"seed": "three"}, ["seed", "'three'"]),
        ({"seed": True}, ["seed", "boolean true"]),
        ({"firms_per_agent": 0.5}, ["firms_per_agent"]),
    ],
)
def test_simulate_revalidates_a_model_copy(config, update, words):
    with pytest.raises(ConfigError) as error:
        sim.simulate(config.model_copy(update=update))
    assert isinstance(error.value, ValueError)
    for word in words:
        assert word in str(error.value), str(error.value)


@pytest.mark.parametrize(
    ("section", "update", "words"),
    [
        ("migration", {"reconsider_share": math.nan}, ["params.migration.reconsider_share", "nan"]),
        ("labour", {"tfp_growth": math.inf}, ["params.labour.tfp_growth", "finite"]),
        ("initial", {"high_skill_bounds": (0.9, 0.1)}, ["high_skill_bounds", "0.9 is above"]),
    ],
)
def test_simulate_revalidates_nested_parameters(config, section, update, words):
    part = getattr(config.params, section).model_copy(update=update)
    changed = config.model_copy(update={"params": config.params.model_copy(update={section: part})})
    with pytest.raises(ConfigError) as error:
        sim.simulate(changed)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_simulate_refuses_an_empty_model_construct():
    with pytest.raises(ConfigError, match="required value is missing"):
        sim.simulate(sim.SimConfig.model_construct())


def test_simulate_refuses_data_and_progress_of_the_wrong_type(config):
    with pytest.raises(TypeError, match="data must be a RegionData"):
        sim.simulate(config, data="sim/data")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="progress must be callable"):
        sim.simulate(config, progress=3)  # type: ignore[arg-type]


def test_a_valid_model_copy_still_runs(config, region):
    result = sim.simulate(config.model_copy(update={"seed": 5}), data=region)
    assert result.config.seed == 5
    assert list(result.metrics["year"]) == [2020, 2021]


def test_load_config_refuses_a_string():
    with pytest.raises(TypeError, match=r"overrides must be a list.*\['seed=1'\]"):
        sim.load_config("seed=1")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, [], "seed: 1"])
def test_validate_config_refuses_what_is_not_a_mapping(value):
    with pytest.raises(ConfigError, match=r"\(top level\).*valid dictionary"):
        sim.validate_config(value)  # type: ignore[arg-type]


def test_a_start_up_calibration_that_fails_is_an_error(region):
    """It was a RuntimeWarning on stderr and the run was written and marked complete."""
    # 80: the Anderson-accelerated solve still reaches 1e-10 at 40 (docs/PERFORMANCE.md).
    config = sim.load_config([*SHORT, "params.migration.moving_cost_fixed=80"])
    with pytest.raises(ConfigError) as error:
        sim.simulate(config, data=region)
    message = str(error.value)
    assert message.startswith("params.migration: the start-up calibration failed")
    assert "amenity calibration" in message and "in log population" in message


def test_callers_that_ignore_runtime_warnings_keep_the_old_behaviour(region):
    """Calibration and sensitivity try extreme values on purpose (and ignore the warning)."""
    import warnings

    config = sim.load_config([*SHORT, "params.migration.moving_cost_fixed=80"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = sim.simulate(config, data=region)
    assert len(result.metrics) == 2
