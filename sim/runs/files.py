"""The names of the files in run and sweep folders, defined once, and the one JSON reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Written last into a run folder; ``"complete": true`` in it marks the run complete.
PROVENANCE_FILE = "provenance.json"
#: The resolved configuration of a run.
CONFIG_FILE = "config.json"
#: Left in a run folder by a run that raised (error, traceback, overrides).
FAILED_FILE = "failed.json"
#: Hydra's record of a run's configuration and overrides.
HYDRA_DIR = ".hydra"
#: Written into a sweep folder when the sweep starts: its jobs and start time.
SWEEP_FILE = "sweep.json"
#: One marker per finished job of a sweep, in the sweep folder.
PROGRESS_DIR = ".progress"
#: The run's figures, in the run folder.
FIGURES_DIR = "figures"
#: A sweep's comparison (tables, figures, report), in the sweep folder.
COMPARISON_DIR = "comparison"


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` if it is missing or unreadable."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
