"""Throw bad inputs and faults at yrdsim's commands and API and classify each outcome.

Usage::

    python tools/bad_input_review.py [--only SUBSTRING] [--json results.json]

Every case is a mistake a researcher could make (a hand-edited data folder, a bad override, a
sweep with one bad combination, a full or read-only disk, misuse of the Python API) or a fault
(a damaged run folder). Each outcome is classified as

* ``clear``: refused with a message naming the problem (one of the case's words) and exit
  status 1 or 2, no Python traceback (API: a ``ValueError``/``TypeError`` naming the argument);
* ``vague``: refused without a traceback, but the message names none of the case's words;
* ``handled``: exit status 0 and the case's own check of the correct behaviour passed (e.g. a
  damaged run is re-run, a file of the user's is kept);
* ``traceback``: a Python traceback reached the user (API: another exception type, or an
  error from deep inside that does not name the argument);
* ``silent``: exit status 0 (API: a result) although the input was wrong, or the check failed;
* ``lost``: a file yrdsim did not write was deleted or changed, or data were half-written.

The file systems faults mount small tmpfs folders (root only; skipped otherwise). The script
prints one line per case and the counts; ``--json`` writes them too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA = ROOT / "sim" / "data"
#: A short, cheap run: two years, few agents, no figures.
SHORT = ["end_year=2021", "persons_per_agent=20000", "output.figures=false"]
TIMEOUT = 600
#: A bad argument of an analysis command is refused at once; one still running was accepted.
ANALYSIS_TIMEOUT = 45


@dataclass
class Outcome:
    """The class of an outcome and what was seen."""

    kind: str
    detail: str


@dataclass
class Case:
    """One bad input or fault."""

    name: str
    group: str
    run: Callable[[Path], Outcome]


def _cli(
    command: str, args: list[str], cwd: Path, prefix: str = "", timeout: float = TIMEOUT
) -> subprocess.CompletedProcess:
    exe = str(BIN / command)
    if prefix:
        line = prefix + " " + " ".join(_quote(a) for a in [exe, *args])
        return subprocess.run(
            ["bash", "-c", line], cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _last_lines(text: str, n: int = 2) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:])[:300]


def classify(
    proc: subprocess.CompletedProcess,
    *,
    ok: Callable[[], bool] | None = None,
    kept: Callable[[], bool] | None = None,
    words: tuple[str, ...] = (),
) -> Outcome:
    """Classify a finished command.

    Args:
        proc: The finished command.
        ok: For inputs whose correct handling exits 0: the check of that behaviour.
        kept: Whether every file of the user's is still there and unchanged.
        words: Words a clear refusal's message must hold (any of them).
    """
    output = proc.stdout + proc.stderr
    if kept is not None and not kept():
        return Outcome("lost", _last_lines(output))
    if "Traceback (most recent call last)" in output or "Error executing job" in output:
        return Outcome("traceback", _last_lines(output, 1))
    if proc.returncode == 0:
        if ok is not None and ok():
            return Outcome("handled", "exit 0, behaviour checked")
        return Outcome("silent", "exit 0: " + _last_lines(output, 1))
    if proc.returncode < 0 or proc.returncode > 2:
        return Outcome("traceback", f"exit {proc.returncode}: " + _last_lines(output, 1))
    message = proc.stderr.strip() or proc.stdout.strip()
    if not message:
        return Outcome("silent", f"exit {proc.returncode} without a message")
    if words and not any(w.lower() in message.lower() for w in words):
        return Outcome(
            "vague",
            f"exit {proc.returncode}, message names none of {words}: " + _last_lines(message, 1),
        )
    return Outcome("clear", f"exit {proc.returncode}: " + _last_lines(message, 1))


# ---------------------------------------------------------------------------------------------
# data folders with one defect
# ---------------------------------------------------------------------------------------------


def data_copy(tmp: Path, change: Callable[[Path], None]) -> Path:
    """A copy of the bundled data with one change."""
    folder = tmp / "data"
    shutil.copytree(DATA, folder)
    change(folder)
    return folder


def cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """A change setting one cell of a CSV file."""

    def change(folder: Path) -> None:
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        frame.loc[row, column] = value
        frame.to_csv(folder / file, index=False)

    return change


def cells(file: str, column: str, value: str) -> Callable[[Path], None]:
    """A change setting a whole column of a CSV file."""

    def change(folder: Path) -> None:
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        frame[column] = value
        frame.to_csv(folder / file, index=False)

    return change


def write(file: str, text: str | bytes) -> Callable[[Path], None]:
    """A change replacing a file with ``text``."""

    def change(folder: Path) -> None:
        path = folder / file
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return change


def geojson(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    """A change editing the boundaries (parsed GeoJSON)."""

    def change(folder: Path) -> None:
        path = folder / "yrd_cities.geojson"
        collection = json.loads(path.read_text())
        edit(collection)
        path.write_text(json.dumps(collection))

    return change


def _feature(n: int, key: str, value: object) -> Callable[[dict], None]:
    def edit(collection: dict) -> None:
        collection["features"][n][key] = value

    return edit


def _geometry_coords(value: object) -> Callable[[dict], None]:
    def edit(collection: dict) -> None:
        collection["features"][3]["geometry"]["coordinates"] = value

    return edit


def _isolate(city: str) -> Callable[[Path], None]:
    """Move a city's boundary far away and drop its links: no way in or out."""

    def change(folder: Path) -> None:
        path = folder / "yrd_cities.geojson"
        collection = json.loads(path.read_text())
        for feature in collection["features"]:
            if feature["properties"]["id"] != city:
                continue
            geometry = feature["geometry"]

            def shift(item: object) -> object:
                if isinstance(item, list) and item and isinstance(item[0], int | float):
                    return [item[0] + 6.0, item[1]]
                return [shift(i) for i in item] if isinstance(item, list) else item

            geometry["coordinates"] = shift(geometry["coordinates"])
        path.write_text(json.dumps(collection))
        links = pd.read_csv(folder / "transport_links.csv", dtype=str, keep_default_na=False)
        touches = (
            (links["from_id"] == city)
            | (links["to_id"] == city)
            | links["via_ids"].str.contains(city)
        )
        links.loc[touches, "status"] = "planned"
        links.to_csv(folder / "transport_links.csv", index=False)

    return change


