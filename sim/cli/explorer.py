"""The ``yrdsim-explorer`` command: serve the interactive explorer on this machine.

``yrdsim-explorer [--port N] [--host H] [--sweep SWEEP_DIR] [--scale N]`` prints the address
and serves :mod:`sim.explorer.app` with Solara until interrupted (Ctrl-C). Without the optional
extra ``explorer``, or with a sweep folder that does not exist, it prints one line and exits
with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.explorer.server import ExplorerError, server_command

PROG = "yrdsim-explorer"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve the yrdsim explorer: turn the levers, watch the model run, browse a "
        "sweep's comparison (a local web app; open the printed address in a browser).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="TCP port (default: 8765; 0: a free one)"
    )
    parser.add_argument(
        "--sweep",
        type=Path,
        default=None,
        metavar="SWEEP_DIR",
        help="a sweep folder to open in the Sweep view",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=None,
        metavar="N",
        help="default persons per talent agent of the page (default: 2000)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``yrdsim-explorer``."""
    args = _parser().parse_args(argv)
    try:
        command, env = server_command(args.host, args.port, sweep=args.sweep, scale=args.scale)
    except ExplorerError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    port = command[command.index("--port") + 1]
    print(f"{PROG}: serving on http://{args.host}:{port}/ (Ctrl-C stops)", flush=True)
    os.execvpe(command[0], command, env)  # the server replaces this process


if __name__ == "__main__":
    main()
