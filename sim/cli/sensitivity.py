"""``yrdsim-sensitivity``: Morris screening and Sobol indices of the 2035 headline outcomes."""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import sim
from sim.analysis.sensitivity import FACTORS, OUTCOMES, morris, sobol, top_factors
from sim.cli.arguments import guarded, jobs, output_folder, power_of_two, whole
from sim.core.data import load_region_data
from sim.figures.sensitivity import plot_indices
from sim.runs.datapackage import analysis_stamp, figure_stamp, write_tables_provenance

#: The configuration varied (before the factors are applied); the model seed is 0 for every
#: sampling seed (common random numbers across samples).
BASE_OVERRIDES: tuple[str, ...] = (
    "scenario=integrated",
    "end_year=2035",
    "persons_per_agent=2000",
    "output.figures=false",
    "seed=0",
)


def main(argv: list[str] | None = None) -> int:
    """Run Morris over all factors, then Sobol over the top ones; write tables and a figure."""
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        prog="yrdsim-sensitivity",
        description="Global sensitivity (SALib) of the 2035 Theil indices, innovations and "
        "central-area GDP per capita ratio to behavioural parameters and lever intensities "
        "(integrated scenario, 2020-2035, persons_per_agent 2000).",
    )
    parser.add_argument("out_dir", help="folder for the tables and the figure")
    parser.add_argument("--trajectories", type=whole(2), default=8, help="Morris trajectories (r)")
    parser.add_argument("--levels", type=whole(2), default=4, help="Morris grid levels")
    parser.add_argument(
        "--sobol-n", type=power_of_two(), default=64, help="Saltelli base sample N (2^k)"
    )
    parser.add_argument(
        "--top", type=whole(1, len(FACTORS)), default=4, help="factors carried to Sobol"
    )
    parser.add_argument(
        "--n-jobs", type=jobs, default=None, help="processes (default or -1: all cores)"
    )
    parser.add_argument("--seed", type=whole(0), default=0, help="sampling and model seed")
    parser.add_argument("--skip-sobol", action="store_true", help="Morris only")
    args = parser.parse_args(argv)
    out = output_folder(parser, args.out_dir, "OUT_DIR")
    return guarded(parser.prog, lambda: _sensitivity(args, out))


def _sensitivity(args: argparse.Namespace, out: Path) -> int:
    """Screen, estimate, write (arguments already checked)."""
    out.mkdir(parents=True, exist_ok=True)
    data = load_region_data()
    base = sim.load_config(list(BASE_OVERRIDES))
    timing: dict[str, float] = {}
    # The tables and the figure come from runs of the base configuration with the factors
    # varied, sampled with args.seed; the model seed is the base's.
    stamp = analysis_stamp([base.config_hash()], [base.seed], sample_seed=args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clock = time.perf_counter()
        runs, indices = morris(
            FACTORS, data, base, args.trajectories, args.levels, args.seed, args.n_jobs
        )
        timing["morris_minutes"] = (time.perf_counter() - clock) / 60
        runs.to_csv(out / "morris_runs.csv", index=False)
        indices.to_csv(out / "morris_indices.csv", index=False)
        write_tables_provenance(out, stamp, [out / "morris_runs.csv", out / "morris_indices.csv"])
        print(f"Morris: {len(runs)} runs in {timing['morris_minutes']:.1f} min")
        sobol_indices = None
        chosen: list[str] = []
        if not args.skip_sobol:
            chosen = top_factors(indices, args.top)
            factors = [f for f in FACTORS if f.name in chosen]
            clock = time.perf_counter()
            sobol_runs, sobol_indices = sobol(
                factors, data, base, args.sobol_n, args.seed, args.n_jobs
            )
            timing["sobol_minutes"] = (time.perf_counter() - clock) / 60
            sobol_runs.to_csv(out / "sobol_runs.csv", index=False)
            sobol_indices.to_csv(out / "sobol_indices.csv", index=False)
            write_tables_provenance(out, stamp, [out / "sobol_runs.csv", out / "sobol_indices.csv"])
            print(f"Sobol on {chosen}: {len(sobol_runs)} runs in {timing['sobol_minutes']:.1f} min")
    with figure_stamp(stamp):
        plot_indices(indices, sobol_indices, out / "sensitivity_indices.png")
    settings = {
        "base_overrides": list(BASE_OVERRIDES),
        "factors": [f.__dict__ for f in FACTORS],
        "outcomes": list(OUTCOMES),
        "trajectories": args.trajectories,
        "levels": args.levels,
        "sobol_n": args.sobol_n,
        "sobol_factors": chosen,
        "seed": args.seed,
        "n_jobs": args.n_jobs,
        **timing,
    }
    (out / "sensitivity.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