DATA_CASES: list[tuple[str, Callable[[Path], None], tuple[str, ...]]] = [
    ("empty cities.csv", write("cities.csv", ""), ("cities.csv",)),
    (
        "cities.csv header only",
        lambda f: (f / "cities.csv").write_text(
            (f / "cities.csv").read_text().splitlines()[0] + "\n"
        ),
        ("cities.csv",),
    ),
    ("empty transport_links.csv", write("transport_links.csv", ""), ("transport_links.csv",)),
    ("empty geojson", write("yrd_cities.geojson", ""), ("yrd_cities.geojson",)),
    ("empty city_economy.csv", write("city_economy.csv", ""), ("city_economy.csv",)),
    ("empty vital_rates.csv", write("vital_rates.csv", ""), ("vital_rates.csv",)),
    ("binary cities.csv", write("cities.csv", b"\xff\xfe\x00garbage\x00"), ("cities.csv",)),
    ("geojson is a list", write("yrd_cities.geojson", "[]"), ("yrd_cities.geojson",)),
    ("geojson properties null", geojson(_feature(2, "properties", None)), ("properties",)),
    ("geojson properties a list", geojson(_feature(2, "properties", [1])), ("properties",)),
    ("geojson geometry null", geojson(_feature(2, "geometry", None)), ("geometry",)),
    (
        "geojson feature a string",
        geojson(lambda c: c["features"].__setitem__(2, "x")),
        ("feature",),
    ),
    ("geojson coordinates malformed", geojson(_geometry_coords([[1, 2]])), ("coordinates",)),
    ("geojson coordinates text", geojson(_geometry_coords("abc")), ("coordinates",)),
    (
        "geojson coordinates out of range",
        geojson(_geometry_coords([[[500, 95], [501, 95], [501, 96], [500, 95]]])),
        ("coordinates", "range"),
    ),
    ("zero GDP", cell("city_economy.csv", 4, "gdp_2020_filled_100m_cny", "0"), ("gdp",)),
    (
        "zero area",
        lambda f: (
            cell("cities.csv", 4, "area_km2", "0")(f),
            cell("cities.csv", 4, "area_km2_polygon", "0")(f),
        ),
        ("area",),
    ),
    ("latitude 95", cell("cities.csv", 4, "lat", "95"), ("lat",)),
    ("longitude 200", cell("cities.csv", 4, "lon", "200"), ("lon",)),
    ("status 'Existing'", cell("transport_links.csv", 0, "status", "Existing"), ("status",)),
    ("mode 'teleport'", cell("transport_links.csv", 0, "mode", "teleport"), ("mode",)),
    ("central_area 2", cell("cities.csv", 4, "central_area", "2"), ("central_area",)),
    ("central_area -1", cell("cities.csv", 4, "central_area", "-1"), ("central_area",)),
    (
        "population of 10^15 (a typing slip that would need too much memory)",
        cell("cities.csv", 0, "pop_2020_persons", "900000000000000"),
        ("memory", "pop_2020"),
    ),
    ("population huge 2010", cell("cities.csv", 0, "pop_2010_persons", "9e17"), ("memory", "pop")),
    ("GDP 2010 zero", cell("city_history_2020_boundaries.csv", 0, "gdp_2010", "0"), ("gdp_2010",)),
    ("unreachable city", _isolate("zhoushan"), ("reach", "zhoushan")),
    ("population text", cell("cities.csv", 3, "pop_2020_persons", "many"), ("pop_2020",)),
    ("duplicate city id", cell("cities.csv", 3, "id", "shanghai"), ("duplicate",)),
    (
        "age share above 100",
        cell("city_demography.csv", 3, "age_15_59_2020", "130"),
        ("age_15_59",),
    ),
    (
        "negative universities",
        cell("city_economy.csv", 3, "n_regular_heis", "-1"),
        ("n_regular_heis",),
    ),
    ("link to unknown city", cell("transport_links.csv", 0, "to_id", "atlantis"), ("to_id",)),
    (
        "negative birth rate",
        cell("vital_rates.csv", 0, "birth_rate_permille", "-3"),
        ("birth_rate",),
    ),
    (
        "china population text",
        cell("china_totals.csv", 0, "population_persons", "n/a"),
        ("population_persons",),
    ),
]


