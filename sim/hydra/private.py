"""The only uses of Hydra's private modules (``hydra._internal``), where Hydra offers no public API.

Hydra 1.3 has no public parser of its command line or expander of a basic sweep; both are
taken from its internals here and nowhere else. ``tests/hydra/test_private.py`` fails loudly
if an upgrade of Hydra removes or changes them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


def hydra_args_parser() -> argparse.ArgumentParser:
    """Hydra's own parser of the command line of a ``@hydra.main`` application."""
    from hydra._internal.utils import get_args_parser

    return get_args_parser()


def split_sweep(overrides: Sequence[Any]) -> list[list[list[str]]]:
    """The jobs (in batches) that Hydra's basic sweeper makes of parsed sweep overrides."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    return BasicSweeper.split_arguments(list(overrides), None)
