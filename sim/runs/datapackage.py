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
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.atomic import write_text_atomic
from sim.runs.files import DATAPACKAGE_FILE, TABLES_PROVENANCE_FILE
from sim.runs.provenance import git_commit, package_version

#: Keys of a provenance record that stamp every table (no timing: a rerun gets the same stamp).
STAMP_KEYS = ("package", "version", "git_commit", "scenario", "seed", "config_hash")

#: The stamp of the tables the figures being drawn show (see :func:`figure_stamp`).
_FIGURE_STAMP: ContextVar[dict[str, Any] | None] = ContextVar("yrdsim_figure_stamp", default=None)

_MEDIA_TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet"}

#: What each column of a run's tables means, by table (their units are declared with the columns
#: in :data:`sim.core.recording.TABLE_UNITS`). Flows ("in the year") are what happened during
#: the year; stocks are the state at its end. The start-year row holds the initial state, in
#: which flows are 0 or missing.
RUN_FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "metrics": {
        "year": "Simulated year (the start year holds the initial state).",
        "population": "Residents of the 41 cities at the end of the year.",
        "high_skill": "High-skill residents of the 41 cities.",
        "non_hukou": "Residents of the 41 cities without the local hukou of the city they live in.",
        "gdp": "Output of the 41 cities in the year.",
        "gdp_per_capita": "Output of the 41 cities divided by their residents.",
        "mean_wage": "Yearly wage averaged over all workers of the 41 cities (weighted by each "
        "city's workers).",
        "migrants": "Persons who moved from one of the 41 cities to another during the year.",
        "migration_rate": "Inter-city migrants of the year divided by the residents.",
        "hukou_conversions": "Residents who obtained the local hukou of their city during the "
        "year.",
        "births": "Births in the 41 cities during the year.",
        "deaths": "Deaths in the 41 cities during the year.",
        "immigrants": "Persons who moved into the 41 cities from the rest of China during the "
        "year.",
        "emigrants": "Persons who left the 41 cities for the rest of China during the year.",
        "rest_of_china_population": "Residents of mainland China outside the 41 cities (the pool "
        "that sends and receives movers).",
        "innovations": "Innovations made by the firms of the 41 cities during the year.",
        "firms": "Firm agents active at the end of the year.",
        "firm_entries": "Firm agents founded during the year.",
        "firm_exits": "Firm agents that closed during the year.",
        "firm_relocations": "Firm agents that moved to another city during the year.",
        "rd_spend": "R&D spending of all firms in the year: their own R&D plus R&D services "
        "bought.",
        "voucher_budget": "Innovation-voucher budget of all issuing cities for the year.",
        "voucher_spend": "Value of innovation vouchers redeemed during the year.",
        "voucher_projects": "R&D-service projects paid (partly) with vouchers during the year.",
        "voucher_additional_share": "Share of the voucher-paid projects that firms would not "
        "have bought without a voucher (additionality).",
        "voucher_cross_region_share": "Share of the redeemed voucher value spent at providers "
        "in another city than the issuing one.",
        "voucher_cross_province_share": "Share of the redeemed voucher value spent at providers "
        "in another province than the issuing city's.",
        "voucher_top3_provider_share": "Share of the redeemed voucher value spent at the three "
        "provider cities that received the most (concentration of providers).",
        "rd_inhouse_spend": "Firms' spending on their own R&D in the year.",
        "rd_services_spend": "Value of the R&D-service projects providers served in the year, "
        "voucher-paid ones included.",
        "rd_services_projects": "R&D-service projects providers served in the year.",
        "rd_services_rationed_share": "Share of the R&D-service projects firms demanded that "
        "providers could not serve for lack of capacity.",
        "innovations_from_services": "Innovations attributed to the R&D-service projects served "
        "(their expected share of the year's innovations).",
        "mean_travel_time_min": "Mean shortest travel time between residents of different "
        "cities (city pairs weighted by the product of their populations).",
        "share_pop_within_60min_shanghai": "Share of the residents who live in a city within 60 "
        "minutes of Shanghai (Shanghai included).",
        "share_pop_within_60min_capital": "Share of the residents who live in a city within 60 "
        "minutes of their own provincial capital (capitals included).",
        "theil_gdp_per_capita": "Inequality of GDP per capita across the 41 cities: Theil T "
        "index weighted by population (0 = equal).",
        "theil_between_province": "Part of the Theil index due to differences between the "
        "provinces' GDP per capita.",
        "theil_within_province": "Part of the Theil index due to differences between cities of "
        "the same province.",
        "cv_gdp_per_capita": "Population-weighted standard deviation of the cities' GDP per "
        "capita over its mean.",
        "central_area_gdppc_ratio": "GDP per capita of the plan's central area over that of "
        "the whole region (the Outline's 2025 target: at most 1.2).",
    },
    "cities": {
        "year": "Simulated year (the start year holds the initial state).",
        "city_id": "Identifier of the city (as in the model's city data).",
        "name_en": "English name of the city.",
        "province": "Province (or Shanghai) the city belongs to.",
        "population": "Residents of the city at the end of the year.",
        "high_skill": "High-skill residents of the city.",
        "non_hukou": "Residents of the city without its local hukou.",
        "gdp": "Output of the city in the year.",
        "gdp_per_capita": "Output of the city divided by its residents.",
        "wage": "Yearly wage of the city's workers, averaged over low- and high-skill workers.",
        "wage_low": "Yearly wage of a low-skill worker in the city.",
        "wage_high": "Yearly wage of a high-skill worker in the city.",
        "housing_cost": "Housing-cost index of the city, rising with its density.",
        "market_access": "GDP of all cities within reach of the city, each discounted by the "
        "travel time to it.",
        "knowledge_access": "R&D-service capacity of all cities within reach of the city, each "
        "discounted by the travel time to it.",
        "amenity": "What living in the city is worth to residents beyond wages and housing "
        "cost, solved at the start so the model reproduces the observed populations.",
        "firms": "Firm agents active in the city at the end of the year.",
        "innovations": "Innovations made by the city's firms during the year.",
        "voucher_budget": "Innovation-voucher budget the city issues for the year.",
        "voucher_spend": "Value of the city's vouchers redeemed during the year (wherever spent).",
        "in_migrants": "Persons who moved into the city from another of the 41 cities during "
        "the year.",
        "out_migrants": "Persons who moved out of the city to another of the 41 cities during "
        "the year.",
        "births": "Births in the city during the year.",
        "deaths": "Deaths in the city during the year.",
        "immigrants": "Persons who moved into the city from the rest of China during the year.",
        "emigrants": "Persons who left the city for the rest of China during the year.",
    },
    "flows": {
        "year": "Year in which the moves happened.",
        "origin": "Identifier of the city the migrants left.",
        "destination": "Identifier of the city the migrants moved to.",
        "migrants": "Persons who moved from the origin to the destination during the year.",
    },
    "travel_times": {
        "year": "Year from which the travel times hold (the start year and each year a "
        "transport link changed the network).",
        "origin": "Identifier of the city the trip starts in.",
        "destination": "Identifier of the city the trip ends in.",
        "minutes": "Shortest door-to-door travel time over the transport network.",
    },
    "vouchers": {
        "year": "Year in which the vouchers were redeemed.",
        "issuing_city": "Identifier of the city that issued (and paid for) the vouchers.",
        "provider_city": "Identifier of the city where the R&D services were bought.",
        "vouchers": "R&D-service projects paid with this city pair's vouchers in the year.",
        "value_rmb": "Value of the vouchers redeemed for these projects.",
    },
}


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
        descriptions: Column -> description; a column not listed gets none (no text made up
            from its name), which the tests of the tables that are written catch.
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
        if descriptions.get(name):
            entry["description"] = descriptions[name]
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