def data_case(change: Callable[[Path], None], words: tuple[str, ...]) -> Callable[[Path], Outcome]:
    """A case: ``yrdsim`` on a data folder with one defect."""

    def run(tmp: Path) -> Outcome:
        folder = data_copy(tmp, change)
        proc = _cli("yrdsim", [*SHORT, f"data_dir={folder}", f"hydra.run.dir={tmp}/run"], tmp)
        return classify(proc, words=words)

    return run


# ---------------------------------------------------------------------------------------------
# parameters and sweeps
# ---------------------------------------------------------------------------------------------

PARAM_CASES: list[tuple[str, list[str], tuple[str, ...]]] = [
    (
        "inverted high_skill_bounds",
        ["params.initial.high_skill_bounds=[0.9,0.1]"],
        ("high_skill_bounds",),
    ),
    (
        "boolean steady_state_amenity_share",
        ["params.migration.steady_state_amenity_share=true"],
        ("steady_state_amenity_share",),
    ),
    (
        "budgets overflow to inf",
        [
            "scenario=vouchers",
            "scenario.vouchers.budget_rmb_per_year_by_province.Shanghai=1e308",
            "scenario.vouchers.budget_rmb_per_year_by_province.Jiangsu=1e308",
        ],
        ("budget",),
    ),
    (
        "city budget overflow",
        [
            "scenario=vouchers",
            "+scenario.vouchers.budget_rmb_per_year_by_city.ningbo=1.7e308",
            "+scenario.vouchers.budget_rmb_per_year_by_city.hangzhou=1.7e308",
        ],
        ("budget",),
    ),
    (
        "calibration cannot reach its target",
        ["params.migration.reconsider_share=0.0001"],
        ("reconsider_share", "calibrat", "amenit"),
    ),
    ("negative seed", ["seed=-1"], ("seed",)),
    ("end before start", ["start_year=2020", "end_year=2015"], ("end_year",)),
    ("persons_per_agent 0", ["persons_per_agent=0"], ("persons_per_agent",)),
    ("persons_per_agent 1 needs too much memory", ["persons_per_agent=1"], ("memory",)),
    (
        "no road to an island",
        [
            "params.transport.excluded_links=[road_donghai_bridge,road_yongzhou_expwy]",
        ],
        ("reach", "zhoushan", "link"),
    ),
    ("persons_per_agent true", ["persons_per_agent=true"], ("persons_per_agent",)),
    ("seed 1.5", ["seed=1.5"], ("seed",)),
    ("subsidy nan", ["scenario=vouchers", "scenario.vouchers.subsidy_rate=nan"], ("subsidy_rate",)),
    (
        "cap inf",
        ["scenario=vouchers", "scenario.vouchers.cap_per_firm_rmb=inf"],
        ("cap_per_firm_rmb",),
    ),
    ("unknown key", ["sede=3"], ("sede",)),
    ("data_dir not a folder", ["data_dir=/nonexistent/x"], ("data_dir",)),
    ("data_dir a file", ["data_dir=/etc/hostname"], ("data_dir",)),
]


