"""``yrdsim-validate OUT_DIR``: the 2010 -> 2020 hindcast against the census and its rivals."""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

from sim.analysis.validation import (
    DEFAULT_SEEDS,
    TREND_DECAY_GRID,
    lopo_trend_decay,
    validate,
    write_validation,
)
from sim.cli.arguments import guarded, output_folder, whole
from sim.core.data import load_region_data
from sim.hydra.compose import HINDCAST_OVERRIDES, hindcast_config
from sim.runs.datapackage import analysis_stamp, figure_stamp, write_tables_provenance


def _fmt(value: Any, spec: str) -> str:
    """``value`` formatted with ``spec``, or ``n/a`` for None."""
    return "n/a" if value is None else format(value, spec)


def _line(name: str, m: dict[str, Any]) -> str:
    """One row of the printed comparison."""
    hits = "n/a" if m["sign_hits"] is None else f"{m['sign_hits']}"
    return (
        f"  {name:<24} {m['r2_rel']:>7.3f} {m['r2_abs']:>7.3f} {m['mae_pct']:>7.2f} "
        f"{_fmt(m['spearman'], '.3f'):>8} {hits:>5} {m['total_err_pct']:>+8.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the hindcast with the project's defaults and write the validation report."""
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        prog="yrdsim-validate",
        description="Hindcast 2010-2020 (experiment=hindcast_2010) compared with the 2020 census "
        "and with naive forecasts (no change, uniform growth, province average, damped trend, "
        "cross-validated regression); writes OUT_DIR/validation.json, a per-city table and "
        "figures.",
    )
    parser.add_argument("out_dir", help="folder for validation.json, the table and the figures")
    parser.add_argument(
        "--seeds", type=whole(0), nargs="+", default=list(DEFAULT_SEEDS), help="model seeds"
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Hydra override, e.g. persons_per_agent=2000 (repeatable)",
    )
    parser.add_argument(
        "--lopo",
        action="store_true",
        help="also run the leave-one-province-out test of params.migration.trend_decay "
        f"(grid {', '.join(map(str, TREND_DECAY_GRID))}: {len(TREND_DECAY_GRID)}x the runs)",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    args = parser.parse_args(argv)
    output_folder(parser, args.out_dir, "OUT_DIR")
    return guarded(parser.prog, lambda: _validate(args))


def _validate(args: argparse.Namespace) -> int:
    """Run the hindcast and print and write the report (arguments already checked)."""
    clock = time.perf_counter()
    data = load_region_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        config = hindcast_config(args.override)
        overrides = [*HINDCAST_OVERRIDES, *args.override]
        result = validate(data, config, args.seeds, overrides)
        if args.lopo:
            result.report["lopo_trend_decay"] = lopo_trend_decay(
                data, config, TREND_DECAY_GRID, args.seeds
            )
    path = write_validation(result, args.out_dir)
    # The hindcast runs the tables and figures show: one configuration per seed.
    hashes = [config.model_copy(update={"seed": s}).config_hash() for s in args.seeds]
    stamp = analysis_stamp(hashes, args.seeds)
    write_tables_provenance(path.parent, stamp, [path, path.parent / "validation_cities.csv"])
    if not args.no_figures:
        from sim.figures.validation import plot_validation

        with figure_stamp(stamp):
            plot_validation(result.table, result.report, path.parent)
    r = result.report
    print(
        f"hindcast 2010-2020 (mean of seeds {', '.join(map(str, args.seeds))}), unscaled; "
        f"YRD total 2020 error {r['total_err_pct']:+.2f} %"
    )
    print(
        f"  {'forecast':<24} {'R2 rel':>7} {'R2 abs':>7} {'MAE %':>7} {'Spearman':>8} "
        f"{'signs':>5} {'total %':>8}"
    )
    print(_line("MODEL", r["model"]))
    for name, b in r["baselines"].items():
        print(_line(name, b))
    spread = r["seed_spread"]
    if spread["median_cv_pct"] is not None:
        print(
            f"spread across seeds: median CV of city 2020 population "
            f"{spread['median_cv_pct']:.2f} % (max {spread['max_cv_pct']:.2f} %)"
        )
    u = r["untargeted"]
    for province in ("Zhejiang", "Shanghai"):
        s = u[province]
        census = ", ".join(f"{measure} x{c['ratio']:.2f}" for measure, c in s["census"].items())
        print(
            f"untargeted: {province} non-hukou residents x{_fmt(s['simulated_ratio'], '.2f')} "
            f"2010-2020 (census: {census})"
        )
    print(f"untargeted: region's non-hukou residents rise: {u['region_non_hukou']['rises']}")
    if "lopo_trend_decay" in r:
        lopo = r["lopo_trend_decay"]
        print(
            f"LOPO trend_decay: R2 rel {lopo['r2_rel']:.3f}, MAE {lopo['mae_pct']:.2f} %; "
            f"picked {lopo['picked']} (in-sample best {lopo['in_sample_best']})"
        )
    print(
        f"wrote {path}, the per-city table and figures in {path.parent} "
        f"({time.perf_counter() - clock:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
