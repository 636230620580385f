"""datapackage.json and Parquet: what a run writes for readers who do not use yrdsim."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sim
from sim.core.recording import TABLE_UNITS
from sim.runs.datapackage import RUN_FIELD_DESCRIPTIONS, read_parquet_stamp
from sim.runs.folders import is_complete
from sim.runs.output import write_run
from tests.conftest import SHORT


def test_datapackage_describes_every_table_field_type_and_unit(run, tmp_path):
    result = run(*SHORT)
    write_run(result, tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert package["yrdsim"]["config_hash"] == result.config.config_hash()
    assert package["yrdsim"]["seed"] == result.config.seed
    by_path = {r["path"]: r for r in package["resources"]}
    assert set(by_path) == {f"{name}.csv" for name in result.tables()}
    for name, table in result.tables().items():
        resource = by_path[f"{name}.csv"]
        assert resource["description"] and resource["rows"] == len(table)
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == list(table.columns)
        for field in fields:
            assert field["unit"] == TABLE_UNITS[name][field["name"]]
            assert _real_description(field), (name, field)
            expected = {"i": "integer", "f": "number", "b": "boolean"}.get(
                table[field["name"]].dtype.kind, "string"
            )
            assert field["type"] == expected, (name, field["name"])
    assert by_path["cities.csv"]["schema"]["primaryKey"] == ["year", "city_id"]


def _real_description(field: dict) -> bool:
    """A description that says more than the field's name (not its name echoed, with a unit)."""
    text = field.get("description") or ""
    words = "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").split()
    echo = field["name"].lower().replace("_", " ").split()
    return len(words) >= len(echo) + 2 and "; unit:" not in text


def test_every_column_a_run_records_has_a_description_written_for_it():
    # A column added to the recorder (sim.core.recording) without a description here fails.
    assert set(RUN_FIELD_DESCRIPTIONS) == set(TABLE_UNITS)
    for table, units in TABLE_UNITS.items():
        assert list(RUN_FIELD_DESCRIPTIONS[table]) == list(units), table
        for column, text in RUN_FIELD_DESCRIPTIONS[table].items():
            assert _real_description({"name": column, "description": text}), (table, column)


def test_an_undescribed_column_gets_no_made_up_description():
    from sim.runs.datapackage import table_schema

    schema = table_schema(pd.DataFrame({"gdp_growth": [1.0]}), units={"gdp_growth": "%"})
    assert schema["fields"] == [{"name": "gdp_growth", "type": "number", "unit": "%"}]


def test_frictionless_finds_the_run_folder_valid(run, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    write_run(run(*SHORT), tmp_path)
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.parametrize("fmt", ["parquet", "both"])
def test_parquet_holds_the_same_tables_and_the_stamp(region, tmp_path, fmt):
    config = sim.load_config([*SHORT, f"output.format={fmt}"])
    result = sim.simulate(config, data=region)
    write_run(result, tmp_path)
    assert is_complete(tmp_path)
    for name, table in result.tables().items():
        read = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(read, table.reset_index(drop=True), check_exact=True)
        assert (tmp_path / f"{name}.csv").exists() == (fmt == "both")
        stamp = read_parquet_stamp(tmp_path / f"{name}.parquet")
        assert stamp["config_hash"] == config.config_hash() and stamp["seed"] == config.seed
    package = json.loads((tmp_path / "datapackage.json").read_text())
    formats = {r["format"] for r in package["resources"]}
    assert formats == ({"parquet"} if fmt == "parquet" else {"csv", "parquet"})


def test_the_output_format_is_checked_by_name(tmp_path):
    with pytest.raises(sim.ConfigError, match=r"output\.format.*'csv', 'parquet' or 'both'"):
        sim.load_config(["output.format=xlsx"])
