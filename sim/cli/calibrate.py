"""``yrdsim-calibrate``: fit the global parameters out of sample, each on its own data."""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from datetime import datetime
from pathlib import Path

from sim.analysis.calibration import (
    CROSS_BORDER_RATE,
    DECAY_GRID,
    DEFAULTS_PATH,
    RECORD_PATH,
    Calibration,
    calibrate,
    dump_json,
    record,
    rounded,
    write_defaults,
)
from sim.cli.arguments import guarded, number, output_folder, whole
from sim.config.schema import CONFIG_DIR
from sim.core.data import load_region_data
from sim.hydra.compose import hindcast_config
from sim.runs.provenance import git_commit


def lopo_lines(result: Calibration) -> list[str]:
    """The leave-one-province-out table, one line per province."""
    lines = []
    for row in result.lopo:
        held = row["held_out"]
        lines.append(
            f"{row['province']:9s} ({row['held_out_cities']:2d} cities): trend_decay "
            f"{row['trend_decay']:<5} held-out SSE of log growth {held['sse_log_growth']:.4f}, "
            f"MAE {held['mae_pct']:.2f} % (at the all-province value: "
            f"{row['held_out_at_all_provinces_value']['sse_log_growth']:.4f}, "
            f"{row['held_out_at_all_provinces_value']['mae_pct']:.2f} %)"
        )
    return lines


def header_block(result: Calibration, payload: dict, command: str, commit: str | None) -> list[str]:
    """The comment block written at the top of the defaults file."""
    values = payload["values"]
    conv = result.convergence
    fit = payload["trend_decay"]["fit_at_chosen_value"]
    stab = result.stability
    return [
        f"Calibrated {payload['date']} by `{command}`",
        f"at git commit {commit} ({payload['wall_minutes']:.1f} min, seeds "
        f"{result.settings['seeds']}, persons_per_agent {result.settings['persons_per_agent']}).",
        f"labour.tfp_convergence = {values['labour.tfp_convergence']}: fitted on 2000-2010 city "
        f"GDP per capita (beta slope {conv.slope:.3f}",
        f"  per decade, weights 2000 population, {conv.cities} cities, "
        f"{', '.join(conv.dropped) or 'none'} dropped); no simulation.",
        f"migration.moving_cost_fixed = {values['migration.moving_cost_fixed']}: bisection (at the "
        "chosen trend_decay) to "
        f"the census 2010 inter-provincial migration",
        f"  rate {CROSS_BORDER_RATE * 100:.3f} %/yr (4.10 % per five years, Wang Guixin 2022); "
        f"model {result.moment_at_values * 100:.3f} %/yr in "
        f"{result.settings['moment_years'][0]}-{result.settings['moment_years'][1]}.",
        f"migration.trend_decay = {values['migration.trend_decay']}: the one value chosen on "
        f"the 2010-2020 hindcast (grid {result.grid});",
        f"  there R2 of relative log growth {fit['r2_relative_log_growth']:.3f}, MAE "
        f"{fit['mae_pct']:.2f} %, YRD total {fit['total_error_pct']:+.2f} %; left out by "
        "province: " + ", ".join(f"{r['province']} {r['trend_decay']}" for r in result.lopo) + ".",
        f"Stability: d U / d ln P (own city) = {stab['elasticity_median']:.3f} "
        f"({'negative' if stab['negative'] else 'NOT negative'}); one-year map spectral "
        f"radius {stab['one_year_map_spectral_radius']:.4f}.",
        "Record: configs/params/calibration_record.json.",
    ]


