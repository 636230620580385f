"""``datapackage.json``: a Frictionless Data Package describing the tables of a folder.

Every table a run (or a comparison) writes is one *resource*: its file(s), format, a
description, and a Table Schema with each field's name, type, unit and description. The package
also carries the provenance the tables share (config hash, seed, version, commit), so it is the
tables' sidecar: any Frictionless tool (``frictionless validate datapackage.json``), R's
``frictionless`` or a plain JSON reader can open the folder without reading yrdsim's code.

See https://specs.frictionlessdata.io/data-package/ and .../table-schema/.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.atomic import write_text_atomic
from sim.runs.files import DATAPACKAGE_FILE

#: Keys of a provenance record that stamp every table (no timing: a rerun gets the same stamp).
STAMP_KEYS = ("package", "version", "git_commit", "scenario", "seed", "config_hash")

#: The stamp of the tables the figures being drawn show (see :func:`figure_stamp`).
_FIGURE_STAMP: ContextVar[dict[str, Any] | None] = ContextVar("yrdsim_figure_stamp", default=None)

_MEDIA_TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet"}


def provenance_stamp(record: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a provenance record that every table and figure carries.

    Args:
        record: A ``provenance.json`` record (:func:`sim.runs.provenance.provenance`).

    Returns:
        ``package``, ``version``, ``git_commit``, ``scenario``, ``seed`` and ``config_hash``
        (those present).
    """
    return {key: record[key] for key in STAMP_KEYS if key in record}


def field_type(series: pd.Series) -> str:
    """The Table Schema type of a column: integer, number, boolean, datetime or string."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "string"


def _describe(name: str, unit: str | None) -> str:
    words = name.replace("_", " ")
    words = words[:1].upper() + words[1:]
    return f"{words}; unit: {unit}" if unit else words


def table_schema(
    frame: pd.DataFrame,
    units: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    primary_key: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The Table Schema of a table: every column with its type, unit and description.

    Args:
        frame: The table as written.
        units: Column -> unit (``unit`` of the field when given).
        descriptions: Column -> description; columns not listed get one made of their name and
            unit.
        primary_key: Columns whose values identify a row.

    Returns:
        ``{"fields": [...], "missingValues": ["", "NaN"], ...}``.
    """
    units = units or {}
    descriptions = descriptions or {}
    fields = []
    for column in frame.columns:
        name = str(column)
        entry: dict[str, Any] = {"name": name, "type": field_type(frame[column])}
        if name in units:
            entry["unit"] = units[name]
        entry["description"] = descriptions.get(name) or _describe(name, units.get(name))
        fields.append(entry)
    schema: dict[str, Any] = {"fields": fields, "missingValues": ["", "NaN"]}
    if primary_key:
        schema["primaryKey"] = list(primary_key)
    return schema


def table_resource(
    name: str,
    frame: pd.DataFrame,
    suffixes: Sequence[str],
    description: str,
    *,
    units: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    primary_key: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One Data Package resource per file a table is written to (CSV and/or Parquet).

    Args:
        name: The table's name (its file name without suffix).
        frame: The table.
        suffixes: The suffixes it is written with (``.csv``, ``.parquet``).
        description: What the table holds.
        units: Column -> unit.
        descriptions: Column -> description.
        primary_key: Columns whose values identify a row.

    Returns:
        The resources (named ``<name>`` for CSV and ``<name>-parquet`` for Parquet).
    """
    schema = table_schema(frame, units, descriptions, primary_key)
    resources = []
    for suffix in suffixes:
        resource: dict[str, Any] = {
            "name": name if suffix == ".csv" else f"{name}-{suffix.lstrip('.')}",
            "path": f"{name}{suffix}",
            "profile": "tabular-data-resource",
            "format": suffix.lstrip("."),
            "mediatype": _MEDIA_TYPES[suffix],
            "description": description,
            "rows": len(frame),
            "schema": schema,
        }
        if suffix == ".csv":
            resource["encoding"] = "utf-8"
            resource["dialect"] = {"delimiter": ",", "header": True}
        resources.append(resource)
    return resources


def data_package(
    name: str,
    title: str,
    resources: list[dict[str, Any]],
    stamp: Mapping[str, Any],
    created: str | None = None,
) -> dict[str, Any]:
    """A Data Package with the resources and the provenance stamp they share.

    Args:
        name: The package's name (lower case, ``-``, ``_``, ``.``).
        title: A title for people.
        resources: From :func:`table_resource`.
        stamp: Provenance shared by every table (``yrdsim`` property of the package).
        created: ISO time the tables were made.
    """
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "yrdsim": dict(stamp),
        "resources": resources,
    }
    if created:
        package["created"] = created
    return package


def write_data_package(folder: Path, package: Mapping[str, Any]) -> Path:
    """Write ``datapackage.json`` into ``folder`` atomically."""
    return write_text_atomic(Path(folder) / DATAPACKAGE_FILE, json.dumps(package, indent=2) + "\n")


def write_parquet(frame: pd.DataFrame, path: Path, stamp: Mapping[str, Any]) -> None:
    """Write ``frame`` as Parquet with the provenance stamp in the file's key-value metadata.

    The stamp is stored under the key ``yrdsim`` (JSON); pandas' own metadata is kept, so
    ``pd.read_parquet`` gives the table back with its column types.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[b"yrdsim"] = json.dumps(dict(stamp), sort_keys=True).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path)


def read_parquet_stamp(path: Path) -> dict[str, Any]:
    """The provenance stamp stored in a Parquet file by :func:`write_parquet` (``{}`` if none)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(b"yrdsim")
    return json.loads(raw) if raw else {}


@contextlib.contextmanager
def figure_stamp(stamp: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, every figure saved embeds ``stamp`` (see :func:`current_figure_stamp`).

    The figure writers keep their signatures; :func:`sim.figures.style.save_figure` reads the
    stamp of the tables it draws from here.
    """
    token = _FIGURE_STAMP.set(dict(stamp))
    try:
        yield
    finally:
        _FIGURE_STAMP.reset(token)


def current_figure_stamp() -> dict[str, Any] | None:
    """The stamp set by the innermost :func:`figure_stamp` block, or ``None``."""
    return _FIGURE_STAMP.get()
