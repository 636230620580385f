"""Calibration: the fitted parameters, the objective, the defaults file and its record."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import yaml

import sim
from sim.analysis.calibration import (
    BEGIN_MARK,
    DEFAULTS_PATH,
    PARAMETERS,
    PENALTY,
    RECORD_PATH,
    STABILITY_MARGIN,
    Calibrator,
    objective,
    own_size_elasticity,
    set_comment_block,
    set_yaml_values,
    write_defaults,
    write_evaluations,
)
from sim.hydra.compose import hindcast_config


def test_few_global_parameters_with_priors_inside_bounds():
    assert 1 <= len(PARAMETERS) <= 6
    defaults = sim.load_config([]).params
    for p in PARAMETERS:
        assert p.low <= p.prior <= p.high, p.path
        assert p.source
        section, key = p.path.split(".")
        assert hasattr(getattr(defaults, section), key), p.path
        assert p.from_unit(p.to_unit(p.prior)) == pytest.approx(p.prior)
        assert p.from_unit(2.0) == p.high and p.from_unit(-1.0) == p.low


def test_objective_is_zero_only_at_census_shares():
    observed = np.array([10.0, 20.0, 30.0])
    assert objective(np.array([observed * 0.9, observed * 0.9]), observed) == pytest.approx(0.0)
    worse = np.array([[12.0, 20.0, 28.0]])
    assert objective(worse, observed) > 0
    # Seeds are averaged before the error is taken.
    runs = np.array([[12.0, 20.0, 28.0], [8.0, 20.0, 32.0]])
    assert objective(runs, observed) == pytest.approx(0.0)


def test_defaults_are_rewritten_in_place_keeping_comments(tmp_path):
    path = tmp_path / "default.yaml"
    original = DEFAULTS_PATH.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    values = {"migration.real_wage_weight": 1.23, "labour.agglomeration_elasticity": 0.067}
    write_defaults(values, ["fit: test", "command: none"], path)
    text = path.read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    assert loaded["migration"]["real_wage_weight"] == 1.23
    assert loaded["labour"]["agglomeration_elasticity"] == 0.067
    assert text.count(BEGIN_MARK) == 1 and "# fit: test" in text
    assert "Tombe & Zhu 2019" in text  # the line's comment survives
    # Writing again replaces the block instead of adding one; other lines are untouched.
    write_defaults(values, ["second"], path)
    again = path.read_text(encoding="utf-8")
    assert again.count(BEGIN_MARK) == 1 and "# second" in again and "# fit: test" not in again
    untouched = [
        line
        for line in original.splitlines()
        if "real_wage_weight" not in line
        and "agglomeration_elasticity" not in line
        and not line.startswith("#")
    ]
    assert all(line in again.splitlines() for line in untouched)
    with pytest.raises(KeyError):
        set_yaml_values(again, {"migration.no_such_key": 1.0})
    assert set_comment_block(again, ["second"]) == again


def test_one_evaluation_is_recorded(region, tmp_path):
    calibrator = Calibrator(
        region, hindcast_config(["persons_per_agent=4000", "end_year=2012"]), seeds=(0,)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sse = calibrator.evaluate({p.path: p.prior for p in PARAMETERS})
    assert sse > 0 and len(calibrator.evaluations) == 1
    path = write_evaluations(calibrator.evaluations, tmp_path / "evaluations.csv")
    header, row = path.read_text().splitlines()
    assert header.split(",")[:4] == ["number", "stage", "seconds", "sse"]
    assert float(row.split(",")[3]) == sse
    with pytest.raises(ValueError):
        Calibrator(region, hindcast_config(), parameters=PARAMETERS + PARAMETERS[:1])


def test_defaults_are_the_recorded_calibration():
    record = json.loads(RECORD_PATH.read_text(encoding="utf-8"))
    params = sim.load_config([]).params
    assert len(record["values"]) <= 6
    for path, value in record["values"].items():
        section, key = path.split(".")
        assert getattr(getattr(params, section), key) == pytest.approx(value), path
    for key in ("date", "command", "git_commit", "sse", "prior_sse", "fit_at_written_values"):
        assert record[key] is not None, key
    assert record["sse"] <= record["prior_sse"]
    text = DEFAULTS_PATH.read_text(encoding="utf-8")
    assert BEGIN_MARK in text and record["command"] in text


def test_unstable_points_are_penalised_without_running(region):
    defaults = sim.load_config([]).params
    assert own_size_elasticity({}, defaults) < -STABILITY_MARGIN  # the defaults are stable
    calibrator = Calibrator(region, hindcast_config(), seeds=(0,))
    unstable = {"migration.real_wage_weight": 1.0, "migration.size_elasticity": 1.2}
    assert own_size_elasticity(unstable, defaults) > 0
    assert calibrator.evaluate(unstable) > PENALTY
    assert calibrator.evaluations[0].seconds < 0.5  # no hindcast was run
