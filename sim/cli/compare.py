"""The ``yrdsim-compare`` command: compare the scenarios of a sweep folder.

``yrdsim-compare SWEEP_DIR`` reads every complete run of a sweep (``yrdsim -m ...``) and
writes ``SWEEP_DIR/comparison/``: ``summary.csv``, ``city_summary.csv``, ``differences.csv``,
``runs.csv``, ``summary.tex``, ``report.md`` and ``figures/`` (see :mod:`sim.analysis.compare`).
A folder that is not a sweep, or holds no complete run, is refused with one line and exit
status 2; failed, incomplete and missing runs are listed (and left out), exit status 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the heavy imports wait until the folder has been checked
    from sim.analysis import compare

PROG = "yrdsim-compare"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compare the scenarios of a yrdsim sweep: tables, figures and a report in "
        "SWEEP_DIR/comparison/.",
    )
    parser.add_argument("sweep_dir", metavar="SWEEP_DIR", type=Path, help="a yrdsim -m folder")
    parser.add_argument(
        "--baseline",
        default="baseline",
        metavar="NAME",
        help="the reference: a scenario name, or KEY=VALUE for a swept override "
        "(default: baseline)",
    )
    parser.add_argument(
        "--group-by",
        default=None,
        metavar="KEYS",
        help="comma-separated override keys to group by besides the scenario (default: every "
        "override that varies across the runs except seed); '' pools everything but the "
        "scenario",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: SWEEP_DIR/comparison)",
    )
    parser.add_argument("--no-figures", action="store_true", help="write tables and text only")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="only print how far the sweep is (runs done / total, elapsed, estimate) and exit",
    )
    return parser


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def run_comparison(
    sweep_dir: Path,
    *,
    baseline: str = "baseline",
    group_by: list[str] | None = None,
    out: Path | None = None,
    figures: bool = True,
) -> tuple[compare.SweepData, list[Path]]:
    """Compare a sweep and write the comparison folder (:func:`write_comparison`), with figures.

    Raises:
        compare.SweepError: The folder is not a sweep folder or holds no complete run.
    """
    from sim.analysis.report import write_comparison

    writer = None
    if figures:
        from sim.figures.comparison import comparison_figure_writer

        writer = comparison_figure_writer
    return write_comparison(
        sweep_dir, baseline=baseline, group_by=group_by, out=out, figures=writer
    )


def _argument_problem(
    args: argparse.Namespace, sweep_dir: Path, group_by: list[str] | None
) -> str | None:
    """What is wrong with ``--baseline``, ``--group-by`` or ``--out`` (``None``: nothing)."""
    from sim.config.schema import ConfigError
    from sim.runs.folders import check_output_folder

    if args.baseline.strip() in ("", "=") or args.baseline.endswith("="):
        return f"--baseline {args.baseline!r}: give a scenario name or KEY=VALUE"
    try:
        check_output_folder(args.out or sweep_dir / "comparison", run=False)
    except ConfigError as exc:
        return f"{'--out' if args.out else 'the comparison folder'}: {exc}"
    if group_by:
        from sim.analysis import compare

        try:
            runs = compare.find_runs(sweep_dir)
        except compare.SweepError as exc:
            return str(exc)
        known = sorted({k for run in runs for k in run.override_values()} - {"scenario"})
        unknown = [k for k in group_by if k and k != "scenario" and k not in known]
        if unknown and runs:
            return (
                f"--group-by: {', '.join(unknown)} is not an override of the runs in "
                f"{sweep_dir}; allowed: {', '.join(known) or 'none'}"
            )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yrdsim-compare`` console script."""
    args = _parser().parse_args(argv)
    sweep_dir: Path = args.sweep_dir
    group_by = None if args.group_by is None else [k.strip() for k in args.group_by.split(",")]
    started = time.perf_counter()
    if not sweep_dir.is_dir():
        return _error(f"{sweep_dir} is not a folder")
    if args.progress:
        from sim.runs.folders import sweep_progress

        line = sweep_progress(sweep_dir)
        if line is None:
            return _error(f"{sweep_dir} has no sweep.json (not a yrdsim -m folder)")
        print(f"{sweep_dir}: {line}")
        return 0
    problem = _argument_problem(args, sweep_dir, group_by)
    if problem:
        return _error(problem)
    from sim.analysis import compare

    try:
        data, written = run_comparison(
            sweep_dir,
            baseline=args.baseline,
            group_by=group_by,
            out=args.out,
            figures=not args.no_figures,
        )
    except compare.SweepError as exc:
        return _error(str(exc))
    except OSError as exc:  # e.g. the disk filled up while the comparison was written
        return _error(f"{exc.filename or args.out or sweep_dir}: cannot write ({exc.strerror})")
    reference = compare.Reference.parse(args.baseline)
    if reference.key not in data.keys or not reference.matches(data.metrics).any():
        print(
            f"{PROG}: warning: no '{reference}' runs in the sweep: differences, their figures "
            "and delta_vs_baseline are left out",
            file=sys.stderr,
        )
    versions = compare.code_versions(data.runs)
    if len(versions) > 1:
        print(
            f"{PROG}: warning: the runs were made by {len(versions)} versions of the code "
            f"({', '.join(versions)}); see runs.csv:git_commit",
            file=sys.stderr,
        )
    problems = [r for r in data.runs if r.status != compare.COMPLETE]
    for run in problems:
        where = run.path if run.path is not None else " ".join(run.overrides)
        print(f"{PROG}: {run.status} run {where}: {run.error}", file=sys.stderr)
    groups = len(data.groups())
    out = args.out or sweep_dir / compare.COMPARISON_DIR
    print(
        f"{PROG}: compared {len(data.used)} runs in {groups} groups "
        f"({', '.join(data.keys)}) in {time.perf_counter() - started:.1f} s; "
        f"{len(problems)} runs left out; {len(written)} files in {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
