"""Faults around run folders (issue 16): never delete or trust what is not ours.

* a folder holding files yrdsim did not write is refused, and only figures yrdsim wrote are
  ever removed (``hydra.run.dir=docs`` with ``output.figures=false`` used to delete
  ``docs/figures/*.png``);
* resume and comparison check what they reuse: tables missing, truncated, unreadable, with NaN
  or without a column, a ``provenance.json`` that is not an object, data edited since;
* a killed write's hidden ``.part`` file never stays in a folder marked complete;
* a full disk, a read-only folder, a file size limit, a name too long or a file in the way give
  one line naming the path and the problem, and nothing half-written.

File-system faults use a small tmpfs (root only; skipped where ``mount`` is not allowed).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.analysis import compare
from sim.core.data import BUNDLED_DATA_DIR
from sim.runs import folders
from sim.runs.atomic import OutputError, write_atomic, write_text_atomic
from sim.runs.output import write_run

SHORT = ("end_year=2021", "persons_per_agent=20000", "output.figures=false")


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at ``path`` for the block; the test is skipped where mounting fails."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.part"))


# --- what is not ours ------------------------------------------------------------------------


def test_a_folder_of_others_is_refused_and_left_as_it_was(run, tmp_path):
    docs = tmp_path / "docs"
    (docs / "figures").mkdir(parents=True)
    theirs = {
        docs / "figures" / "architecture.png": b"png",
        docs / "figures" / "poster.pdf": b"pdf",
        docs / "notes.md": b"notes",
    }
    for path, content in theirs.items():
        path.write_bytes(content)
    with pytest.raises(OutputError) as error:
        write_run(run(*SHORT), docs)  # figures=None: "remove the earlier figures"
    assert str(error.value).startswith(f"{docs}: holds files yrdsim did not write")
    assert "notes.md" in str(error.value)
    assert all(path.read_bytes() == content for path, content in theirs.items())
    assert sorted(p.name for p in docs.iterdir()) == ["figures", "notes.md"]


def test_a_csv_of_the_same_name_but_not_ours_is_not_overwritten(run, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "metrics.csv").write_text("my,own\n1,2\n")
    with pytest.raises(OutputError, match=r"metrics\.csv"):
        write_run(run(*SHORT), out)
    assert (out / "metrics.csv").read_text() == "my,own\n1,2\n"


def test_an_empty_folder_and_one_hydra_just_made_are_ours(run, tmp_path):
    (tmp_path / "a").mkdir()
    write_run(run(*SHORT), tmp_path / "a")
    b = tmp_path / "b"
    (b / ".hydra").mkdir(parents=True)
    (b / "yrdsim.log").write_text("")
    write_run(run(*SHORT), b)
    assert folders.is_complete(tmp_path / "a") and folders.is_complete(b)


def test_only_figures_of_the_earlier_run_are_removed(run, tmp_path):
    out = tmp_path / "run"
    figures = out / "figures"

    def draw(folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        return [write_text_atomic(folder / "population.png", "ours")]

    write_run(run(*SHORT), out, figures=draw)
    added = figures / "my_annotation.png"
    added.write_text("the user's, added after the run")
    os.utime(added, ns=(10**19, 10**19))  # certainly newer than the run's provenance
    write_run(run(*SHORT), out)  # without figures
    assert not (figures / "population.png").exists()
    assert added.read_text() == "the user's, added after the run"


def test_a_killed_writes_part_files_are_cleared_before_the_folder_is_complete(run, tmp_path):
    """A SIGKILL while drawing leaves .NAME.<hex>.part; the next run must not keep it."""
    out = tmp_path / "run"
    write_run(run(*SHORT), out)
    (out / "figures").mkdir()
    left = [
        out / "figures" / ".population.png.0123456789abcdef.part",
        out / ".metrics.csv.fedcba9876543210.part",
    ]
    for path in left:
        path.write_bytes(b"half")
    (out / "provenance.json").unlink()  # the killed run never finished
    (out / ".my.part").write_text("not ours: not yrdsim's naming")
    write_run(run(*SHORT), out)
    assert folders.is_complete(out)
    assert not any(path.exists() for path in left)
    assert (out / ".my.part").read_text() == "not ours: not yrdsim's naming"


# --- what is reused --------------------------------------------------------------------------


def _truncate(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))


def _nan(path: Path, column: str) -> None:
    frame = pd.read_csv(path)
    frame.loc[0, column] = float("nan")
    frame.to_csv(path, index=False)


DAMAGES = [
    ("table missing", lambda d: (d / "metrics.csv").unlink(), "metrics.csv is missing"),
    (
        "table truncated",
        lambda d: _truncate(d / "cities.csv"),
        "cities.csv has 40 rows, 82 were written",
    ),
    ("flows truncated", lambda d: _truncate(d / "flows.csv"), "flows.csv has"),
    ("table empty", lambda d: (d / "metrics.csv").write_text(""), "metrics.csv cannot be read"),
    (
        "table unreadable",
        lambda d: (d / "vouchers.csv").write_bytes(b"\xff\xfe\x00\x01"),
        "vouchers.csv cannot be read",
    ),
    (
        "NaN in population",
        lambda d: _nan(d / "metrics.csv", "population"),
        "metrics.csv: column 'population' holds empty or NaN",
    ),
    (
        "column missing",
        lambda d: (
            pd.read_csv(d / "metrics.csv")
            .drop(columns=["gdp"])
            .to_csv(d / "metrics.csv", index=False)
        ),
        "metrics.csv misses column(s) gdp",
    ),
    (
        "provenance a list",
        lambda d: (d / "provenance.json").write_text("[1, 2]"),
        "provenance.json is not a readable JSON object",
    ),
    (
        "provenance not complete",
        lambda d: (d / "provenance.json").write_text('{"complete": "yes"}'),
        "does not mark the run complete",
    ),
    ("provenance missing", lambda d: (d / "provenance.json").unlink(), "no provenance.json"),
]


@pytest.mark.parametrize(("name", "damage", "words"), DAMAGES, ids=[d[0] for d in DAMAGES])
def test_a_damaged_run_is_not_complete_and_is_run_again(name, damage, words, run, tmp_path):
    result = run(*SHORT)
    out = tmp_path / "run"
    write_run(result, out)
    assert folders.run_problem(out) is None
    assert folders.already_done(out, result.config.config_hash())
    damage(out)
    assert words in (folders.run_problem(out) or ""), folders.run_problem(out)
    assert not folders.is_complete(out)
    assert not folders.already_done(out, result.config.config_hash())


def test_a_run_made_from_edited_data_is_run_again(region, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA_DIR, data_dir)
    config = sim.load_config([*SHORT, f"data_dir={data_dir}"])
    out = tmp_path / "run"
    write_run(sim.simulate(config, data=sim.load_region_data(data_dir)), out)
    assert folders.already_done(out, config.config_hash())
    frame = pd.read_csv(data_dir / "cities.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "pop_2020_persons"] = "30000000"
    frame.to_csv(data_dir / "cities.csv", index=False)
    assert not folders.already_done(out, config.config_hash())  # same path, other content


def test_a_run_without_a_data_hash_is_run_again(run, tmp_path):
    """Runs written before the data hash was recorded cannot prove their data are current."""
    result = run(*SHORT)
    out = tmp_path / "run"
    write_run(result, out)
    record = json.loads((out / "provenance.json").read_text())
    del record["data_hash"]
    (out / "provenance.json").write_text(json.dumps(record))
    assert folders.is_complete(out)
    assert not folders.already_done(out, result.config.config_hash())


def _sweep(run, root: Path) -> list[Path]:
    made = []
    for seed in (0, 1):
        out = root / f"baseline_seed{seed}"
        result = run(*SHORT, f"seed={seed}")
        write_run(result, out, extra_provenance={"overrides": [*SHORT, f"seed={seed}"]})
        made.append(out)
    return made


@pytest.mark.parametrize(("name", "damage", "words"), DAMAGES, ids=[d[0] for d in DAMAGES])
def test_the_comparison_lists_a_damaged_run_instead_of_using_it(name, damage, words, run, tmp_path):
    first, second = _sweep(run, tmp_path)
    damage(first)
    data = compare.load_sweep(tmp_path)
    assert [r.path for r in data.used] == [second]
    left_out = [r for r in data.runs if r.path == first]
    assert len(left_out) == 1 and left_out[0].status == compare.INCOMPLETE
    assert words in left_out[0].error
    assert set(data.metrics["seed"]) == {1}


def test_the_comparison_command_names_the_damaged_run(run, tmp_path, capsys):
    from sim.cli.compare import main

    first, _ = _sweep(run, tmp_path)
    _truncate(first / "cities.csv")
    assert main([str(tmp_path), "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert f"incomplete run {first}: cities.csv has 40 rows, 82 were written" in err
    runs = pd.read_csv(tmp_path / "comparison" / "runs.csv")
    assert sorted(runs["status"]) == ["incomplete", "used"]


# --- file systems ----------------------------------------------------------------------------


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path):
    with tmpfs(tmp_path / "small", "size=64k") as mount:
        (mount / "table.csv").write_text("kept\n")
        with pytest.raises(OutputError) as error:
            write_text_atomic(mount / "table.csv", "x" * 200_000)
        assert str(error.value) == f"{mount / 'table.csv'}: cannot write (the disk is full)"
        assert (mount / "table.csv").read_text() == "kept\n"  # the earlier file is kept
        assert _parts(mount) == []


def test_a_full_disk_during_a_run_leaves_it_incomplete(run, tmp_path):
    with tmpfs(tmp_path / "small", "size=96k") as mount:
        with pytest.raises(OutputError, match="cannot write \\(the disk is full\\)"):
            write_run(run(*SHORT), mount / "run")
        assert not (mount / "run" / "provenance.json").exists()
        assert _parts(mount) == []


def test_a_read_only_folder_is_one_line(tmp_path):
    with tmpfs(tmp_path / "ro", "size=1m,ro") as mount:
        with pytest.raises(OutputError, match="the file system is read-only"):
            write_text_atomic(mount / "x.json", "{}")
        with pytest.raises(OutputError, match=f"{mount}: cannot write .*read-only"):
            folders.check_output_folder(mount / "run", run=True)
        assert folders.write_failure(mount, RuntimeError("boom"), []) is None  # best effort


def test_a_file_size_limit_is_one_line(tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OutputError, match="the file is too large"):
            write_text_atomic(tmp_path / "big.csv", "x" * 100_000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("relative", "words"),
    [
        ("afile", "afile: cannot write (it is a file, not a folder)"),
        ("afile/run", "afile: cannot write (it is a file, not a folder)"),
        ("x" * 300, "is too long: 300 bytes, at most 255"),
    ],
)
def test_output_folders_are_checked_before_anything_is_written(relative, words, tmp_path):
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(OutputError) as error:
        folders.check_output_folder(tmp_path / relative, run=True)
    assert words in str(error.value)
    assert "\n" not in str(error.value)
    assert (tmp_path / "afile").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # the probe is gone


def test_a_write_into_a_file_path_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(OutputError, match=r"afile: cannot write \(a file is in the way\)"):
        write_atomic(tmp_path / "afile" / "x.csv", lambda p: p.write_text("x"))
    assert (tmp_path / "afile").read_text() == "mine"


def _yrdsim(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli.run", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )


def test_cli_a_full_disk_is_one_line_exit_2_no_traceback(tmp_path):
    with tmpfs(tmp_path / "small", "size=96k") as mount:
        done = _yrdsim(*SHORT, f"hydra.run.dir={mount}/run", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "HYDRA_FULL_ERROR" not in done.stderr
        assert f"{mount}/run/" in done.stderr and "(the disk is full)" in done.stderr
        assert not (mount / "run" / "provenance.json").exists()
        assert _parts(mount) == []


@pytest.mark.slow
def test_cli_a_sweep_resumed_after_damage_or_a_data_edit_runs_again(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA_DIR, data_dir)
    argv = ["-m", *SHORT, "seed=0", f"data_dir={data_dir}", f"hydra.sweep.dir={tmp_path}/s"]
    assert _yrdsim(*argv, cwd=tmp_path).returncode == 0
    again = _yrdsim(*argv, cwd=tmp_path)
    assert "1 skipped" in again.stderr + again.stdout
    (run_dir,) = [p.parent for p in (tmp_path / "s").glob("*/provenance.json")]
    _truncate(run_dir / "cities.csv")
    repaired = _yrdsim(*argv, cwd=tmp_path)
    assert "0 skipped" in repaired.stderr + repaired.stdout
    assert folders.is_complete(run_dir)
    frame = pd.read_csv(data_dir / "cities.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "pop_2020_persons"] = "30000000"
    frame.to_csv(data_dir / "cities.csv", index=False)
    edited = _yrdsim(*argv, cwd=tmp_path)
    assert "0 skipped" in edited.stderr + edited.stdout
    population = pd.read_csv(run_dir / "cities.csv").query("year == 2020")["population"].iloc[0]
    assert population == pytest.approx(30_000_000, rel=0.01)
