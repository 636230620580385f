"""What produced a run: package and library versions, git commit, seed, config hash, timing."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim.core.data import BUNDLED_DATA_DIR
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


#: Hashes of data folders by their files' names, sizes and modification times.
_DATA_HASHES: dict[tuple, str] = {}


def data_folder_hash(data_dir: str | Path | None) -> str | None:
    """SHA-256 of the content of a data folder (the bundled data for ``None``).

    Every visible file of the folder, by name and content, so that a run made from edited data
    is not taken for a run of the data as they are now (a resumed sweep re-runs it). Files the
    folder lacks are read from the bundled data (:func:`sim.core.data.load_region_data`), so
    those are hashed too. ``None`` if the folder cannot be read.
    """
    folder = BUNDLED_DATA_DIR if data_dir is None else Path(data_dir)
    try:
        files = {p.name: p for p in BUNDLED_DATA_DIR.iterdir() if p.is_file()}
        files.update({p.name: p for p in folder.iterdir() if p.is_file()})
        files = {name: path for name, path in files.items() if not name.startswith(".")}
        signature = tuple(
            (name, str(path), path.stat().st_size, path.stat().st_mtime_ns)
            for name, path in sorted(files.items())
        )
        if signature not in _DATA_HASHES:
            digest = hashlib.sha256()
            for name, path in sorted(files.items()):
                digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
            _DATA_HASHES[signature] = digest.hexdigest()
        return _DATA_HASHES[signature]
    except OSError:
        return None


def provenance(result: SimulationResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What produced a run: versions, commit, seed, config and data hashes, tables, timing.

    ``tables`` records each table's rows and columns, so that a table truncated or edited
    later is recognised (:func:`sim.runs.folders.run_problem`).
    """
    config = result.config
    source = Path(__file__).resolve().parent
    return {
        "package": "yrdsim",
        "version": package_version("yrdsim"),
        "git_commit": git_commit(source),
        "seed": config.seed,
        "scenario": config.scenario.name,
        "config_hash": config.config_hash(),
        "data_hash": data_folder_hash(config.data_dir),
        "tables": {
            name: {"rows": len(table), "columns": [str(c) for c in table.columns]}
            for name, table in result.tables().items()
        },
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
