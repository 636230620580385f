"""Re-run a run folder from its ``config.json`` and compare every table byte for byte.

A complete run folder holds the validated configuration it ran (``config.json``) and what
produced it (``provenance.json``: seed, config hash, version, commit). :func:`reproduce` runs
that configuration again into a scratch folder and compares each table the folder's
``datapackage.json`` lists (CSV and Parquet; ``metrics.csv`` etc. in folders made before
``datapackage.json`` existed). Only the tables are compared: ``provenance.json`` and the
figures hold timings and dates.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sim.config.schema import ConfigError
from sim.config.validation import validate_config
from sim.core.data import load_region_data
from sim.core.run import SimulationResult, simulate
from sim.runs.files import CONFIG_FILE, DATAPACKAGE_FILE, PROVENANCE_FILE, read_json
from sim.runs.folders import is_complete
from sim.runs.output import write_run

#: Tables of a run folder made before ``datapackage.json`` listed them.
LEGACY_TABLES = ("metrics.csv", "cities.csv", "flows.csv", "travel_times.csv", "vouchers.csv")


class ReproduceError(ValueError):
    """The folder is not a complete run folder, or its configuration no longer validates."""


@dataclass
class TableCheck:
    """How one table of the reproduction compares with the original.

    Attributes:
        name: The file name (e.g. ``metrics.csv``).
        status: ``identical`` (same bytes), ``same values`` (Parquet whose table equals the
            original but whose metadata differs, e.g. another commit), ``different`` or
            ``missing`` (not written by the reproduction).
        detail: For a difference, the first line that differs.
    """

    name: str
    status: str
    detail: str = ""


@dataclass
class Reproduction:
    """The outcome of :func:`reproduce`.

    Attributes:
        run_dir: The original run folder.
        tables: One check per table.
        config_hash_matches: The configuration validates to the hash in ``provenance.json``.
        commit: The commit recorded in ``provenance.json``.
        commit_now: The commit of the code that reproduced it.
        seconds: Time of the re-run.
    """

    run_dir: Path
    tables: list[TableCheck] = field(default_factory=list)
    config_hash_matches: bool = True
    commit: str | None = None
    commit_now: str | None = None
    seconds: float = 0.0

    @property
    def identical(self) -> bool:
        """Every table came out byte-identical."""
        return bool(self.tables) and all(t.status == "identical" for t in self.tables)


def table_files(run_dir: Path) -> list[str]:
    """The table files of a run folder: those its ``datapackage.json`` lists, else the CSVs."""
    package = read_json(run_dir / DATAPACKAGE_FILE)
    if package and isinstance(package.get("resources"), list):
        return [str(r["path"]) for r in package["resources"] if "path" in r]
    return [name for name in LEGACY_TABLES if (run_dir / name).is_file()]


def _first_difference(a: bytes, b: bytes) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for number, (x, y) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if x != y:
            return f"line {number}: {x[:80]!r} vs {y[:80]!r}"
    return f"{len(lines_a)} vs {len(lines_b)} lines"


def compare_table(original: Path, again: Path) -> TableCheck:
    """Compare one table file of the original folder with the reproduction's."""
    if not again.is_file():
        return TableCheck(original.name, "missing", "the reproduction did not write it")
    if not original.is_file():
        return TableCheck(original.name, "missing", "the original folder lacks it")
    first, second = original.read_bytes(), again.read_bytes()
    if first == second:
        return TableCheck(original.name, "identical")
    if original.suffix == ".parquet":
        import pyarrow.parquet as pq

        if pq.read_table(original).equals(pq.read_table(again)):
            return TableCheck(original.name, "same values", "the file's metadata differs")
        return TableCheck(original.name, "different", "the values differ")
    return TableCheck(original.name, "different", _first_difference(first, second))


def load_run_config(run_dir: Path) -> tuple[dict, dict]:
    """The ``config.json`` and ``provenance.json`` of a complete run folder.

    Raises:
        ReproduceError: The folder is not a complete run folder.
    """
    if not run_dir.is_dir():
        raise ReproduceError(f"{run_dir} is not a folder")
    if not is_complete(run_dir):
        raise ReproduceError(
            f"{run_dir} is not a complete run folder (no complete {PROVENANCE_FILE})"
        )
    config = read_json(run_dir / CONFIG_FILE)
    if config is None:
        raise ReproduceError(f"{run_dir / CONFIG_FILE} is missing or unreadable")
    return config, read_json(run_dir / PROVENANCE_FILE) or {}


def reproduce(run_dir: str | Path, out_dir: str | Path | None = None) -> Reproduction:
    """Re-run a run folder from its ``config.json`` and compare every table with the original.

    Args:
        run_dir: A complete run folder.
        out_dir: Where the reproduction is written (default: a temporary folder, removed).

    Returns:
        The comparison, table by table.

    Raises:
        ReproduceError: Not a complete run folder, or its configuration does not validate.
    """
    from sim.runs.provenance import git_commit

    run_dir = Path(run_dir)
    config_data, record = load_run_config(run_dir)
    try:
        config = validate_config(config_data)
    except ConfigError as exc:
        raise ReproduceError(f"{run_dir / CONFIG_FILE} no longer validates: {exc}") from None
    outcome = Reproduction(
        run_dir=run_dir,
        config_hash_matches=record.get("config_hash") in (None, config.config_hash()),
        commit=record.get("git_commit"),
        commit_now=git_commit(Path(__file__).resolve().parent),
    )
    result: SimulationResult = simulate(config, data=load_region_data(config.data_dir))
    outcome.seconds = float(result.timing.get("wall_seconds", 0.0))
    with tempfile.TemporaryDirectory(prefix="yrdsim-reproduce-") as scratch:
        target = Path(out_dir) if out_dir is not None else Path(scratch)
        write_run(result, target, figures=None)
        names = table_files(run_dir)
        outcome.tables = [compare_table(run_dir / name, target / name) for name in names]
    return outcome
