"""Every kind of figure and table the tool writes carries config hash(es), seed(s), version, commit.

Tables of runs and comparisons carry them in ``datapackage.json`` (tests/runs); the analysis
commands' tables in the sidecar ``tables_provenance.json``, checked here with their SHA-256.

Each test writes figures the way the tool does (the run folder, the commands) and opens every
PNG and PDF it wrote: the PNG's ``Description`` text chunk (the stamp as JSON) and ``Comment``,
and the PDF's ``Subject`` and ``Keywords`` entries of its document information.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

import sim
from sim.cli import sensitivity as sensitivity_cli
from sim.cli import validate as validate_cli
from sim.figures.run import run_figure_writer
from sim.runs.datapackage import analysis_stamp, figure_stamp, write_tables_provenance
from sim.runs.files import TABLES_PROVENANCE_FILE
from sim.runs.output import write_run
from tests.conftest import SHORT

#: Each field and the stamp keys that may hold it (plural: figures of several runs).
FIELDS = {
    "config hash": ("config_hash", "config_hashes"),
    "seed": ("seed", "seeds"),
    "version": ("version",),
    "commit": ("git_commit",),
}


def _present(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_present(v) for v in value)
    return value is not None and str(value).strip() != ""


def _pdf_info(pdf: Path, key: str) -> str:
    """A document-information entry of a PDF written by matplotlib (a literal string)."""
    found = re.search(rb"/" + key.encode() + rb" \((.*?)(?<!\\)\)", pdf.read_bytes(), re.S)
    assert found, f"{pdf.name}: no /{key}"
    return re.sub(rb"\\(.)", rb"\1", found.group(1)).decode("latin-1")


def assert_stamped(paths: list[Path]) -> set[str]:
    """Assert every PNG and PDF among ``paths`` names the four fields; return the stems seen."""
    stems = set()
    for path in paths:
        if path.suffix == ".png":
            text = Image.open(path).text
            stamp, comment = json.loads(text["Description"]), text["Comment"]
        elif path.suffix == ".pdf":
            stamp = json.loads(_pdf_info(path, "Subject"))
            comment = _pdf_info(path, "Keywords")
        else:
            continue
        stems.add(path.stem)
        for field, keys in FIELDS.items():
            held = [key for key in keys if key in stamp]
            assert held and all(_present(stamp[key]) for key in held), (path.name, field, stamp)
            assert any(f"{key}=" in comment for key in held), (path.name, field, comment)
    return stems


def assert_tables_provenance(folder: Path, names: set[str]) -> dict:
    """Assert ``folder``'s sidecar names the four fields and lists ``names`` with their hashes."""
    record = json.loads((folder / TABLES_PROVENANCE_FILE).read_text(encoding="utf-8"))
    for field, keys in FIELDS.items():
        held = [key for key in keys if key in record]
        assert held and all(_present(record[key]) for key in held), (folder, field, record)
    listed = record["tables"]
    assert names <= listed.keys(), (names, sorted(listed))
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    return record


