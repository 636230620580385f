"""The model's bulk talent decision against the plain-Mesa reference in ``benchmarks/``."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import sim
from agents.talent import choose_locations
from benchmarks import numpy_floor
from benchmarks.mesa_reference import ReferenceModel
from sim.core.model import YRDModel

PPA = 5000


@pytest.fixture(scope="module")
def model(region):
    return YRDModel(sim.load_config([f"persons_per_agent={PPA}", "end_year=2022"]), region)


def flow_matrix(origin, destination, n):
    return np.bincount(np.asarray(origin) * n + np.asarray(destination), minlength=n * n)


def homogeneity_p_value(first, second, min_count=10):
    """Chi-square test that two count vectors come from one distribution (small cells pooled)."""
    keep = (first + second) >= min_count
    table = np.vstack(
        (
            np.append(first[keep], first[~keep].sum()),
            np.append(second[keep], second[~keep].sum()),
        )
    )
    table = table[:, table.sum(axis=0) > 0]
    return stats.chi2_contingency(table).pvalue


def decide_both(model, seeds=None):
    """One year's decisions by the model's kernel (a) and the Mesa reference (b).

    Both draw from the model's talent stream of the year, or from the two ``seeds``.
    """
    share = model.params.migration.reconsider_share
    inputs = model.location_inputs()
    rngs = (
        [model._stream("talent"), model._stream("talent")]
        if seeds is None
        else [np.random.default_rng(seed) for seed in seeds]
    )
    talent = copy.deepcopy(model.talent)
    origin, destination = choose_locations(rngs[0], talent, model._location_probabilities(), share)
    reference = ReferenceModel(model.talent, model.n_cities, seed=1)
    moves = reference.decide(rngs[1], inputs, share)
    return talent, (origin, destination), reference, moves


def test_reference_agents_make_the_models_choices_agent_by_agent(model):
    talent, (origin, destination), reference, moves = decide_both(model)
    n = model.n_cities + 1  # the cities and the rest of China
    agree = (reference.cities() == talent.city).mean()
    assert agree > 0.999  # differences only from rounding at a category boundary
    assert (reference.alive() == talent.alive).mean() > 0.999
    ref_origin, ref_destination = np.array(moves).T
    assert len(moves) == pytest.approx(len(origin), rel=0.01)
    a = flow_matrix(origin, destination, n)
    b = flow_matrix(ref_origin, ref_destination, n)
    assert homogeneity_p_value(a, b) > 0.99


@pytest.mark.slow
def test_reference_and_model_flows_are_statistically_the_same_with_other_numbers(model):
    n = model.n_cities + 1
    for year in range(2):
        if year:
            model.step()  # a year later: other city terms and other agents' states
        _, (origin, destination), _, moves = decide_both(model, seeds=(100 + year, 200 + year))
        ref_origin, ref_destination = np.array(moves).T
        a = flow_matrix(origin, destination, n)
        b = flow_matrix(ref_origin, ref_destination, n)
        assert homogeneity_p_value(a, b) > 0.001
        assert (
            homogeneity_p_value(
                np.bincount(destination, minlength=n), np.bincount(ref_destination, minlength=n)
            )
            > 0.001
        )


def test_numpy_floor_is_the_same_rule(model):
    share = model.params.migration.reconsider_share
    inputs = model.location_inputs()
    talent = copy.deepcopy(model.talent)
    choose_locations(model._stream("talent"), talent, model._location_probabilities(), share)
    floor = copy.deepcopy(model.talent)
    numpy_floor.relocate(
        model._stream("talent"),
        floor.city,
        floor.hukou,
        floor.high_skill,
        floor.years_in_city,
        floor.alive,
        inputs.destination_utility,
        inputs.public_service_penalty,
        inputs.entry_barrier,
        inputs.moving_cost,
        inputs.home_bias,
        inputs.flexible_talent,
        share,
    )
    assert np.array_equal(floor.city, talent.city)
    assert np.array_equal(floor.alive, talent.alive)
    assert np.array_equal(floor.years_in_city, talent.years_in_city)
