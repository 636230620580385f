"""What produced a run: package and library versions, git commit, seed, config hash, timing."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim.core.recording import TABLE_UNITS
from sim.core.run import SimulationResult

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
