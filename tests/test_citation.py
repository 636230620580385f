"""Citation metadata: CITATION.cff is valid CFF 1.2.0 and agrees with the package.

The schema in tests/data/cff_schema_1.2.0.json is an unmodified copy of
https://github.com/citation-file-format/citation-file-format/blob/1.2.0/schema.json
(tag 1.2.0, commit 396f738fb025b1d8acdb02a56ffc923f95dc8999; the same file is unchanged
at the repository's main branch as of 2026-01-20), kept here so the test runs offline.
"""

import hashlib
import json
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CITATION = ROOT / "CITATION.cff"
LICENSE = ROOT / "LICENSE"
PYPROJECT = ROOT / "pyproject.toml"
SCHEMA = Path(__file__).resolve().parent / "data" / "cff_schema_1.2.0.json"
SCHEMA_SHA256 = "0b8d22140da702d766df318dcff3a91af2f39521298dcf36d76315fd99cc169b"


class _CffLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps timestamps as strings.

    The CFF schema's ``date`` is a string; its own note to tool implementers says YAML
    dates must be cast to strings before validating.
    """


_CffLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def load_cff(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=_CffLoader)


def cff_errors(cff: dict) -> list[str]:
    """Every way ``cff`` breaks the CFF 1.2.0 schema, one line each (empty when valid)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(cff), key=lambda e: list(map(str, e.path)))
    ]


def test_schema_copy_is_unmodified():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_citation_is_valid_cff_1_2_0():
    cff = load_cff(CITATION)
    assert cff["cff-version"] == "1.2.0"
    assert cff_errors(cff) == []


def test_citation_version_matches_pyproject():
    cff = load_cff(CITATION)
    with PYPROJECT.open("rb") as f:
        project = tomllib.load(f)["project"]
    assert str(cff["version"]) == project["version"], (
        f"CITATION.cff says version {cff['version']!r}, pyproject.toml says {project['version']!r}"
    )


def test_citation_license_matches_pyproject():
    cff = load_cff(CITATION)
    with PYPROJECT.open("rb") as f:
        project = tomllib.load(f)["project"]
    assert cff["license"] == project["license"]["text"] == "MIT"


def test_license_file_is_mit():
    assert LICENSE.is_file()
    text = LICENSE.read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The yrdsim developers" in text
