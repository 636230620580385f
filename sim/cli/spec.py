"""``yrdsim-spec``: print the problem specification (levers, uncertainties, outcomes).

``yrdsim-spec`` prints the JSON form, ``yrdsim-spec --salib`` the SALib problem dict of the
numeric levers and uncertainties (``--names`` chooses which), ``--out FILE`` writes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.analysis.problem import PROBLEM
from sim.config.schema import ConfigError
from sim.runs.atomic import write_text_atomic


def main(argv: list[str] | None = None) -> int:
    """Print (or write) the specification; exit status 2 on a bad name."""
    parser = argparse.ArgumentParser(
        prog="yrdsim-spec",
        description="The one specification of levers, uncertainties and outcomes, as JSON or "
        "as a SALib problem.",
    )
    parser.add_argument("--salib", action="store_true", help="the SALib problem dict only")
    parser.add_argument("--names", nargs="+", help="parameters of the SALib problem")
    parser.add_argument("--out", help="write to this file instead of printing")
    args = parser.parse_args(argv)
    try:
        if args.names and not args.salib:
            raise ConfigError("--names: only with --salib; allowed: --salib --names NAME ...")
        spec = PROBLEM.salib(args.names) if args.salib else PROBLEM.to_dict()
    except ConfigError as exc:
        print(f"yrdsim-spec: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        write_text_atomic(Path(args.out), text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
