"""sim.evaluate and the batch path: named outcomes, identical to one-by-one evaluation."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

import sim
from sim.analysis.evaluation import Evaluator, evaluate_batch
from sim.analysis.problem import PROBLEM, outcomes
from sim.config.schema import ConfigError
from sim.core.amenities import AmenityCache

#: sha256 of the tables of seed 0, persons_per_agent 2000, 2020-2024, computed with the code
#: before the speed-ups of issue 13 (commit 7fdb6a1). The speed-ups must not change a byte,
#: except the Anderson-accelerated amenity solve (same tolerance, 1e-10 in log population),
#: which moves the amenities in their last digits: only the ``amenity`` column of ``cities``
#: changed (by at most 1.3e-8), so ``cities`` is re-pinned from the commit after that solve.
#: (A different numpy may change last digits on its own; then re-pin from that commit.)
PINNED = {
    "baseline": {
        "metrics": "5e0c5880af020f2c55b2e630fbc8a9d1e977edd04d74bed90dc05e6f9b899827",
        "cities": "47b209261ce6db61b93e4b0e948bf63921756c3dca0434349704d107cf057466",
        "flows": "0ad5db7e58aa2cc6903dfa6f8540e82643600af327a36c20a2b68b0396e45986",
        "travel_times": "ce92855284f5f6875e5ea178358c3e1d48f1e212b4765ae9e5475f861a92eab5",
        "vouchers": "963e0a5fd7ac8c83ecd43a4ff4525582b90e3a8eb51044ced08b565ca2281a03",
    },
    "integrated": {
        "metrics": "7112e50e60dba92fa2a836ab25fa95bcdeed3ba59a5764bb2e75d1341dbbd401",
        "cities": "f4352f67e95139dfa59f1caceffe41b8588f56e77bbbe56616a5ff2a5c18170a",
        "flows": "35c4bebe7a8a9954b13cdf198969027a14c40ed687846a83009e1ea19a33097b",
        "travel_times": "928170fbde61f7ba0494952ad5b2103fb9a6a5c6cab7140f41b2fa09403fad82",
        "vouchers": "cb79964ab82b5d730d90edadba9a74e2a6a8771b17ef8265f312f7452dd426f3",
    },
}

SHORT = ["persons_per_agent=2000", "end_year=2024", "output.figures=false"]


def _digests(result: sim.SimulationResult) -> dict[str, str]:
    return {
        name: hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
        for name, table in result.tables().items()
    }


@pytest.mark.parametrize("scenario", ["baseline", "integrated"])
def test_tables_are_byte_identical_to_the_code_before_the_speed_ups(scenario, region):
    config = sim.load_config([f"scenario={scenario}", "seed=0", *SHORT])
    assert _digests(sim.simulate(config, data=region)) == PINNED[scenario]


@pytest.mark.slow
def test_amenity_cache_reuses_a_solve_only_when_its_inputs_are_the_same(region):
    base = sim.load_config(["scenario=integrated", *SHORT])
    evaluator = Evaluator(base, region)
    cache = evaluator.cache
    points = [
        {},
        {"voucher_subsidy_rate": 0.6},  # same start: reused
        {"migration.real_wage_weight": 2.0},  # another solve
        {"seed": 1},  # another start
    ]
    for point in points:
        config = evaluator.config(point)
        cached = sim.simulate(config, data=region, amenity_cache=cache)
        alone = sim.simulate(config, data=region)
        assert _digests(cached) == _digests(alone), point
    assert (cache.hits, cache.misses) == (1, 3)
    assert AmenityCache.key([1, "a"]) != AmenityCache.key([1, "b"])


def test_evaluate_returns_every_named_outcome_and_the_base_scenario_without_values(region):
    values = sim.evaluate(end_year=2024)
    assert list(values) == PROBLEM.outcome_names
    config = sim.load_config(["scenario=integrated", *SHORT])
    assert values == outcomes(sim.simulate(config, data=region), region)
    # The levers' defaults are the base scenario's own settings.
    defaults = {p.name: p.default for p in PROBLEM.levers if p.default is not None}
    assert sim.evaluate(end_year=2024, **defaults) == values


def test_levers_change_the_outcomes_they_act_on():
    low = sim.evaluate(end_year=2024, voucher_budget_multiplier=0.5)
    high = sim.evaluate(end_year=2024, voucher_budget_multiplier=2.0)
    assert high["voucher_spend"] > 1.5 * low["voucher_spend"]
    assert high["innovations"] > low["innovations"]


def test_evaluate_refuses_bad_input_with_a_one_line_error():
    with pytest.raises(ConfigError, match=r"voucher_subsidy_rate: 2\.0 is outside its bounds"):
        sim.evaluate(voucher_subsidy_rate=2.0)
    with pytest.raises(ConfigError, match="persons_per_agent: 0 is not allowed"):
        sim.evaluate(persons_per_agent=0)


@pytest.mark.slow
def test_batch_on_two_processes_equals_one_by_one_evaluation(region):
    base = sim.load_config(["scenario=integrated", *SHORT])
    points = pd.DataFrame(
        {
            "voucher_subsidy_rate": [0.3, 0.5, 0.7, 0.5, 0.4],
            "hukou_barrier_reduction": [0.0, 0.5, 1.0, float("nan"), 0.2],
            "migration.size_elasticity": [0.1, 0.2, 0.3, 0.4, 0.2],
            "voucher_portability": ["city", "yrd", "province", "yrd", "city"],
        },
        index=[10, 11, 12, 13, 14],
    )
    batch = evaluate_batch(points, base, region, n_jobs=2)
    assert list(batch.index) == list(points.index)
    alone = Evaluator(base, region)
    for index, row in points.iterrows():
        point = {k: v for k, v in row.items() if not (isinstance(v, float) and v != v)}
        assert batch.loc[index].to_dict() == alone.evaluate(point), index
    in_process = evaluate_batch(points, base, region, n_jobs=1)
    pd.testing.assert_frame_equal(batch, in_process)


def test_public_batch_applies_seed_and_scale_to_every_point():
    frame = sim.evaluate_batch(
        [{"voucher_subsidy_rate": 0.4}, {"voucher_subsidy_rate": 0.4, "seed": 1}],
        end_year=2022,
        n_jobs=1,
    )
    assert frame.loc[0].to_dict() == sim.evaluate(end_year=2022, voucher_subsidy_rate=0.4)
    assert frame.loc[1].to_dict() == sim.evaluate(end_year=2022, voucher_subsidy_rate=0.4, seed=1)
    assert frame.loc[0].to_dict() != frame.loc[1].to_dict()