def param_case(argv: list[str], words: tuple[str, ...]) -> Callable[[Path], Outcome]:
    """A case: ``yrdsim`` with bad overrides."""

    def run(tmp: Path) -> Outcome:
        proc = _cli("yrdsim", [*SHORT, *argv, f"hydra.run.dir={tmp}/run"], tmp)
        return classify(proc, words=words)

    return run


def sweep_bad_combination(tmp: Path) -> Outcome:
    """Only one combination of two sweeps is wrong: refuse before the first run."""
    proc = _cli(
        "yrdsim",
        [
            "-m",
            *SHORT[1:],
            "start_year=2020,2022",
            "end_year=2022,2021",
            f"hydra.sweep.dir={tmp}/sweep",
        ],
        tmp,
    )
    ran = list((tmp / "sweep").glob("*/provenance.json")) if (tmp / "sweep").exists() else []
    outcome = classify(proc, words=("end_year",))
    if outcome.kind == "clear" and ran:
        return Outcome("silent", f"refused only after {len(ran)} runs: " + outcome.detail)
    return outcome


def sweep_bad_value(tmp: Path) -> Outcome:
    """A sweep with one bad value: refused before the first run."""
    proc = _cli("yrdsim", ["-m", *SHORT, "seed=0,-1", f"hydra.sweep.dir={tmp}/sweep"], tmp)
    return classify(proc, words=("seed",))


# ---------------------------------------------------------------------------------------------
# what is not ours: output folders and reused runs
# ---------------------------------------------------------------------------------------------


def _user_folder(tmp: Path) -> tuple[Path, dict[Path, bytes]]:
    folder = tmp / "docs"
    (folder / "figures").mkdir(parents=True)
    files = {
        folder / "figures" / "architecture.png": b"\x89PNG user figure",
        folder / "figures" / "poster.pdf": b"%PDF user",
        folder / "README.md": b"my notes\n",
        folder / "metrics.csv": b"my,own\n1,2\n",
    }
    for path, content in files.items():
        path.write_bytes(content)
    return folder, files


def _unchanged(files: dict[Path, bytes]) -> Callable[[], bool]:
    return lambda: all(p.is_file() and p.read_bytes() == c for p, c in files.items())


def foreign_run_dir(figures: bool) -> Callable[[Path], Outcome]:
    """A case: a run folder that holds the user's own files."""

    def run(tmp: Path) -> Outcome:
        folder, files = _user_folder(tmp)
        proc = _cli(
            "yrdsim",
            [*SHORT[:2], f"output.figures={str(figures).lower()}", f"hydra.run.dir={folder}"],
            tmp,
        )
        return classify(proc, kept=_unchanged(files), words=(str(folder),))

    return run


def _one_run_sweep(tmp: Path, extra: list[str] | None = None) -> tuple[Path, Path]:
    """A finished one-run sweep (``-m seed=0``) and its run folder."""
    sweep = tmp / "sweep"
    proc = _cli("yrdsim", ["-m", *SHORT, "seed=0", *(extra or []), f"hydra.sweep.dir={sweep}"], tmp)
    runs = [p.parent for p in sweep.glob("*/provenance.json")]
    if proc.returncode != 0 or len(runs) != 1:
        raise RuntimeError("the set-up sweep failed: " + _last_lines(proc.stderr, 3))
    return sweep, runs[0]


def _rerun_sweep(
    tmp: Path, sweep: Path, extra: list[str] | None = None
) -> subprocess.CompletedProcess:
    return _cli("yrdsim", ["-m", *SHORT, "seed=0", *(extra or []), f"hydra.sweep.dir={sweep}"], tmp)


def _reran(proc: subprocess.CompletedProcess) -> bool:
    return "skipping" not in (proc.stdout + proc.stderr)


def data_edit_resume(tmp: Path) -> Outcome:
    """A sweep re-run after the data were edited must not keep the stale results."""
    folder = data_copy(tmp, lambda f: None)
    sweep, _ = _one_run_sweep(tmp, [f"data_dir={folder}"])
    cell("cities.csv", 0, "pop_2020_persons", "30000000")(folder)
    proc = _rerun_sweep(tmp, sweep, [f"data_dir={folder}"])
    return classify(proc, ok=lambda: _reran(proc))


