"""The bundled data load, and malformed data are refused with the file, row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scenarios.types import SIZE_CLASSES
from sim.core.data import BUNDLED_DATA_DIR, DataError, load_region_data


def test_bundled_data_has_41_cities_and_valid_links(region):
    assert region.n_cities == 41
    assert region.cities["id"].is_unique
    assert region.cities["pop_2020"].sum() == 235_213_670  # 7th census, SOURCES.md
    assert set(region.cities["size_class"]) <= set(SIZE_CLASSES)
    assert region.cities["central_area"].sum() == 27
    ids = set(region.city_ids)
    for row in region.links.itertuples():
        assert {row.from_id, row.to_id, *row.via_ids} <= ids
    existing = region.links[region.links["status"] == "existing"]
    assert existing["year_open"].notna().all()
    assert (region.cities["gdp_2020_cny"] > 0).all()


def test_neighbours_come_from_shared_boundaries(region):
    index = region.city_index
    pairs = {frozenset((region.city_ids[i], region.city_ids[j])) for i, j in region.neighbours}
    assert frozenset(("shanghai", "suzhou")) in pairs
    assert frozenset(("hangzhou", "shaoxing")) in pairs
    assert frozenset(("shanghai", "hefei")) not in pairs
    # every city has at least one neighbour, so the road network connects the region
    touched = {i for pair in region.neighbours for i in pair}
    assert touched == set(index.values())


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA_DIR, target)
    return target


def set_cell(row: int, column: str, value: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return change


def drop_column(column: str):
    return lambda frame: frame.drop(columns=[column])


def drop_row(row: int):
    return lambda frame: frame.drop(index=[row])


def _edit(path: Path, change) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def test_a_copied_data_folder_loads_the_same(data_copy, region):
    copy = load_region_data(data_copy)
    pd.testing.assert_frame_equal(copy.cities, region.cities)
    assert copy.neighbours == region.neighbours


@pytest.mark.parametrize(
    ("file", "change", "words"),
    [
        ("cities.csv", set_cell(3, "id", "wuxi"), ["cities.csv", "duplicate city id", "wuxi"]),
        (
            "cities.csv",
            set_cell(4, "pop_2020_persons", "-5"),
            ["cities.csv", "row 6", "pop_2020_persons", "below the minimum"],
        ),
        (
            "cities.csv",
            set_cell(0, "lat", "north"),
            ["cities.csv", "row 2", "'lat'", "'north' is not a number"],
        ),
        (
            "cities.csv",
            drop_column("pop_2010_persons"),
            ["cities.csv", "missing column", "pop_2010_persons"],
        ),
        (
            "cities.csv",
            set_cell(1, "province", "Jiangxi"),
            ["row 3", "province", "Jiangxi", "Shanghai, Jiangsu, Zhejiang, Anhui"],
        ),
        (
            "transport_links.csv",
            set_cell(2, "to_id", "beijing"),
            ["transport_links.csv", "row 4", "to_id", "'beijing' is not a city id"],
        ),
        (
            "transport_links.csv",
            set_cell(0, "year_open", "2010s"),
            ["transport_links.csv", "row 2", "year_open", "not a number"],
        ),
        (
            "transport_links.csv",
            set_cell(0, "year_open", ""),
            ["row 2", "year_open", "existing link needs its opening year"],
        ),
        ("city_economy.csv", drop_row(5), ["city_economy.csv", "no row for city", "suzhou"]),
        ("cities.csv", drop_row(40), ["cities.csv", "40 cities", "41"]),
    ],
)
def test_bad_data_is_refused_with_file_row_and_column(data_copy, file, change, words):
    _edit(data_copy / file, change)
    with pytest.raises(DataError) as error:
        load_region_data(data_copy)
    for word in words:
        assert word in str(error.value)


def test_missing_file_is_named(data_copy):
    (data_copy / "transport_links.csv").unlink()
    with pytest.raises(DataError, match=r"transport_links\.csv: file not found"):
        load_region_data(data_copy)


def test_geojson_must_match_the_cities(data_copy):
    import json

    path = data_copy / "yrd_cities.geojson"
    collection = json.loads(path.read_text())
    collection["features"] = collection["features"][1:]
    path.write_text(json.dumps(collection))
    with pytest.raises(DataError, match=r"missing \['shanghai'\]"):
        load_region_data(data_copy)


def test_census_population_only_for_census_years(region):
    assert np.array_equal(region.census_population(2010), region.cities["pop_2010"].to_numpy())
    with pytest.raises(DataError, match="census years are"):
        region.census_population(2015)