def analysis_stamp(
    config_hashes: Sequence[str], seeds: Sequence[int], **extra: Any
) -> dict[str, Any]:
    """The stamp of figures drawn from several runs (a validation, a sensitivity analysis, ...).

    One configuration or seed is stamped as ``config_hash`` or ``seed``, like a run's; several
    as the sorted lists ``config_hashes`` or ``seeds``, like a comparison's. The drawing code's
    version and commit are added when a figure is saved (:func:`sim.figures.style.save_figure`).

    Args:
        config_hashes: :meth:`~sim.config.schema.SimConfig.config_hash` of each configuration
            run (or of the one configuration the runs vary).
        seeds: The model seeds of the runs.
        **extra: Further entries (e.g. ``sample_seed``).

    Raises:
        ValueError: No configuration hash or no seed is given.
    """
    hashes = sorted({str(h) for h in config_hashes})
    seed_list = sorted({int(s) for s in seeds})
    if not hashes or not seed_list:
        raise ValueError("a figure's stamp needs at least one config hash and one seed")
    stamp: dict[str, Any] = {"package": "yrdsim"}
    if len(hashes) == 1:
        stamp["config_hash"] = hashes[0]
    else:
        stamp["config_hashes"] = hashes
    if len(seed_list) == 1:
        stamp["seed"] = seed_list[0]
    else:
        stamp["seeds"] = seed_list
    return {**stamp, **extra}


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


def write_tables_provenance(
    folder: str | Path, stamp: Mapping[str, Any], tables: Sequence[str | Path]
) -> Path:
    """Write the provenance sidecar of an analysis's tables, ``tables_provenance.json``.

    The analysis commands (validation, sensitivity, exploration) write tables that no single
    run's ``provenance.json`` covers. The sidecar records what they were computed from (the
    stamp of :func:`analysis_stamp`: config hash(es), seed(s), e.g. the sampling seed), the
    code's version and commit, and each table's file name with its SHA-256, so a table can be
    matched to its stamp after it has been copied elsewhere. Tables already listed by an earlier
    call into the same folder (a resumed exploration, the Sobol step after Morris) are kept
    unless written again; a stamp that differs replaces the old one and drops its tables.

    Args:
        folder: The folder holding the tables; the sidecar is written there.
        stamp: The tables' stamp (:func:`analysis_stamp`).
        tables: The tables' paths (in ``folder``).

    Returns:
        The sidecar's path.
    """
    folder = Path(folder)
    path = folder / TABLES_PROVENANCE_FILE
    record = {
        **dict(stamp),
        "version": package_version("yrdsim"),
        "git_commit": git_commit(Path(__file__).resolve().parent),
    }
    listed: dict[str, str] = {}
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = None
    if isinstance(earlier, dict) and {k: v for k, v in earlier.items() if k != "tables"} == record:
        listed = dict(earlier.get("tables") or {})
    for table in tables:
        table = Path(table)
        listed[table.name] = hashlib.sha256(table.read_bytes()).hexdigest()
    record["tables"] = dict(sorted(listed.items()))
    return write_text_atomic(path, json.dumps(record, indent=2, default=str) + "\n")
