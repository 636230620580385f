"""``yrdsim-explore``: scenario discovery over levers x uncertainties (PRIM, feature scores).

Samples the problem (Latin hypercube, ``--size`` points, ``--sample-seed``), runs the points
on all cores through the batch path (a killed exploration started again continues where it
stopped), writes ``experiments.parquet``/``.csv``, and for a ``--condition`` such as
``"central_area_gdp_pc_ratio <= 1.2"`` runs PRIM and feature scoring (EMA Workbench, the
optional extra ``explore``) and writes their tables and figures under ``OUT/discovery/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import sim
from sim.analysis.exploration import (
    TABLE_STEM,
    Condition,
    discover,
    require_workbench,
    run_exploration,
    write_discovery,
)
from sim.analysis.problem import BASE_SCENARIO, DEFAULT_END_YEAR, PROBLEM
from sim.config.schema import ConfigError
from sim.core.data import DataError, load_region_data
from sim.figures.exploration import write_discovery_figures
from sim.runs.datapackage import analysis_stamp, figure_stamp, write_tables_provenance


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yrdsim-explore",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Latin-hypercube exploration of levers and uncertainties, and scenario "
        "discovery (PRIM) for a condition on an outcome.",
    )
    parser.add_argument("out_dir", help="folder of the exploration (resumed if it exists)")
    parser.add_argument("--size", type=int, default=200, help="points in the sample")
    parser.add_argument("--sample-seed", type=int, default=0, help="seed of the sample")
    parser.add_argument(
        "--factors",
        nargs="+",
        help="levers and uncertainties varied (default: all; see yrdsim-spec)",
    )
    parser.add_argument(
        "--condition",
        help="condition on an outcome, e.g. 'central_area_gdp_pc_ratio <= 1.2'",
    )
    parser.add_argument("--scenario", default=BASE_SCENARIO, help="base scenario")
    parser.add_argument("--seed", type=int, default=0, help="model seed of every point")
    parser.add_argument("--persons-per-agent", type=int, default=2000, help="scale")
    parser.add_argument("--end-year", type=int, default=DEFAULT_END_YEAR, help="last year")
    parser.add_argument("--n-jobs", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--block", type=int, default=8, help="points per saved block")
    parser.add_argument("--threshold", type=float, default=0.8, help="PRIM density threshold")
    parser.add_argument("--min-coverage", type=float, default=0.5, help="of the chosen box")
    parser.add_argument(
        "--max-restricted", type=int, default=3, help="most inputs the chosen box restricts"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the exploration and, with ``--condition``, the discovery; status 2 on bad input."""
    args = _parser().parse_args(argv)
    try:
        condition = Condition.parse(args.condition) if args.condition else None
        if condition is not None:
            require_workbench()
        names = [p.name for p in PROBLEM.select(args.factors)]
        for flag, value, least in (
            ("--size", args.size, 1),
            ("--block", args.block, 1),
            ("--persons-per-agent", args.persons_per_agent, 1),
        ):
            if value < least:
                raise ConfigError(f"{flag}: {value} is not allowed; allowed: {least} or more")
        if not 0 < args.threshold <= 1 or not 0 <= args.min_coverage <= 1:
            raise ConfigError("--threshold, --min-coverage: allowed: shares in (0, 1] and [0, 1]")
        base = sim.load_config(
            [
                f"scenario={args.scenario}",
                f"seed={args.seed}",
                f"persons_per_agent={args.persons_per_agent}",
                f"end_year={args.end_year}",
                "output.figures=false",
            ]
        )
        data = load_region_data(base.data_dir)
        clock = time.perf_counter()

        def progress(done: int, total: int, seconds: float) -> None:
            print(f"points {done}/{total} done, {seconds:.0f} s", flush=True)

        table = run_exploration(
            args.out_dir,
            base,
            data,
            size=args.size,
            seed=args.sample_seed,
            names=names,
            n_jobs=args.n_jobs,
            block=args.block,
            progress=progress,
        )
        minutes = (time.perf_counter() - clock) / 60
        print(f"{len(table)} points in {args.out_dir}/experiments.csv ({minutes:.1f} min)")
        out = Path(args.out_dir)
        # The sampled points vary the base configuration (its hash and model seed).
        stamp = analysis_stamp([base.config_hash()], [base.seed], sample_seed=args.sample_seed)
        tables = [out / "sample.csv", out / f"{TABLE_STEM}.csv", out / f"{TABLE_STEM}.parquet"]
        write_tables_provenance(out, stamp, [t for t in tables if t.is_file()])
        if condition is not None:
            found = discover(
                table,
                condition,
                names,
                threshold=args.threshold,
                min_coverage=args.min_coverage,
                max_restricted=args.max_restricted,
                seed=args.sample_seed,
            )
            written = write_discovery(out, found)
            write_tables_provenance(out / "discovery", stamp, written)
            with figure_stamp(stamp):
                write_discovery_figures(out / "discovery", found)
            summary = found.summary()
            print(
                f"{condition}: {found.cases} of {found.points} points; chosen box "
                f"{summary['chosen_box']}: coverage {summary['coverage']:.2f}, density "
                f"{summary['density']:.2f}, {summary['restricted_dims']} restricted inputs"
            )
            for row in summary["limits"]:
                shown = row["values"] or f"{row['low']:.4g} to {row['high']:.4g}"
                print(f"  {row['factor']}: {shown}")
            print(json.dumps({"discovery": str(out / "discovery")}))
    except (ConfigError, DataError) as exc:
        print(f"yrdsim-explore: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