def _damaged_resume(damage: Callable[[Path], None]) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        sweep, run_dir = _one_run_sweep(tmp)
        damage(run_dir)
        proc = _rerun_sweep(tmp, sweep)

        def repaired() -> bool:
            try:
                frame = pd.read_csv(run_dir / "metrics.csv")
                cities = pd.read_csv(run_dir / "cities.csv")
            except Exception:
                return False
            return (
                _reran(proc)
                and len(frame) == 2
                and not frame.isna().all().any()
                and len(cities) == 82
            )

        return classify(proc, ok=repaired)

    return run


def _truncate(file: str) -> Callable[[Path], None]:
    def damage(run_dir: Path) -> None:
        path = run_dir / file
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[: max(1, len(lines) // 2)]))

    return damage


def _nan_in(file: str, column: str) -> Callable[[Path], None]:
    def damage(run_dir: Path) -> None:
        frame = pd.read_csv(run_dir / file)
        frame.loc[0, column] = float("nan")
        frame.to_csv(run_dir / file, index=False)

    return damage


def _drop(file: str, column: str) -> Callable[[Path], None]:
    def damage(run_dir: Path) -> None:
        frame = pd.read_csv(run_dir / file)
        frame.drop(columns=[column]).to_csv(run_dir / file, index=False)

    return damage


DAMAGES: list[tuple[str, Callable[[Path], None]]] = [
    ("metrics.csv missing", lambda d: (d / "metrics.csv").unlink()),
    ("cities.csv truncated", _truncate("cities.csv")),
    ("metrics.csv empty", lambda d: (d / "metrics.csv").write_text("")),
    ("metrics.csv unreadable bytes", lambda d: (d / "metrics.csv").write_bytes(b"\xff\xfe\x00")),
    ("NaN in metrics.population", _nan_in("metrics.csv", "population")),
    ("metrics.csv misses a column", _drop("metrics.csv", "population")),
    ("provenance.json is a list", lambda d: (d / "provenance.json").write_text("[1, 2]")),
    (
        "provenance.json complete is a string",
        lambda d: (d / "provenance.json").write_text('{"complete": "no"}'),
    ),
]


def _damaged_compare(damage: Callable[[Path], None]) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        sweep = tmp / "sweep"
        proc = _cli("yrdsim", ["-m", *SHORT, "seed=0,1", f"hydra.sweep.dir={sweep}"], tmp)
        runs = sorted(p.parent for p in sweep.glob("*/provenance.json"))
        if proc.returncode != 0 or len(runs) != 2:
            raise RuntimeError("the set-up sweep failed: " + _last_lines(proc.stderr, 3))
        damage(runs[0])
        proc = _cli("yrdsim-compare", [str(sweep), "--no-figures"], tmp)

        def listed() -> bool:
            table = sweep / "comparison" / "runs.csv"
            if not table.is_file():
                return False
            frame = pd.read_csv(table)
            used = frame[frame["status"] == "used"]
            return len(used) == 1 and runs[0].name in (proc.stdout + proc.stderr)

        return classify(proc, ok=listed)

    return run


# ---------------------------------------------------------------------------------------------
# file systems
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """Mount a tmpfs with ``options`` at ``path`` for the block (root only)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _no_partial(folder: Path) -> Callable[[], bool]:
    """No hidden temporary file, and no run folder marked complete."""

    def check() -> bool:
        if not folder.exists():
            return True
        return not list(folder.rglob("*.part"))

    return check


def fs_read_only(tmp: Path) -> Outcome:
    """A run into a read-only file system."""
    with tmpfs(tmp / "ro", "size=1m,ro") as mount:
        proc = _cli("yrdsim", [*SHORT, f"hydra.run.dir={mount}/run"], tmp)
        return classify(proc, words=(str(mount),))


def fs_disk_full(tmp: Path) -> Outcome:
    """A run onto a disk that fills up while the tables are written."""
    with tmpfs(tmp / "small", "size=96k") as mount:
        proc = _cli("yrdsim", [*SHORT, f"hydra.run.dir={mount}/run"], tmp)
        outcome = classify(proc, kept=_no_partial(mount), words=(str(mount),))
        if (mount / "run" / "provenance.json").exists() and outcome.kind == "clear":
            return Outcome("lost", "marked complete after a write failed")
        return outcome


def fs_sweep_disk_full(tmp: Path) -> Outcome:
    """A sweep onto a disk that fills up."""
    with tmpfs(tmp / "small", "size=96k") as mount:
        proc = _cli("yrdsim", ["-m", *SHORT, "seed=0", f"hydra.sweep.dir={mount}/sweep"], tmp)
        return classify(proc, kept=_no_partial(mount), words=(str(mount),))


def fs_file_too_large(tmp: Path) -> Outcome:
    """A run under a file size limit (``ulimit -f``)."""
    proc = _cli("yrdsim", [*SHORT, f"hydra.run.dir={tmp}/run"], tmp, prefix="ulimit -f 40;")
    return classify(proc, kept=_no_partial(tmp / "run"), words=(str(tmp),))


def fs_path_is_file(tmp: Path) -> Outcome:
    """``hydra.run.dir`` names a file."""
    (tmp / "afile").write_text("x")
    proc = _cli("yrdsim", [*SHORT, f"hydra.run.dir={tmp}/afile"], tmp)
    return classify(proc, kept=lambda: (tmp / "afile").read_text() == "x", words=("afile",))


def fs_parent_is_file(tmp: Path) -> Outcome:
    """``hydra.run.dir`` lies under a file."""
    (tmp / "afile").write_text("x")
    proc = _cli("yrdsim", [*SHORT, f"hydra.run.dir={tmp}/afile/run"], tmp)
    return classify(proc, kept=lambda: (tmp / "afile").read_text() == "x", words=("afile",))


def fs_name_too_long(tmp: Path) -> Outcome:
    """``hydra.run.dir`` with a name longer than the file system allows."""
    proc = _cli("yrdsim", [*SHORT, f"hydra.run.dir={tmp}/{'x' * 300}"], tmp)
    return classify(proc, words=("long",))


def fs_sweep_read_only(tmp: Path) -> Outcome:
    """A sweep into a read-only file system."""
    with tmpfs(tmp / "ro", "size=1m,ro") as mount:
        proc = _cli("yrdsim", ["-m", *SHORT, "seed=0,1", f"hydra.sweep.dir={mount}/s"], tmp)
        return classify(proc, words=(str(mount),))


def compare_out_read_only(tmp: Path) -> Outcome:
    """``yrdsim-compare --out`` on a read-only file system."""
    sweep = tmp / "sweep"
    proc = _cli("yrdsim", ["-m", *SHORT, "seed=0", f"hydra.sweep.dir={sweep}"], tmp)
    with tmpfs(tmp / "ro", "size=1m,ro") as mount:
        proc = _cli("yrdsim-compare", [str(sweep), "--no-figures", "--out", f"{mount}/c"], tmp)
        return classify(proc, words=(str(mount),))


# ---------------------------------------------------------------------------------------------
# analysis commands
# ---------------------------------------------------------------------------------------------

ANALYSIS_CASES: list[tuple[str, str, list[str], tuple[str, ...]]] = [
    ("validate negative seed", "yrdsim-validate", ["OUT", "--seeds", "-1"], ("seed",)),
    ("validate bad override", "yrdsim-validate", ["OUT", "--override", "sede=3"], ("sede",)),
    (
        "validate bad override value",
        "yrdsim-validate",
        ["OUT", "--override", "persons_per_agent=0"],
        ("persons_per_agent",),
    ),
    (
        "validate override not key=value",
        "yrdsim-validate",
        ["OUT", "--override", "=="],
        ("override",),
    ),
    ("validate out is a file", "yrdsim-validate", ["FILE", "--seeds", "0"], ("FILE",)),
    (
        "calibrate persons-per-agent 0",
        "yrdsim-calibrate",
        ["--out", "OUT", "--persons-per-agent", "0"],
        ("persons",),
    ),
    (
        "calibrate negative tolerance",
        "yrdsim-calibrate",
        ["--out", "OUT", "--tolerance", "-1"],
        ("tolerance",),
    ),
    ("calibrate grid out of range", "yrdsim-calibrate", ["--out", "OUT", "--grid", "7"], ("grid",)),
    (
        "calibrate moment-years 0",
        "yrdsim-calibrate",
        ["--out", "OUT", "--moment-years", "0"],
        ("moment",),
    ),
    ("calibrate negative seed", "yrdsim-calibrate", ["--out", "OUT", "--seeds", "-2"], ("seed",)),
    ("calibrate out is a file", "yrdsim-calibrate", ["--out", "FILE"], ("FILE",)),
    (
        "sensitivity trajectories 0",
        "yrdsim-sensitivity",
        ["OUT", "--trajectories", "0"],
        ("trajectories",),
    ),
    ("sensitivity levels 1", "yrdsim-sensitivity", ["OUT", "--levels", "1"], ("levels",)),
    ("sensitivity sobol-n 3", "yrdsim-sensitivity", ["OUT", "--sobol-n", "3"], ("sobol",)),
    ("sensitivity n-jobs 0", "yrdsim-sensitivity", ["OUT", "--n-jobs", "0"], ("n-jobs",)),
    ("sensitivity top 0", "yrdsim-sensitivity", ["OUT", "--top", "0"], ("top",)),
    ("sensitivity negative seed", "yrdsim-sensitivity", ["OUT", "--seed", "-1"], ("seed",)),
    ("sensitivity out is a file", "yrdsim-sensitivity", ["FILE"], ("FILE",)),
    ("compare not a folder", "yrdsim-compare", ["/nonexistent"], ("nonexistent",)),
    ("compare a folder without runs", "yrdsim-compare", ["OUT"], ("run",)),
    (
        "compare baseline '='",
        "yrdsim-compare",
        ["SWEEP", "--baseline", "=", "--no-figures"],
        ("baseline",),
    ),
    (
        "compare unknown group-by key",
        "yrdsim-compare",
        ["SWEEP", "--group-by", "nonsense", "--no-figures"],
        ("nonsense",),
    ),
    (
        "compare out is a file",
        "yrdsim-compare",
        ["SWEEP", "--out", "FILE", "--no-figures"],
        ("FILE",),
    ),
]


def analysis_case(
    command: str, args: list[str], words: tuple[str, ...]
) -> Callable[[Path], Outcome]:
    """A case: an analysis command with a bad argument."""

    def run(tmp: Path) -> Outcome:
        (tmp / "FILE").write_text("user file\n")
        if "SWEEP" in args:
            sweep = tmp / "SWEEP"
            _cli("yrdsim", ["-m", *SHORT, "seed=0,1", f"hydra.sweep.dir={sweep}"], tmp)
        (tmp / "OUT").mkdir(exist_ok=True)
        real = [str(tmp / a) if a in ("OUT", "FILE", "SWEEP") else a for a in args]
        try:
            proc = _cli(command, real, tmp, timeout=ANALYSIS_TIMEOUT)
        except subprocess.TimeoutExpired:
            return Outcome("silent", f"accepted: still running after {ANALYSIS_TIMEOUT} s")
        kept = lambda: (tmp / "FILE").read_text() == "user file\n"  # noqa: E731
        return classify(proc, kept=kept, words=words)

    return run


# ---------------------------------------------------------------------------------------------
# the Python API
# ---------------------------------------------------------------------------------------------


def api(call: Callable[[], object], words: tuple[str, ...]) -> Callable[[Path], Outcome]:
    """A case: a call of the Python API with a bad argument."""

    def run(tmp: Path) -> Outcome:
        import sim

        try:
            result = call()
        except (sim.ConfigError, sim.DataError, ValueError, TypeError) as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            origin = frames[-1].filename if frames else ""
            inside = str(ROOT) in origin or "site-packages" not in origin
            message = str(exc).splitlines()[0] if str(exc) else ""
            if not inside or not message:
                return Outcome("traceback", f"{type(exc).__name__} from {origin}: {message}")
            if not any(w.lower() in str(exc).lower() for w in words):
                # raised deep inside (numpy, Mesa, a built-in) in words that do not name the
                # argument: as good as a traceback to the user
                return Outcome(
                    "traceback", f"{type(exc).__name__} (names none of {words}): {message[:200]}"
                )
            return Outcome("clear", f"{type(exc).__name__}: {message[:200]}")
        except Exception as exc:
            return Outcome("traceback", f"{type(exc).__name__}: {str(exc)[:200]}")
        return Outcome("silent", f"returned {type(result).__name__}")

    return run


def _api_cases() -> list[tuple[str, Callable[[], object], tuple[str, ...]]]:
    import sim

    def base() -> sim.SimConfig:
        return sim.load_config(SHORT)

    def copy(**update: object) -> Callable[[], object]:
        return lambda: sim.simulate(base().model_copy(update=update))

    def params_copy(section: str, **update: object) -> Callable[[], object]:
        def call() -> object:
            config = base()
            part = getattr(config.params, section).model_copy(update=update)
            params = config.params.model_copy(update={section: part})
            return sim.simulate(config.model_copy(update={"params": params}))

        return call

    return [
        ("simulate(dict)", lambda: sim.simulate(base().model_dump()), ("SimConfig",)),
        ("simulate(None)", lambda: sim.simulate(None), ("SimConfig",)),
        ("simulate('config.yaml')", lambda: sim.simulate("config.yaml"), ("SimConfig",)),
        ("model_copy end before start", copy(end_year=2015), ("end_year",)),
        ("model_copy persons_per_agent 0", copy(persons_per_agent=0), ("persons_per_agent",)),
        ("model_copy persons_per_agent -5", copy(persons_per_agent=-5), ("persons_per_agent",)),
        ("model_copy seed text", copy(seed="three"), ("seed",)),
        ("model_copy start_year 1990", copy(start_year=1990), ("start_year",)),
        (
            "model_copy NaN reconsider_share",
            params_copy("migration", reconsider_share=float("nan")),
            ("reconsider_share",),
        ),
        (
            "model_copy NaN tfp_growth",
            params_copy("labour", tfp_growth=float("nan")),
            ("tfp_growth",),
        ),
        (
            "model_copy inverted bounds",
            params_copy("initial", high_skill_bounds=(0.9, 0.1)),
            ("high_skill_bounds",),
        ),
        ("simulate(data='folder')", lambda: sim.simulate(base(), data="sim/data"), ("data",)),
        ("simulate(progress=3)", lambda: sim.simulate(base(), progress=3), ("progress",)),
        ("validate_config(None)", lambda: sim.validate_config(None), ("mapping", "dict")),
        ("validate_config([])", lambda: sim.validate_config([]), ("mapping", "dict")),
        ("load_config('seed=1')", lambda: sim.load_config("seed=1"), ("list",)),
        ("load_region_data(3)", lambda: sim.load_region_data(3), ("data_dir",)),
        (
            "SimConfig.model_construct()",
            lambda: sim.simulate(sim.SimConfig.model_construct()),
            ("SimConfig", "missing"),
        ),
    ]


# ---------------------------------------------------------------------------------------------


def all_cases() -> list[Case]:
    """Every case, by group."""
    cases = [Case(n, "data", data_case(c, w)) for n, c, w in DATA_CASES]
    cases += [Case(n, "parameters", param_case(a, w)) for n, a, w in PARAM_CASES]
    cases += [
        Case("one bad combination of two sweeps", "sweeps", sweep_bad_combination),
        Case("one bad value in a sweep", "sweeps", sweep_bad_value),
        Case("run dir not ours, figures off", "not ours", foreign_run_dir(False)),
        Case("run dir not ours, figures on", "not ours", foreign_run_dir(True)),
        Case("sweep re-run after the data were edited", "reuse", data_edit_resume),
    ]
    cases += [Case(f"resume: {n}", "reuse", _damaged_resume(d)) for n, d in DAMAGES]
    cases += [Case(f"compare: {n}", "reuse", _damaged_compare(d)) for n, d in DAMAGES]
    if os.geteuid() == 0:
        cases += [
            Case("read-only run dir", "filesystem", fs_read_only),
            Case("read-only sweep dir", "filesystem", fs_sweep_read_only),
            Case("disk full", "filesystem", fs_disk_full),
            Case("disk full in a sweep", "filesystem", fs_sweep_disk_full),
            Case("compare --out read-only", "filesystem", compare_out_read_only),
        ]
    cases += [
        Case("file too large (ulimit -f)", "filesystem", fs_file_too_large),
        Case("run dir is a file", "filesystem", fs_path_is_file),
        Case("run dir under a file", "filesystem", fs_parent_is_file),
        Case("name too long", "filesystem", fs_name_too_long),
    ]
    cases += [Case(n, "analysis", analysis_case(c, a, w)) for n, c, a, w in ANALYSIS_CASES]
    cases += [Case(n, "api", api(c, w)) for n, c, w in _api_cases()]
    return cases


def main() -> int:
    """Run the cases, print one line each and the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name holds this text")
    parser.add_argument("--group", default="", help="run the cases of this group only")
    parser.add_argument("--json", type=Path, default=None, help="write the outcomes here")
    args = parser.parse_args()
    os.environ.setdefault("HYDRA_FULL_ERROR", "0")
    counts: dict[str, int] = {}
    rows = []
    started = time.perf_counter()
    for case in all_cases():
        if (args.only and args.only not in case.name) or (args.group and args.group != case.group):
            continue
        with tempfile.TemporaryDirectory(prefix="yrdsim-review-") as name:
            try:
                outcome = case.run(Path(name))
            except Exception as exc:
                outcome = Outcome("review-error", f"{type(exc).__name__}: {exc}"[:300])
        counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        rows.append({"case": case.name, "group": case.group, **outcome.__dict__})
        print(f"{outcome.kind:10s} [{case.group}] {case.name}: {outcome.detail}", flush=True)
    total = len(rows)
    print(
        f"\n{total} cases in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "cases": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
