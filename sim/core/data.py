"""Load and validate the regional data the model starts from.

The bundled data (``sim/data/``, copied from the project's shared data with its attribution in
``sim/data/SOURCES.md``) hold the 41 Yangtze River Delta cities: census populations, centre
coordinates, 2020 boundaries, GDP, universities, the inter-city transport links with their
opening years and the State Council 2014 city-size classes. A user may point the model at a
folder of their own with the same files and columns; every file is checked on loading and a
problem is reported as a :class:`DataError` naming the file, row and column.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from scenarios.types import CENSUS_YEARS, PROVINCES, PROVINCIAL_CAPITALS

BUNDLED_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: How the ``city_size_class_2020`` strings of ``cities.csv`` map onto :data:`SIZE_CLASSES`
#: (checked in this order: "large II" before "large I").
_SIZE_CLASS_PREFIXES: tuple[tuple[str, str], ...] = (
    ("megacity", "megacity"),
    ("super-large", "super_large"),
    ("large II", "large_2"),
    ("large I", "large_1"),
    ("medium", "medium"),
    ("small", "small"),
)

#: Prefecture-level cities of the YRD (Shanghai, Jiangsu 13, Zhejiang 11, Anhui 16).
N_CITIES = 41

#: Two boundary vertices of different cities closer than this are taken as a shared border.
#: The bundled boundaries are simplified to about 1 km, so shared borders do not coincide exactly.
NEIGHBOUR_TOLERANCE_KM = 3.0

EARTH_RADIUS_KM = 6371.0


class DataError(ValueError):
    """A data file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class RegionData:
    """The validated input data, one row per city in a fixed order.

    Attributes:
        cities: One row per city (index 0..n-1 is the city index used everywhere in the
            model). Columns: ``id, name_en, name_zh, province, lat, lon, pop_2010, pop_2020,
            size_class, area_km2, gdp_2020_cny, central_area, n_heis, working_age_share_2010,
            working_age_share_2020,
            is_capital``.
        links: One row per transport link: ``link_id, from_id, to_id, via_ids`` (a tuple of
            city ids), ``name_en, mode, status, year_open`` (nullable integer: the year an
            existing link opened; empty for planned links, whose year a scenario sets),
            ``length_km, design_speed_kmh, time_after_min`` (floats, NaN where unknown).
        neighbours: Pairs ``(i, j)``, ``i < j``, of city indices that share a boundary.
        boundaries: The GeoJSON FeatureCollection of city boundaries (lon/lat degrees).
        source_dir: The folder the data were read from.
        vital_rates: Crude birth and death rates (per person and year) by ``area`` (a
            province or ``China``) and ``year`` (``vital_rates.csv``).
        china: Mainland China's census population and GDP (RMB) by ``year``
            (``china_totals.csv``): with the 41 cities they give the rest of China.
    """

    cities: pd.DataFrame
    links: pd.DataFrame
    neighbours: tuple[tuple[int, int], ...]
    boundaries: dict
    source_dir: Path
    city_index: dict[str, int] = field(default_factory=dict)
    vital_rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    china: pd.DataFrame = field(default_factory=pd.DataFrame)

    def vital_rate(self, area: str, year: int) -> tuple[float, float]:
        """``(birth, death)`` rates of ``area`` dated ``year`` or earlier.

        The latest year at or before ``year``; where the data hold none (the rates start in
        2011), the earliest year, the one exception to dated inputs (docs/VALIDATION.md).
        """
        # Looked up once per area and year (a model's set-up asks for every city's province).
        cache = self.__dict__.setdefault("_vital_rate_cache", {})
        if (area, year) not in cache:
            cache[(area, year)] = self._vital_rate(area, year)
        return cache[(area, year)]

    def _vital_rate(self, area: str, year: int) -> tuple[float, float]:
        rows = self.vital_rates[self.vital_rates["area"] == area].sort_values("year")
        if rows.empty:
            raise DataError(f"vital_rates.csv: no rates for {area!r}")
        earlier = rows[rows["year"] <= year]
        row = earlier.iloc[-1] if len(earlier) else rows.iloc[0]
        return float(row["birth_rate_permille"]) / 1000, float(row["death_rate_permille"]) / 1000

    def rest_of_china(self, year: int) -> tuple[float, float]:
        """``(population, GDP in RMB)`` of mainland China less the 41 cities in a census year."""
        row = self.china[self.china["year"] == year]
        gdp = self.gdp(year)
        if row.empty or gdp is None:
            raise DataError(f"china_totals.csv: no row for {year}")
        population = float(row["population_persons"].iloc[0]) - self.census_population(year).sum()
        return population, float(row["gdp_100m_cny"].iloc[0]) * 1e8 - float(gdp.sum())

    def working_age_share(self, year: int) -> np.ndarray:
        """Share of each city's residents aged 15-59 in a census year (2010 or 2020)."""
        return self.cities[f"working_age_share_{year}"].to_numpy(dtype=float)

    def age_shares(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """``(aged 0-14, aged 65+)`` shares of each city's residents in a census year."""
        return (
            self.cities[f"age_0_14_{year}"].to_numpy(dtype=float) / 100.0,
            self.cities[f"age_65_{year}"].to_numpy(dtype=float) / 100.0,
        )

    @property
    def n_cities(self) -> int:
        """Number of cities."""
        return len(self.cities)

    @property
    def city_ids(self) -> list[str]:
        """City ids in index order."""
        return list(self.cities["id"])

    def census_population(self, year: int) -> np.ndarray:
        """Resident population (persons) of each city in a census year (2000, 2010 or 2020).

        All on 2020 boundaries; 2000 from ``city_history_2020_boundaries.csv``.
        """
        if year not in (*HISTORY_CENSUS_YEARS, *CENSUS_YEARS):
            raise DataError(f"no census population for {year}; census years are {CENSUS_YEARS}")
        return self.cities[f"pop_{year}"].to_numpy(dtype=np.int64)

    def gdp_per_capita(self, census_year: int) -> np.ndarray:
        """GDP per capita (RMB) of a census year: 2010 from the 2010 GDP, else 2020's."""
        gdp = self.gdp(census_year)
        if gdp is None or np.isnan(gdp).any():
            gdp, census_year = self.gdp(2020), 2020
        return gdp / self.census_population(census_year)

    def gdp(self, year: int) -> np.ndarray | None:
        """City GDP (RMB, nominal, 2020 boundaries) of ``year``, or None where the data lack it."""
        column = f"gdp_{year}_cny"
        return self.cities[column].to_numpy(dtype=float) if column in self.cities else None


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: file not found (the data folder must hold it)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; it needs a header and one row each") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot be read as CSV ({reason})") from None
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no rows")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path.name}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"required columns are {', '.join(required)}"
        )
    return frame


