"""The ``yrdsim-reproduce`` command: re-run a run folder and check its tables byte for byte.

``yrdsim-reproduce RUN_DIR`` runs the configuration in ``RUN_DIR/config.json`` again and
reports, table by table, whether it comes out byte-identical. Exit status 0: every table is
identical; 1: some table differs; 2: not a complete run folder (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

PROG = "yrdsim-reproduce"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Re-run a yrdsim run folder from its config.json and report whether every "
        "table comes out byte-identical.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a complete run folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the reproduction in DIR (default: a temporary folder, removed)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yrdsim-reproduce`` console script."""
    args = _parser().parse_args(argv)
    from sim.runs.reproduce import ReproduceError, reproduce

    try:
        outcome = reproduce(args.run_dir, args.out)
    except ReproduceError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    for check in outcome.tables:
        detail = f" ({check.detail})" if check.detail else ""
        print(f"{check.name}: {check.status}{detail}")
    if not outcome.config_hash_matches:
        print(
            f"{PROG}: warning: config.json validates to another config hash than "
            "provenance.json records (the configuration schema changed since the run)",
            file=sys.stderr,
        )
    if outcome.commit != outcome.commit_now:
        print(
            f"{PROG}: note: the run was made by commit {outcome.commit}, this is "
            f"{outcome.commit_now}",
            file=sys.stderr,
        )
    same = sum(t.status == "identical" for t in outcome.tables)
    verdict = "reproduced byte-identical" if outcome.identical else "NOT reproduced"
    print(
        f"{PROG}: {args.run_dir}: {verdict} ({same}/{len(outcome.tables)} tables identical; "
        f"re-run {outcome.seconds:.1f} s)"
    )
    return 0 if outcome.identical else 1


if __name__ == "__main__":
    sys.exit(main())
