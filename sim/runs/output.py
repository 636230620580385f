"""Write a run's tables, configuration, figures and provenance into its output folder.

Every file is written to a temporary name in the same folder and then renamed, so a file is
either complete or absent. ``provenance.json`` is written last: its presence marks the run
folder complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.core.recording import TABLE_UNITS
from sim.core.run import SimulationResult
from sim.runs.atomic import (
    TEMPORARY_PATTERN,
    TEMPORARY_SUFFIX,
    OutputError,
    describe_os_error,
    write_atomic,
    write_text_atomic,
)
from sim.runs.datapackage import (
    RUN_FIELD_DESCRIPTIONS,
    data_package,
    figure_stamp,
    provenance_stamp,
    table_resource,
    write_data_package,
    write_parquet,
)
from sim.runs.files import (
    CONFIG_FILE,
    FIGURES_DIR,
    PROVENANCE_FILE,
    RUN_TABLE_DESCRIPTIONS,
    RUN_TABLE_KEYS,
    TABLE_FORMATS,
)
from sim.runs.folders import check_output_folder
from sim.runs.provenance import provenance

#: Draws a run's figures into the folder given; returns the paths written.
FigureWriter = Callable[[Path], list[Path]]


def _prepare_folder(out: Path, *, remove_figures: bool) -> None:
    """Make ``out`` ready for a run: ours, incomplete until done, no leftovers of ours.

    Only what yrdsim wrote is ever removed: a folder holding files yrdsim did not write is
    refused (:func:`sim.runs.folders.foreign_entries`); figures of an earlier run are removed
    (they would not match the new tables) only if that run wrote them, i.e. they are no newer
    than its ``provenance.json`` or ``config.json``; hidden temporary files of a write that was
    killed (:data:`sim.runs.atomic.TEMPORARY_PATTERN`) are removed.

    Raises:
        OutputError: The folder holds others' files or cannot be written.
    """
    check_output_folder(out, run=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        markers = [out / PROVENANCE_FILE, out / CONFIG_FILE]
        made = max((p.stat().st_mtime_ns for p in markers if p.is_file()), default=None)
        (out / PROVENANCE_FILE).unlink(missing_ok=True)  # incomplete until done
        for folder in (out, out / FIGURES_DIR):
            for stale in sorted(folder.glob(f".*{TEMPORARY_SUFFIX}")):
                if TEMPORARY_PATTERN.match(stale.name):
                    stale.unlink(missing_ok=True)
        if remove_figures and made is not None:
            for stale in sorted((out / FIGURES_DIR).glob("*")):
                if stale.suffix in {".png", ".pdf"} and stale.stat().st_mtime_ns <= made:
                    stale.unlink()
    except OSError as exc:
        raise OutputError(describe_os_error(out, exc)) from None


def write_run(
    result: SimulationResult,
    out_dir: str | Path,
    *,
    figures: FigureWriter | None = None,
    extra_provenance: dict[str, Any] | None = None,
) -> list[Path]:
    """Write the tables, ``config.json``, the figures and, last, ``provenance.json``.

    Args:
        result: The run's results.
        out_dir: The run folder (created if missing).
        figures: Draws the figures into the folder it is given (e.g.
            :func:`sim.figures.run.run_figure_writer`); ``None``: no figures, and figures of an
            earlier run in the folder are removed.
        extra_provenance: More entries for ``provenance.json``.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    _prepare_folder(out, remove_figures=figures is None)
    # The record is made first so that every table and figure carries its stamp (config hash,
    # seed, version, commit); it is written last.
    record = provenance(result, extra_provenance)
    stamp = provenance_stamp(record)
    written = write_tables(result, out, stamp)
    config_json = json.dumps(result.config.model_dump(mode="json", by_alias=True), indent=2)
    written.append(write_text_atomic(out / CONFIG_FILE, config_json + "\n"))
    if figures is not None:
        with figure_stamp(stamp):  # the figures embed it in their PNG and PDF metadata
            written += figures(out / FIGURES_DIR)
    written.append(write_text_atomic(out / PROVENANCE_FILE, json.dumps(record, indent=2) + "\n"))
    return written


def write_tables(result: SimulationResult, out: Path, stamp: dict[str, Any]) -> list[Path]:
    """Write the run's tables (CSV and/or Parquet, by ``output.format``) and ``datapackage.json``.

    Args:
        result: The run's results.
        out: The run folder.
        stamp: Provenance every table carries: in ``datapackage.json`` (the tables' sidecar)
            and in each Parquet file's metadata.

    Returns:
        The paths written.
    """
    suffixes = TABLE_FORMATS[result.config.output.format]
    written: list[Path] = []
    resources: list[dict[str, Any]] = []
    for name, table in result.tables().items():
        if ".csv" in suffixes:
            written.append(
                write_atomic(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
            )
        if ".parquet" in suffixes:
            written.append(
                write_atomic(out / f"{name}.parquet", lambda p, t=table: write_parquet(t, p, stamp))
            )
        resources += table_resource(
            name,
            table,
            suffixes,
            RUN_TABLE_DESCRIPTIONS.get(name, name),
            units=TABLE_UNITS.get(name),
            descriptions=RUN_FIELD_DESCRIPTIONS.get(name),
            primary_key=RUN_TABLE_KEYS.get(name),
        )
    scenario = str(stamp.get("scenario", "run")).lower()
    package = data_package(
        name=f"yrdsim-{scenario}-seed{stamp.get('seed', 0)}".replace(" ", "-"),
        title=f"yrdsim run: scenario {scenario}, seed {stamp.get('seed')}",
        resources=resources,
        stamp=stamp,
        created=str(result.timing.get("finished") or "") or None,
    )
    written.append(write_data_package(out, package))
    return written