def main(argv: list[str] | None = None) -> int:
    """Fit the parameters, write the result folder and, if asked, the project's defaults."""
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        prog="yrdsim-calibrate",
        description="Fit 3 global parameters out of sample: tfp_convergence on 2000-2010 city "
        "GDP per capita, moving_cost_fixed on the census inter-provincial migration rate, "
        "trend_decay on the 2010-2020 hindcast (with a leave-one-province-out report); check "
        "the stability of the dynamics.",
    )
    parser.add_argument(
        "--out", default=None, help="result folder; None: outputs/calibration/DATE_TIME"
    )
    parser.add_argument(
        "--seeds", type=whole(0), nargs="+", default=[0, 1], help="seeds per evaluation"
    )
    parser.add_argument(
        "--persons-per-agent", type=whole(1), default=2000, help="scale of the calibration runs"
    )
    parser.add_argument(
        "--moment-years",
        type=whole(1, 10),
        default=3,
        help="years of the moving-cost bisection runs",
    )
    parser.add_argument(
        "--grid", type=number(0, 1), nargs="+", default=list(DECAY_GRID), help="trend_decay values"
    )
    parser.add_argument(
        "--tolerance",
        type=number(0, 1, open_low=True, open_high=True),
        default=0.01,
        help="relative tolerance on the migration rate",
    )
    parser.add_argument(
        "--write-defaults",
        action="store_true",
        help=f"write the fitted values into {DEFAULTS_PATH.relative_to(CONFIG_DIR.parent)} and "
        "the record next to it",
    )
    args = parser.parse_args(argv)
    command = shlex.join(["yrdsim-calibrate", *(sys.argv[1:] if argv is None else argv)])
    out = output_folder(
        parser, args.out or f"outputs/calibration/{datetime.now():%Y-%m-%d_%H-%M-%S}", "--out"
    )
    return guarded(parser.prog, lambda: _calibrate(args, command, out))


def _calibrate(args: argparse.Namespace, command: str, out: Path) -> int:
    """Fit, print and write (arguments already checked)."""
    out.mkdir(parents=True, exist_ok=True)
    commit = git_commit(CONFIG_DIR.parent)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        data = load_region_data()
        config = hindcast_config([f"persons_per_agent={args.persons_per_agent}"])
        result = calibrate(
            data,
            config,
            seeds=args.seeds,
            moment_years=args.moment_years,
            grid=args.grid,
            tolerance=args.tolerance,
            log=lambda line: print(line, flush=True),
        )
    payload = record(result, command, commit)
    dump_json(payload, out / "calibration.json")
    values = rounded(result.values)
    print("\nfitted: " + ", ".join(f"{k} = {v}" for k, v in values.items()))
    print(
        f"cross-border migration at the fitted values: {result.moment_at_values * 100:.3f} %/yr "
        f"(census {CROSS_BORDER_RATE * 100:.3f} %/yr)"
    )
    print("leave one province out:")
    for line in lopo_lines(result):
        print("  " + line)
    other = result.lopo_validation
    if other and "picked" in other:
        print(
            "  sim.analysis.validation.lopo_trend_decay: picked "
            + ", ".join(f"{k} {v}" for k, v in other["picked"].items())
            + f"; pooled held-out R2 {other['r2_rel']:.3f}, MAE {other['mae_pct']:.2f} %"
        )
    stab = result.stability
    verdict = "negative" if stab["negative"] else "NOT NEGATIVE: the dynamics are not self-limiting"
    print(
        f"stability: d U / d ln P = {stab['elasticity_median']:.3f} (max "
        f"{stab['elasticity_max']:.3f}; size term {stab['size_term']:.3f}, wages and housing "
        f"{stab['wage_housing_term_median']:.3f}): {verdict}; one-year map spectral radius "
        f"{stab['one_year_map_spectral_radius']:.4f}"
    )
    if args.write_defaults:
        comments = {
            "labour.tfp_convergence": "fitted on 2000-2010 city GDP per capita (beta slope "
            f"{result.convergence.slope:.3f} per decade; yrdsim-calibrate)",
            "migration.moving_cost_fixed": "set so that "
            f"{CROSS_BORDER_RATE * 100:.2f} %/yr of residents cross a provincial border (rest of "
            "China included): census 2010, 4.10 % in 2005-10 (Wang 2022; yrdsim-calibrate)",
            "migration.trend_decay": "yearly fading of the last decade's pattern; chosen on the "
            "2010-2020 hindcast, left out by province (yrdsim-calibrate)",
        }
        write_defaults(values, header_block(result, payload, command, commit), comments=comments)
        dump_json(payload, RECORD_PATH)
        print(f"wrote {DEFAULTS_PATH} and {RECORD_PATH}")
    print(f"wrote {out} ({result.seconds / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
