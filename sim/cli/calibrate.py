"""``yrdsim-calibrate``: fit global behavioural parameters on the 2010 -> 2020 hindcast."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

from sim.analysis.calibration import (
    DEFAULTS_PATH,
    RECORD_PATH,
    Calibrator,
    Evaluation,
    dump_json,
    record,
    rounded,
    write_defaults,
    write_evaluations,
)
from sim.analysis.factors import apply_factors
from sim.analysis.validation import DEFAULT_SEEDS, validate
from sim.config.schema import CONFIG_DIR
from sim.core.data import load_region_data
from sim.hydra.compose import HINDCAST_OVERRIDES, hindcast_config
from sim.runs.provenance import git_commit


def main(argv: list[str] | None = None) -> int:
    """Fit the parameters, write the result folder and, if asked, the project's defaults."""
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        prog="yrdsim-calibrate",
        description="Fit at most 6 global behavioural parameters to the 2020 census with the "
        "2010-2020 hindcast (Sobol design + bounded Nelder-Mead, common random numbers).",
    )
    parser.add_argument(
        "--out", default=None, help="result folder; None: outputs/calibration/DATE_TIME"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="seeds per evaluation")
    parser.add_argument(
        "--persons-per-agent", type=int, default=2000, help="scale of the calibration runs"
    )
    parser.add_argument("--design", type=int, default=16, help="Sobol design points (power of 2)")
    parser.add_argument("--max-evals", type=int, default=100, help="Nelder-Mead evaluations")
    parser.add_argument(
        "--write-defaults",
        action="store_true",
        help=f"write the fitted values into {DEFAULTS_PATH.relative_to(CONFIG_DIR.parent)} and "
        "the record next to it",
    )
    args = parser.parse_args(argv)
    command = shlex.join(["yrdsim-calibrate", *(sys.argv[1:] if argv is None else argv)])
    out = Path(args.out or f"outputs/calibration/{datetime.now():%Y-%m-%d_%H-%M-%S}")
    out.mkdir(parents=True, exist_ok=True)
    commit = git_commit(CONFIG_DIR.parent)
    clock = time.perf_counter()

    def log(e: Evaluation) -> None:
        values = ", ".join(f"{k.split('.')[-1]}={v:.3f}" for k, v in e.values.items())
        print(
            f"[{e.number:3d} {e.stage:11s} {e.seconds:4.1f}s] SSE {e.sse:.4f}  {values}", flush=True
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        data = load_region_data()
        scale = [f"persons_per_agent={args.persons_per_agent}"]
        calibrator = Calibrator(data, hindcast_config(scale), seeds=args.seeds, log=log)
        result = calibrator.run(n_design=args.design, max_evaluations=args.max_evals)
        write_evaluations(result.evaluations, out / "evaluations.csv")
        values = rounded(result.best)
        overrides = [*HINDCAST_OVERRIDES, *(f"params.{k}={v!r}" for k, v in values.items())]
        at_values = apply_factors(hindcast_config(), values)
        fit_scale = validate(data, at_values, DEFAULT_SEEDS, overrides).report
    minutes = (time.perf_counter() - clock) / 60
    fit = {
        "r2_log_growth": fit_scale["r2_log_growth"],
        "mae_pct": fit_scale["mae_pct"],
        "baselines": fit_scale["baselines"],
        "seeds": list(DEFAULT_SEEDS),
        "persons_per_agent": fit_scale["persons_per_agent"],
    }
    payload = record(result, fit, command, commit)
    payload["wall_minutes"] = minutes
    dump_json(payload, out / "calibration.json")
    print(f"best SSE {result.sse:.4f} (prior {result.prior_sse:.4f}); {values}")
    print(
        f"hindcast at the fitted values: R2 {fit['r2_log_growth']:.3f}, MAE {fit['mae_pct']:.2f} %"
    )
    if args.write_defaults:
        block = [
            f"Calibrated {payload['date']} by `{command}`",
            f"at git commit {commit} ({len(result.evaluations)} evaluations, {minutes:.0f} min).",
            "Fitted on the 2010-2020 hindcast (experiment=hindcast_2010) to the 2020 census:",
            f"SSE of log population shares {result.sse:.4f} (priors {result.prior_sse:.4f});",
            f"at the values below (seeds {list(DEFAULT_SEEDS)}, "
            f"persons_per_agent {fit['persons_per_agent']}): R2 of log growth "
            f"{fit['r2_log_growth']:.3f}, MAE {fit['mae_pct']:.2f} % of the census",
            f"(no change {fit['baselines']['no_change']['mae_pct']:.2f} %, province average "
            f"{fit['baselines']['province_average']['mae_pct']:.2f} %).",
            "Fitted: " + ", ".join(f"{k} = {v}" for k, v in values.items()) + ".",
            "Record: configs/params/calibration_record.json; docs/VALIDATION.md.",
        ]
        write_defaults(values, block)
        dump_json(payload, RECORD_PATH)
        print(f"wrote {DEFAULTS_PATH} and {RECORD_PATH}")
    print(f"wrote {out} ({minutes:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