def test_the_tables_sidecar_accumulates_under_one_stamp_and_restarts_under_another(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("y\n2\n")
    stamp = analysis_stamp(["h"], [0], sample_seed=3)
    write_tables_provenance(tmp_path, stamp, [tmp_path / "a.csv"])
    write_tables_provenance(tmp_path, stamp, [tmp_path / "b.csv"])
    record = assert_tables_provenance(tmp_path, {"a.csv", "b.csv"})
    assert record["config_hash"] == "h" and record["seed"] == 0 and record["sample_seed"] == 3
    (tmp_path / "a.csv").write_text("x\n5\n")  # rewritten: its digest follows
    write_tables_provenance(tmp_path, stamp, [tmp_path / "a.csv"])
    assert_tables_provenance(tmp_path, {"a.csv", "b.csv"})
    write_tables_provenance(tmp_path, analysis_stamp(["other"], [1]), [tmp_path / "b.csv"])
    record = assert_tables_provenance(tmp_path, {"b.csv"})
    assert list(record["tables"]) == ["b.csv"] and record["config_hash"] == "other"
    (tmp_path / "b.csv").write_text("changed\n")  # a table changed after it was stamped
    with pytest.raises(AssertionError):
        assert_tables_provenance(tmp_path, {"b.csv"})


def test_a_runs_figures_carry_its_config_hash_seed_version_and_commit(run, region, tmp_path):
    result = run(*SHORT)
    written = write_run(result, tmp_path, figures=run_figure_writer(result, region))
    figures = [p for p in written if p.parent.name == "figures"]
    assert len(figures) == 6
    assert_stamped(figures)
    stamp = json.loads(Image.open(figures[0]).text["Description"])
    assert stamp["config_hash"] == result.config.config_hash()
    assert stamp["seed"] == result.config.seed


def test_analysis_stamps_name_one_run_like_a_run_and_several_like_a_comparison():
    assert analysis_stamp(["a"], [3], sample_seed=1) == {
        "package": "yrdsim",
        "config_hash": "a",
        "seed": 3,
        "sample_seed": 1,
    }
    many = analysis_stamp(["b", "a", "b"], [2, 0])
    assert many["config_hashes"] == ["a", "b"] and many["seeds"] == [0, 2]
    with pytest.raises(ValueError, match="config hash and one seed"):
        analysis_stamp([], [0])


def test_without_a_stamp_the_check_fails(tmp_path):
    # The check above is not vacuous: a figure drawn outside the tool's writers lacks them.
    from sim.figures.sensitivity import plot_indices

    paths = plot_indices(_morris(), None, tmp_path / "s.png")
    with pytest.raises(AssertionError):
        assert_stamped(paths)
    with figure_stamp(analysis_stamp(["h"], [0])):
        assert assert_stamped(plot_indices(_morris(), None, tmp_path / "t.png")) == {"t"}


def _morris() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": "theil_gdppc_2035",
            "factor": ["migration.trend_decay", "hukou_barrier_reduction"],
            "mu_star": [0.2, 0.1],
            "mu_star_conf": [0.02, 0.01],
            "mu_star_relative": [2.0, 1.0],
        }
    )


def test_the_sensitivity_commands_figure_carries_the_base_config_and_seeds(
    tmp_path, monkeypatch
):
    # The Morris runs (minutes) are replaced by indices of the same form; the command's own
    # writing of the figure is what is tested.
    monkeypatch.setattr(sensitivity_cli, "morris", lambda *a, **k: (_morris(), _morris()))
    out = tmp_path / "sens"
    assert sensitivity_cli.main([str(out), "--skip-sobol", "--seed", "5", "--n-jobs", "1"]) == 0
    paths = sorted(out.glob("sensitivity_indices.*"))
    assert assert_stamped(paths) == {"sensitivity_indices"}
    stamp = json.loads(Image.open(out / "sensitivity_indices.png").text["Description"])
    base = sim.load_config(list(sensitivity_cli.BASE_OVERRIDES))
    assert stamp["config_hash"] == base.config_hash()
    assert stamp["seed"] == base.seed and stamp["sample_seed"] == 5
    record = assert_tables_provenance(out, {"morris_runs.csv", "morris_indices.csv"})
    assert {k: record[k] for k in ("config_hash", "seed", "sample_seed")} == {
        k: stamp[k] for k in ("config_hash", "seed", "sample_seed")
    }


def test_the_validation_commands_figures_carry_the_hindcasts_configs_and_seeds(tmp_path):
    out = tmp_path / "val"
    args = [str(out), "--seeds", "0", "1", "--override", "persons_per_agent=20000"]
    assert validate_cli.main(args) == 0
    paths = sorted(out.glob("*.p[nd][gf]"))
    stems = assert_stamped(paths)
    assert len(stems) == 4, stems
    stamp = json.loads(Image.open(next(out.glob("*.png"))).text["Description"])
    assert stamp["seeds"] == [0, 1] and len(stamp["config_hashes"]) == 2
    record = assert_tables_provenance(out, {"validation.json", "validation_cities.csv"})
    assert record["seeds"] == [0, 1] and record["config_hashes"] == stamp["config_hashes"]
