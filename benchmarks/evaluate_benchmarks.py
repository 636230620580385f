"""Benchmarks of evaluation throughput (issue 13): evaluations per minute, set-up, the floor.

Run from the repository root::

    .venv/bin/python benchmarks/evaluate_benchmarks.py [--points 24] [--repeat 2] [--out PATH]

It prints a table and writes it, with the machine and its load, to
``benchmarks/results/evaluate.json`` (beside ``latest.json``). What is measured:

* **Evaluations per minute** of the batch path (:func:`sim.analysis.evaluation.evaluate_batch`)
  on all local cores, at ``persons_per_agent`` 2000 and 1000: a Latin hypercube of every lever
  and uncertainty of the problem (each point its own amenity solve: the worst case), and a
  Latin hypercube of the levers only (the points share their start, so the amenity solve is
  reused). Wall time, and the CPU seconds per evaluation of one point run in this process.
  Target: at least 120 per minute at 2000, so that 1,000 runs take under 10 minutes.
* **The default ``sim.simulate()``** (baseline, 2020-2035, ``persons_per_agent`` 1000) against
  a bare numpy kernel of the same size: 15 yearly talent relocations of the same agents by
  ``benchmarks/numpy_floor.py`` (no agents, no model). Target: within 3x.

Wall times are the best of ``--repeat`` (the machine is shared); the load average before and
after is recorded, and CPU seconds are given beside the wall times because they are what the
load does not inflate.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run_benchmarks import load, machine  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "evaluate.json"


def bench_throughput(persons_per_agent: int, points: int, repeat: int, levers_only: bool) -> dict:
    """Evaluations per minute of a Latin hypercube on all cores, and CPU s per evaluation."""
    import sim
    from sim.analysis.evaluation import Evaluator, default_jobs, evaluate_batch
    from sim.analysis.exploration import latin_hypercube
    from sim.analysis.problem import PROBLEM

    base = sim.load_config(
        ["scenario=integrated", f"persons_per_agent={persons_per_agent}", "output.figures=false"]
    )
    data = sim.load_region_data(base.data_dir)
    parameters = PROBLEM.levers if levers_only else PROBLEM.parameters
    sample = latin_hypercube(parameters, points, seed=0)
    evaluator = Evaluator(base, data)
    first = sample.iloc[0].to_dict()
    evaluator.evaluate(first)  # warm (imports, caches of the data)
    cpu = []
    for k in range(min(3, points)):
        point = sample.iloc[k].to_dict()
        fresh = Evaluator(base, data)  # no amenity cache: the cost of one evaluation alone
        start = time.process_time()
        fresh.evaluate(point)
        cpu.append(time.process_time() - start)
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate_batch(sample, base, data)
        walls.append(time.perf_counter() - start)
    wall = min(walls)
    return {
        "persons_per_agent": persons_per_agent,
        "sample": "levers only" if levers_only else "levers x uncertainties",
        "points": points,
        "processes": default_jobs(),
        "wall_s": wall,
        "evaluations_per_minute": points / wall * 60,
        "cpu_s_per_evaluation": min(cpu),
        "cpu_bound_per_minute": default_jobs() * 60 / min(cpu),
    }


def bench_floor(repeat: int) -> dict:
    """Default ``simulate()`` against 15 numpy-kernel relocations of the same agents."""
    import numpy as np

    import sim
    from benchmarks import numpy_floor
    from sim.core.model import YRDModel

    config = sim.load_config(["scenario=baseline", "output.figures=false"])
    data = sim.load_region_data(config.data_dir)
    sim.simulate(config, data=data)
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        wall = time.perf_counter()
        result = sim.simulate(config, data=data)
        runs.append(
            {
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - start,
                "setup_s": result.timing["setup_seconds"],
            }
        )
    model = YRDModel(config, data)
    inputs = model.location_inputs()
    share = model.params.migration.reconsider_share
    kernel = []
    for _ in range(repeat):
        talent = copy.deepcopy(model.talent)
        start = time.process_time()
        wall = time.perf_counter()
        for year in range(config.end_year - config.start_year):
            numpy_floor.relocate(
                np.random.default_rng([0, year]),
                talent.city,
                talent.hukou,
                talent.high_skill,
                talent.years_in_city,
                talent.alive,
                inputs.destination_utility,
                inputs.public_service_penalty,
                inputs.entry_barrier,
                inputs.moving_cost,
                inputs.home_bias,
                inputs.flexible_talent,
                share,
            )
        kernel.append({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - start})
    best = min(runs, key=lambda r: r["cpu_s"])
    floor = min(kernel, key=lambda r: r["cpu_s"])
    return {
        "persons_per_agent": config.persons_per_agent,
        "talent_agents": len(model.talent),
        "simulate_wall_s": min(r["wall_s"] for r in runs),
        "simulate_cpu_s": best["cpu_s"],
        "simulate_setup_s": best["setup_s"],
        "kernel_wall_s": min(k["wall_s"] for k in kernel),
        "kernel_cpu_s": floor["cpu_s"],
        "ratio_cpu": best["cpu_s"] / floor["cpu_s"],
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmarks, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=24, help="points per throughput run")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 1000])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    report: dict = {"machine": machine(), "load_before": load(), "throughput": []}
    for size in args.sizes:
        for levers_only in (False, True):
            row = bench_throughput(size, args.points, args.repeat, levers_only)
            report["throughput"].append(row)
            print(
                f"ppa {size:>5} {row['sample']:<24} {row['points']} points on "
                f"{row['processes']} processes: {row['evaluations_per_minute']:6.1f} per minute "
                f"(wall {row['wall_s']:.1f} s; {row['cpu_s_per_evaluation']:.2f} CPU s an "
                f"evaluation, {row['cpu_bound_per_minute']:.0f}/min if the cores were free)",
                flush=True,
            )
    floor = bench_floor(args.repeat)
    report["floor"] = floor
    print(
        f"simulate() baseline ppa {floor['persons_per_agent']}: "
        f"{floor['simulate_cpu_s']:.2f} CPU s "
        f"(set-up {floor['simulate_setup_s']:.2f} s); numpy kernel, 15 relocations of the same "
        f"{floor['talent_agents']:,} agents: {floor['kernel_cpu_s']:.3f} CPU s; ratio "
        f"{floor['ratio_cpu']:.1f}x (target 3x)"
    )
    at_2000 = [r for r in report["throughput"] if r["persons_per_agent"] == 2000]
    if at_2000:
        worst = min(r["evaluations_per_minute"] for r in at_2000)
        print(f"target >= 120 evaluations/min at ppa 2000: {worst:.1f} (worst sample)")
    report["load_after"] = load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (load {report['load_before']} -> {report['load_after']})")
    return report


if __name__ == "__main__":
    main()
