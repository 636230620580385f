"""Write a run's tables, provenance and figures into its output folder.

Every file is written to a temporary name in the same folder and then renamed, so a file is
either complete or absent. ``provenance.json`` is written last: its presence marks the run
folder complete.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim.core.data import RegionData
from sim.core.recording import TABLE_UNITS
from sim.core.run import SimulationResult
from sim.runs.atomic import write_atomic, write_text_atomic

PROVENANCE_FILE = "provenance.json"
KEY_PACKAGES = ("mesa", "numpy", "scipy", "pandas", "matplotlib", "pydantic", "hydra-core")


def package_version(name: str) -> str | None:
    """Installed version of a distribution, or ``None``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def git_commit(directory: Path) -> str | None:
    """Commit of the git checkout holding ``directory`` (``-dirty`` if modified), or ``None``."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def provenance(result: SimulationResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What produced a run: versions, commit, seed, config hash, timing."""
    config = result.config
    source = Path(__file__).resolve().parent
    return {
        "package": "yrdsim",
        "version": package_version("yrdsim"),
        "git_commit": git_commit(source),
        "seed": config.seed,
        "scenario": config.scenario.name,
        "config_hash": config.config_hash(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {name: package_version(name) for name in KEY_PACKAGES},
        "started": result.timing.get("started"),
        "finished": result.timing.get("finished"),
        "wall_seconds": result.timing.get("wall_seconds"),
        "setup_seconds": result.timing.get("setup_seconds"),
        "step_seconds": result.timing.get("step_seconds"),
        "model": result.info,
        "units": TABLE_UNITS,
        **(extra or {}),
        "complete": True,
    }


def write_run(
    result: SimulationResult,
    out_dir: str | Path,
    data: RegionData | None = None,
    *,
    figures: bool = True,
    extra_provenance: dict[str, Any] | None = None,
) -> list[Path]:
    """Write the tables, ``config.json``, the figures and, last, ``provenance.json``.

    Args:
        result: The run's results.
        out_dir: The run folder (created if missing).
        data: The region data (its boundaries are needed for the map); loaded if omitted.
        figures: Draw the figures.
        extra_provenance: More entries for ``provenance.json``.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / PROVENANCE_FILE).unlink(missing_ok=True)  # an overwritten run is incomplete until done
    if not figures:  # figures of an earlier run in this folder would not match the new tables
        for stale in sorted((out / "figures").glob("*")):
            if stale.suffix in {".png", ".pdf"}:
                stale.unlink()
    written = [
        write_atomic(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
        for name, table in result.tables().items()
    ]
    config_json = json.dumps(result.config.model_dump(mode="json", by_alias=True), indent=2)
    written.append(write_text_atomic(out / "config.json", config_json + "\n"))
    if figures:
        from sim.core.data import load_region_data
        from sim.figures.run import write_run_figures

        boundaries = (data or load_region_data(result.config.data_dir)).boundaries
        written += write_run_figures(result.metrics, result.cities, boundaries, out / "figures")
    record = provenance(result, extra_provenance)
    written.append(write_text_atomic(out / PROVENANCE_FILE, json.dumps(record, indent=2) + "\n"))
    return written


def is_complete(run_dir: str | Path) -> bool:
    """Whether a run folder holds a finished run (its ``provenance.json`` says so)."""
    path = Path(run_dir) / PROVENANCE_FILE
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("complete"))
    except (OSError, json.JSONDecodeError):
        return False