def _numbers(
    frame: pd.DataFrame,
    column: str,
    file: str,
    *,
    required: bool = True,
    minimum: float | None = None,
    integer: bool = False,
    maximum: float | None = None,
    above: float | None = None,
    choices: tuple[float, ...] | None = None,
) -> np.ndarray:
    """Parse a column of numbers, naming the file, row and column of the first bad value.

    ``minimum``/``maximum`` are inclusive bounds, ``above`` an exclusive lower bound (e.g. 0 for
    a GDP or an area that a model divides by), ``choices`` the only values allowed (flags).
    """
    values = np.full(len(frame), np.nan)
    for row, text in enumerate(frame[column]):
        text = text.strip()
        line = row + 2  # header is line 1
        if text == "":
            if required:
                raise DataError(f"{file}: row {line}, column '{column}': value is missing")
            continue
        try:
            value = float(text)
        except ValueError:
            raise DataError(
                f"{file}: row {line}, column '{column}': {text!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise DataError(f"{file}: row {line}, column '{column}': {text!r} is not finite")
        if integer and value != int(value):
            raise DataError(
                f"{file}: row {line}, column '{column}': {text!r} is not a whole number"
            )
        if minimum is not None and value < minimum:
            raise DataError(
                f"{file}: row {line}, column '{column}': {text!r} is below the minimum {minimum:g}"
            )
        if maximum is not None and value > maximum:
            raise DataError(
                f"{file}: row {line}, column '{column}': {text!r} is above the maximum {maximum:g}"
            )
        if above is not None and value <= above:
            raise DataError(
                f"{file}: row {line}, column '{column}': {text!r} must be above {above:g}"
            )
        if choices is not None and value not in choices:
            allowed = " or ".join(f"{c:g}" for c in choices)
            raise DataError(
                f"{file}: row {line}, column '{column}': {text!r} is not allowed; "
                f"allowed: {allowed}"
            )
        values[row] = value
    return values


def _refuse_duplicates(values: pd.Series, file: str, column: str, what: str) -> None:
    """Refuse repeated values in a column, naming the rows (header = row 1) and the column."""
    duplicated = values[values.duplicated()].unique().tolist()
    if duplicated:
        rows = [int(i) + 2 for i in np.flatnonzero(values.isin(duplicated).to_numpy())]
        raise DataError(
            f"{file}: rows {rows}, column '{column}': duplicate {what}(s) {duplicated}; "
            "each must appear once"
        )


def _rows_by_city(raw: pd.DataFrame, cities: pd.DataFrame, file: str) -> np.ndarray:
    """Positions of a per-city table's rows in the order of ``cities`` (each city once)."""
    ids = raw["id"].str.strip()
    for row, city_id in enumerate(ids):
        if city_id not in set(cities["id"]):
            shown = "value is missing" if city_id == "" else f"{city_id!r} is not a city id"
            raise DataError(
                f"{file}: row {row + 2}, column 'id': {shown}; ids must match cities.csv"
            )
    _refuse_duplicates(ids, file, "id", "city id")
    position = {city: row for row, city in enumerate(ids)}
    missing = [c for c in cities["id"] if c not in position]
    if missing:
        raise DataError(f"{file}: no row for city id(s) {missing}")
    return np.array([position[c] for c in cities["id"]], dtype=np.int64)


def _size_class(text: str, line: int) -> str:
    for prefix, key in _SIZE_CLASS_PREFIXES:
        if text.startswith(prefix):
            return key
    raise DataError(
        f"cities.csv: row {line}, column 'city_size_class_2020': {text!r} is not a known class; "
        "expected one starting with megacity, super-large, large I, large II, medium or small"
    )


def _load_cities(directory: Path) -> pd.DataFrame:
    required = [
        "id",
        "name_zh",
        "name_en",
        "province",
        "lat",
        "lon",
        "pop_2010_persons",
        "pop_2020_persons",
        "city_size_class_2020",
        "area_km2",
        "area_km2_polygon",
        "central_area",
    ]
    raw = _read_csv(directory / "cities.csv", required)
    file = "cities.csv"
    ids = raw["id"].str.strip()
    for row, city_id in enumerate(ids):
        if city_id == "":
            raise DataError(f"{file}: row {row + 2}, column 'id': value is missing")
    _refuse_duplicates(ids, file, "id", "city id")
    if len(ids) != N_CITIES:
        raise DataError(
            f"{file}: {len(ids)} cities; the data must hold the {N_CITIES} prefecture-level "
            "cities of the YRD (one row each)"
        )
    for row, province in enumerate(raw["province"]):
        if province not in PROVINCIAL_CAPITALS:
            raise DataError(
                f"{file}: row {row + 2}, column 'province': {province!r} is not one of "
                f"{', '.join(PROVINCES)}"
            )
    area = _numbers(raw, "area_km2", file, required=False, above=0)
    area_polygon = _numbers(raw, "area_km2_polygon", file, above=0)
    cities = pd.DataFrame(
        {
            "id": ids,
            "name_en": raw["name_en"],
            "name_zh": raw["name_zh"],
            "province": raw["province"],
            "lat": _numbers(raw, "lat", file, minimum=-90, maximum=90),
            "lon": _numbers(raw, "lon", file, minimum=-180, maximum=180),
            "pop_2010": _numbers(
                raw, "pop_2010_persons", file, minimum=1, maximum=MAX_POPULATION, integer=True
            ),
            "pop_2020": _numbers(
                raw, "pop_2020_persons", file, minimum=1, maximum=MAX_POPULATION, integer=True
            ),
            "size_class": [
                _size_class(t, row + 2) for row, t in enumerate(raw["city_size_class_2020"])
            ],
            # Coastal polygons include sea; the official land area is preferred where known.
            "area_km2": np.where(np.isnan(area), area_polygon, area),
            "central_area": _numbers(raw, "central_area", file, choices=(0, 1)) == 1,
        }
    )
    for year in CENSUS_YEARS:
        cities[f"pop_{year}"] = cities[f"pop_{year}"].astype(np.int64)
    cities["is_capital"] = [
        PROVINCIAL_CAPITALS[p] == c for p, c in zip(cities["province"], cities["id"], strict=True)
    ]
    capitals = set(PROVINCIAL_CAPITALS.values())
    missing_capitals = sorted(capitals - set(cities["id"]))
    if missing_capitals:
        raise DataError(f"{file}: provincial capital(s) {missing_capitals} missing from 'id'")
    return cities


def _attach_economy(cities: pd.DataFrame, directory: Path) -> pd.DataFrame:
    file = "city_economy.csv"
    raw = _read_csv(directory / file, ["id", "gdp_2020_filled_100m_cny", "n_regular_heis"])
    order = _rows_by_city(raw, cities, file)  # numbers are parsed in file order (row numbers)
    gdp = _numbers(raw, "gdp_2020_filled_100m_cny", file, above=0)[order]
    cities = cities.copy()
    cities["gdp_2020_cny"] = gdp * 1e8
    cities["n_heis"] = _numbers(raw, "n_regular_heis", file, minimum=0, integer=True)[order]
    return cities


#: Census years before the first start year, used only for the decade before a 2010 start.
HISTORY_CENSUS_YEARS: tuple[int, ...] = (2000,)

#: Earlier history on 2020 boundaries (derived by ``tools/derive_city_history.py``).
HISTORY_FILE = "city_history_2020_boundaries.csv"


def _attach_history(cities: pd.DataFrame, directory: Path) -> pd.DataFrame:
    """2000 census population and 2010 GDP on 2020 boundaries (the bundled file if absent)."""
    raw = _read_csv(_bundled_or_own(directory, HISTORY_FILE), ["id", "pop_2000", "gdp_2010"])
    order = _rows_by_city(raw, cities, HISTORY_FILE)
    cities = cities.copy()
    cities["pop_2000"] = _numbers(raw, "pop_2000", HISTORY_FILE, minimum=1, maximum=MAX_POPULATION)[
        order
    ].round()
    cities["gdp_2010_cny"] = _numbers(raw, "gdp_2010", HISTORY_FILE, above=0)[order] * 1e8
    return cities


def _bundled_or_own(directory: Path, file: str) -> Path:
    """The data folder's ``file``, else the bundled one (files added after version 0.1)."""
    path = directory / file
    return path if path.is_file() else BUNDLED_DATA_DIR / file


def _load_vital_rates(directory: Path) -> pd.DataFrame:
    file = "vital_rates.csv"
    raw = _read_csv(_bundled_or_own(directory, file), ["area", "year", *VITAL_COLUMNS])
    frame = pd.DataFrame({"area": raw["area"].str.strip()})
    frame["year"] = _numbers(raw, "year", file, minimum=1949, integer=True)
    for column in VITAL_COLUMNS:
        frame[column] = _numbers(raw, column, file, minimum=0)
    return frame


def _load_china(directory: Path) -> pd.DataFrame:
    file = "china_totals.csv"
    raw = _read_csv(_bundled_or_own(directory, file), ["year", *CHINA_COLUMNS])
    frame = pd.DataFrame({"year": _numbers(raw, "year", file, minimum=1949, integer=True)})
    for column in CHINA_COLUMNS:
        frame[column] = _numbers(raw, column, file, minimum=1)
    return frame


#: Columns of ``vital_rates.csv`` besides ``area`` and ``year`` (per mille).
VITAL_COLUMNS: tuple[str, ...] = ("birth_rate_permille", "death_rate_permille")

#: Columns of ``china_totals.csv`` besides ``year``.
CHINA_COLUMNS: tuple[str, ...] = ("population_persons", "gdp_100m_cny")

#: Age-share columns of ``city_demography.csv`` that the model reads (percent).
AGE_COLUMNS: tuple[str, ...] = ("age_0_14_2010", "age_65_2010", "age_0_14_2020", "age_65_2020")


def _attach_demography(cities: pd.DataFrame, directory: Path) -> pd.DataFrame:
    file = "city_demography.csv"
    working = [f"age_15_59_{year}" for year in CENSUS_YEARS]
    raw = _read_csv(directory / file, ["id", *working, *AGE_COLUMNS])
    order = _rows_by_city(raw, cities, file)  # numbers are parsed in file order (row numbers)
    cities = cities.copy()
    for year, column in zip(CENSUS_YEARS, working, strict=True):
        share = _numbers(raw, column, file, minimum=0) / 100.0
        if np.any(share > 1):
            row = int(np.argmax(share > 1)) + 2
            raise DataError(f"{file}: row {row}, column '{column}': above 100 %; allowed: 0 to 100")
        cities[f"working_age_share_{year}"] = share[order]
    for column in AGE_COLUMNS:
        cities[column] = _numbers(raw, column, file, minimum=0)[order]
    return cities


#: The ``status`` values of ``transport_links.csv`` (only ``existing`` links are open from
#: their ``year_open``; the others open only when a scenario names them), spelt exactly.
LINK_STATUSES: tuple[str, ...] = (
    "existing",
    "planned",
    "under_construction",
    "under_construction_or_recently_opened",
    "mixed",
)

#: The words a ``mode`` of ``transport_links.csv`` is made of (``hsr``, ``expressway_bridge``,
#: ``road+rail cross-sea``, ...); anything else (``teleport``) is refused rather than read as a
#: road.
LINK_MODE_WORDS: tuple[str, ...] = (
    "hsr",
    "rail",
    "road",
    "expressway",
    "corridor",
    "bridge",
    "cross",
    "sea",
    "port",
)

#: More residents than any city has (10^9 persons): larger values are typing mistakes.
MAX_POPULATION = 1e9


def _known_mode(text: str) -> bool:
    words = [w for w in re.split(r"[^a-z]+", text.lower()) if w]
    return bool(words) and all(w in LINK_MODE_WORDS for w in words)


def _load_links(directory: Path, city_ids: set[str]) -> pd.DataFrame:
    file = "transport_links.csv"
    required = [
        "link_id",
        "from_id",
        "to_id",
        "via_ids",
        "name_en",
        "mode",
        "status",
        "year_open",
        "length_km",
        "design_speed_kmh",
        "time_after_min",
    ]
    raw = _read_csv(directory / file, required)
    for row, link_id in enumerate(raw["link_id"]):
        if link_id.strip() == "":
            raise DataError(f"{file}: row {row + 2}, column 'link_id': value is missing")
    _refuse_duplicates(raw["link_id"], file, "link_id", "link id")
    via: list[tuple[str, ...]] = []
    for row, record in raw.iterrows():
        line = int(row) + 2
        stops = [s.strip() for s in record["via_ids"].split(";") if s.strip()]
        for column, values in (
            ("from_id", [record["from_id"]]),
            ("to_id", [record["to_id"]]),
            ("via_ids", stops),
        ):
            for city in values:
                if city not in city_ids:
                    raise DataError(
                        f"{file}: row {line}, column '{column}': {city!r} is not a city id in "
                        "cities.csv"
                    )
        if record["from_id"] == record["to_id"]:
            raise DataError(f"{file}: row {line}: a link cannot start and end in the same city")
        via.append(tuple(stops))
    for column, check, allowed in (
        ("status", lambda text: text in LINK_STATUSES, ", ".join(LINK_STATUSES)),
        ("mode", _known_mode, "a text made of the words " + ", ".join(LINK_MODE_WORDS)),
    ):
        for row, text in enumerate(raw[column]):
            if not check(text):
                raise DataError(
                    f"{file}: row {row + 2}, column '{column}': {text!r} is not allowed; "
                    f"allowed: {allowed}"
                )
    year = _numbers(raw, "year_open", file, required=False, minimum=1800, integer=True)
    existing = (raw["status"] == "existing").to_numpy()
    no_year = existing & np.isnan(year)
    if no_year.any():
        line = int(np.argmax(no_year)) + 2
        raise DataError(
            f"{file}: row {line}, column 'year_open': an existing link needs its opening year"
        )
    links = pd.DataFrame(
        {
            "link_id": raw["link_id"],
            "from_id": raw["from_id"],
            "to_id": raw["to_id"],
            "via_ids": via,
            "name_en": raw["name_en"],
            "mode": raw["mode"],
            "status": raw["status"],
            "year_open": pd.array([None if np.isnan(y) else int(y) for y in year], dtype="Int64"),
            "length_km": _numbers(raw, "length_km", file, required=False, minimum=0),
            "design_speed_kmh": _numbers(raw, "design_speed_kmh", file, required=False, minimum=1),
            "time_after_min": _numbers(raw, "time_after_min", file, required=False, minimum=1),
        }
    )
    return links


def _load_boundaries(directory: Path, city_ids: list[str]) -> dict:
    path = directory / "yrd_cities.geojson"
    if not path.is_file():
        raise DataError(f"{path}: file not found (the data folder must hold it)")
    file = "yrd_cities.geojson"
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{file}: not a GeoJSON FeatureCollection ({reason})") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise DataError(
            f"{file}: not a GeoJSON FeatureCollection (expected an object with a list 'features')"
        )
    found = []
    for number, feature in enumerate(features):
        where = f"{file}: feature {number}"
        if not isinstance(feature, dict):
            raise DataError(f"{where}: a feature must be an object, not {feature!r:.40}")
        properties = feature.get("properties")
        if not isinstance(properties, dict) or not isinstance(properties.get("id"), str):
            raise DataError(
                f"{where}: 'properties' must be an object with the city's 'id' (text); got "
                f"{properties!r:.60}"
            )
        city = properties["id"]
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in (
            "Polygon",
            "MultiPolygon",
        ):
            raise DataError(f"{where} ({city!r}): geometry must be a Polygon or MultiPolygon")
        problem = _coordinates_problem(geometry)
        if problem:
            raise DataError(f"{where} ({city!r}): geometry 'coordinates' {problem}")
        found.append(city)
    missing = sorted(set(city_ids) - set(found))
    unknown = sorted(set(found) - set(city_ids))
    if missing or unknown:
        raise DataError(
            "yrd_cities.geojson: feature ids must match cities.csv; "
            f"missing {missing}, unknown {unknown}"
        )
    return collection


