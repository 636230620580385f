"""Argument checks shared by the analysis commands: one clear line for a bad argument.

``argparse`` types that refuse a value out of range at parse time (``usage`` line, one
``error:`` line, exit status 2), a check of an output folder before any work starts, and
:func:`guarded`, which turns a configuration, data or output error raised later into one
``PROG: error: ...`` line with exit status 2 instead of a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from sim.config.schema import ConfigError
from sim.core.data import DataError
from sim.runs.folders import check_output_folder


def whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` (to ``maximum``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: {allowed}")
        return value

    return parse


def number(
    minimum: float, maximum: float, *, open_low: bool = False, open_high: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[minimum, maximum]`` (ends optionally open)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        low_ok = value > minimum if open_low else value >= minimum
        high_ok = value < maximum if open_high else value <= maximum
        if not math.isfinite(value) or not low_ok or not high_ok:
            low = "(" if open_low else "["
            high = ")" if open_high else "]"
            raise argparse.ArgumentTypeError(
                f"{text} is out of range; allowed: {low}{minimum:g}, {maximum:g}{high}"
            )
        return value

    return parse


def power_of_two(minimum: int = 2) -> Callable[[str], int]:
    """An argparse type: a power of two of at least ``minimum`` (Saltelli's sample sizes)."""

    def parse(text: str) -> int:
        value = whole(minimum)(text)
        if value & (value - 1):
            raise argparse.ArgumentTypeError(f"{value} is not a power of two (e.g. 32, 64, 128)")
        return value

    return parse


def jobs(text: str) -> int:
    """An argparse type: a number of parallel jobs (>= 1, or -1 for one per core)."""
    value = whole(-1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 is not allowed; allowed: >= 1, or -1 for every core")
    return value


def output_folder(parser: argparse.ArgumentParser, path: str | Path, option: str) -> Path:
    """Check an output folder before any work: exit with one line if it cannot be written."""
    try:
        check_output_folder(path, run=False)
    except ConfigError as exc:
        parser.error(f"{option}: {exc}")
    return Path(path)


def guarded(prog: str, main: Callable[[], int]) -> int:
    """Run ``main``; a configuration, data or output error becomes one line and exit status 2."""
    try:
        return main()
    except (ConfigError, DataError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
