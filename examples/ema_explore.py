r"""EMA Workbench driving ``sim.evaluate``: levers x uncertainties, then PRIM.

The EMA model is built from the one specification (``sim.problem()``): its levers,
uncertainties and outcomes, with their bounds or values. Uncertainties' dotted names are
written with ``__`` (``migration__real_wage_weight``), which ``sim.evaluate`` accepts.
Needs the optional extra: ``pip install -e '.[explore]'``.

    python examples/ema_explore.py                                    # 50 scenarios x 4 policies
    python examples/ema_explore.py --scenarios 6 --policies 2 --end-year 2022 \\
        --persons-per-agent 4000                                        # quick
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
from ema_workbench import (
    CategoricalParameter,
    IntegerParameter,
    Model,
    RealParameter,
    ScalarOutcome,
    SequentialEvaluator,
)
from ema_workbench.analysis import prim

import sim

LEVERS = ["voucher_budget_multiplier", "hukou_barrier_reduction", "voucher_portability"]
UNCERTAINTIES = ["migration.real_wage_weight", "migration.size_elasticity", "migration.trend_decay"]


def ema_parameter(p: sim.analysis.problem.Parameter):  # noqa: ANN201
    """The EMA Workbench parameter of a lever or uncertainty of the specification."""
    name = p.name.replace(".", "__")
    if p.categorical:
        return CategoricalParameter(name, list(p.values))
    if p.integer:
        return IntegerParameter(name, int(p.low), int(p.high))
    return RealParameter(name, p.low, p.high)


def main(argv: list[str] | None = None) -> dict:
    """Run the experiments, then PRIM for a low central-area ratio; return the chosen box."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--policies", type=int, default=4)
    parser.add_argument("--end-year", type=int, default=2035)
    parser.add_argument("--persons-per-agent", type=int, default=2000)
    args = parser.parse_args(argv)
    logging.getLogger("EMA").setLevel(logging.WARNING)
    spec = sim.problem()

    def run(**values: float | str) -> dict[str, float]:
        return sim.evaluate(
            end_year=args.end_year, persons_per_agent=args.persons_per_agent, **values
        )

    model = Model("yrdsim", function=run)
    model.levers = [ema_parameter(spec.parameter(n)) for n in LEVERS]
    model.uncertainties = [ema_parameter(spec.parameter(n)) for n in UNCERTAINTIES]
    model.outcomes = [ScalarOutcome(name) for name in spec.outcome_names]
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=args.scenarios, policies=args.policies
        )
    ratio = outcomes["central_area_gdp_pc_ratio"]
    y = ratio <= np.median(ratio)
    x = experiments[[p.name for p in model.levers] + [p.name for p in model.uncertainties]]
    box = prim.Prim(x, y, threshold=0.8).find_box()
    trajectory = box.peeling_trajectory
    best = int(trajectory["density"].idxmax())
    chosen = {
        "runs": len(experiments),
        "coverage": float(trajectory.loc[best, "coverage"]),
        "density": float(trajectory.loc[best, "density"]),
        "limits": box.box_lims[best].to_dict(),
    }
    median = np.median(ratio)
    print(f"{len(experiments)} runs; central-area ratio at or below its median {median:.4f}")
    print(f"densest box: coverage {chosen['coverage']:.2f}, density {chosen['density']:.2f}")
    print(box.box_lims[best].T.to_string())
    return chosen


if __name__ == "__main__":
    main()
