"""``yrdsim-validate OUT_DIR``: the 2010 -> 2020 hindcast against the census."""

from __future__ import annotations

import argparse
import time
import warnings

from sim.analysis.validation import DEFAULT_SEEDS, validate, write_validation
from sim.core.data import load_region_data
from sim.hydra.compose import HINDCAST_OVERRIDES, hindcast_config


def main(argv: list[str] | None = None) -> int:
    """Run the hindcast with the project's defaults and write the validation report."""
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        prog="yrdsim-validate",
        description="Hindcast 2010-2020 (experiment=hindcast_2010) compared with the 2020 census "
        "and naive forecasts; writes OUT_DIR/validation.json and figures.",
    )
    parser.add_argument("out_dir", help="folder for validation.json, the table and the figures")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS), help="model seeds"
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Hydra override, e.g. persons_per_agent=2000 (repeatable)",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    args = parser.parse_args(argv)
    clock = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        config = hindcast_config(args.override)
        overrides = [*HINDCAST_OVERRIDES, *args.override]
        result = validate(load_region_data(), config, args.seeds, overrides)
    path = write_validation(result, args.out_dir)
    if not args.no_figures:
        from sim.figures.validation import plot_validation

        plot_validation(result.table, result.report, path.parent)
    r = result.report
    print(
        f"hindcast 2010-2020, model (mean of seeds {', '.join(map(str, args.seeds))}): "
        f"R2 of log growth {r['r2_log_growth']:.3f}, MAE {r['mae_pct']:.2f} % of the census"
    )
    for name, b in r["baselines"].items():
        print(f"  naive forecast {name}: R2 {b['r2_log_growth']:.3f}, MAE {b['mae_pct']:.2f} %")
    print(
        f"wrote {path}, the per-city table and figures in {path.parent} "
        f"({time.perf_counter() - clock:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