def _coordinates_problem(geometry: dict) -> str | None:
    """What is wrong with a Polygon's or MultiPolygon's coordinates (``None``: nothing)."""
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return "must be a non-empty list of polygons"
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "must hold polygons, each a list of rings"
        for ring in polygon:
            try:
                points = np.asarray(ring, dtype=float)
            except (TypeError, ValueError):
                return "must hold rings of [longitude, latitude] numbers"
            if points.ndim != 2 or points.shape[1] < 2 or len(points) < 4:
                return "must hold rings of at least 4 [longitude, latitude] points"
            if not np.isfinite(points).all():
                return "hold a value that is not a finite number"
            if (np.abs(points[:, 0]) > 180).any() or (np.abs(points[:, 1]) > 90).any():
                return "are out of range (longitude -180 to 180, latitude -90 to 90 degrees)"
    return None


def polygon_rings(geometry: dict) -> list[np.ndarray]:
    """Outer rings of a Polygon/MultiPolygon as arrays of (lon, lat) rows."""
    if geometry["type"] == "Polygon":
        return [np.asarray(geometry["coordinates"][0], dtype=float)]
    return [np.asarray(polygon[0], dtype=float) for polygon in geometry["coordinates"]]


def great_circle_km(lat1, lon1, lat2, lon2):  # noqa: ANN001, ANN201 - numpy broadcasting
    """Great-circle distance in km (haversine), broadcasting over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def find_neighbours(
    boundaries: dict, city_ids: list[str], tolerance_km: float = NEIGHBOUR_TOLERANCE_KM
) -> tuple[tuple[int, int], ...]:
    """City pairs whose boundaries come within ``tolerance_km`` of each other.

    Vertices are projected to a local equirectangular plane (km) and paired with a k-d tree.
    """
    index = {c: i for i, c in enumerate(city_ids)}
    points, owners = [], []
    for feature in boundaries["features"]:
        owner = index[feature["properties"]["id"]]
        for ring in polygon_rings(feature["geometry"]):
            points.append(ring)
            owners.append(np.full(len(ring), owner))
    xy = np.concatenate(points)
    owner_of = np.concatenate(owners)
    lat0 = np.radians(xy[:, 1].mean())
    km = (
        np.column_stack((np.radians(xy[:, 0]) * np.cos(lat0), np.radians(xy[:, 1])))
        * EARTH_RADIUS_KM
    )
    pairs = cKDTree(km).query_pairs(tolerance_km, output_type="ndarray")
    a, b = owner_of[pairs[:, 0]], owner_of[pairs[:, 1]]
    different = a != b
    unique = {
        (int(min(i, j)), int(max(i, j))) for i, j in zip(a[different], b[different], strict=True)
    }
    return tuple(sorted(unique))


def load_region_data(data_dir: str | Path | None = None) -> RegionData:
    """Read and validate the data folder (the bundled data when ``data_dir`` is None).

    Args:
        data_dir: Folder holding ``cities.csv``, ``city_economy.csv``, ``city_demography.csv``,
            ``transport_links.csv`` and ``yrd_cities.geojson``.

    Returns:
        The validated :class:`RegionData`.

    Raises:
        DataError: A file is missing or a value is malformed; the message names the file, the
            row and the column.
    """
    if data_dir is not None and not isinstance(data_dir, str | Path):
        raise TypeError(
            f"data_dir: expected a folder (str or Path) or None, not {type(data_dir).__name__}"
        )
    directory = BUNDLED_DATA_DIR if data_dir is None else Path(data_dir)
    if not directory.is_dir():
        raise DataError(f"data_dir {str(directory)!r} is not a folder")
    cities = _load_cities(directory)
    cities = _attach_economy(cities, directory)
    cities = _attach_demography(cities, directory)
    cities = _attach_history(cities, directory)
    ids = list(cities["id"])
    links = _load_links(directory, set(ids))
    boundaries = _load_boundaries(directory, ids)
    neighbours = find_neighbours(boundaries, ids)
    return RegionData(
        cities=cities,
        links=links,
        neighbours=neighbours,
        boundaries=boundaries,
        source_dir=directory,
        city_index={c: i for i, c in enumerate(ids)},
        vital_rates=_load_vital_rates(directory),
        china=_load_china(directory),
    )
