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

from sim.core.run import SimulationResult
from sim.runs.atomic import write_atomic, write_text_atomic
from sim.runs.files import CONFIG_FILE, FIGURES_DIR, PROVENANCE_FILE
from sim.runs.provenance import provenance

#: Draws a run's figures into the folder given; returns the paths written.
FigureWriter = Callable[[Path], list[Path]]


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
    out.mkdir(parents=True, exist_ok=True)
    (out / PROVENANCE_FILE).unlink(missing_ok=True)  # an overwritten run is incomplete until done
    if figures is None:  # figures of an earlier run in this folder would not match the new tables
        for stale in sorted((out / FIGURES_DIR).glob("*")):
            if stale.suffix in {".png", ".pdf"}:
                stale.unlink()
    written = [
        write_atomic(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
        for name, table in result.tables().items()
    ]
    config_json = json.dumps(result.config.model_dump(mode="json", by_alias=True), indent=2)
    written.append(write_text_atomic(out / CONFIG_FILE, config_json + "\n"))
    if figures is not None:
        written += figures(out / FIGURES_DIR)
    record = provenance(result, extra_provenance)
    written.append(write_text_atomic(out / PROVENANCE_FILE, json.dumps(record, indent=2) + "\n"))
    return written


