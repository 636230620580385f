"""The inter-city transport network and its travel times.

Every two cities that share a boundary are joined by a road timed from distance. The historical
rail network comes from the rail travel-time data (``rail_times.csv``: Ma & Tang 2024, every
pair of cities, 1994-2020): in a year up to ``params.rail_times_until`` every two cities are
joined by a rail edge of the data's minutes of that year plus one access time. Each other link
of ``transport_links.csv`` (roads and bridges, rail links opened after the data end) and each
new link a scenario adds is a line through its stops; travelling between any two stops of a
line costs the in-vehicle time between them plus, on rail, one access time. The travel time
``T[i, j]`` of a year is the shortest path over the edges of that year; it is recomputed only
when the rail data or the set of open links change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import shortest_path

from scenarios.levers import TransportLever, TransportProject
from scenarios.types import mode_kind
from sim.config.parameters import TransportParams
from sim.core.data import BUNDLED_DATA_DIR, DataError, RegionData, great_circle_km

#: The rail travel-time data: ``from_id, to_id, year, minutes`` for every pair of cities.
RAIL_TIMES_FILE = "rail_times.csv"


@dataclass(frozen=True)
class Line:
    """One link as the network uses it.

    Attributes:
        link_id: Id of the link.
        stops: City indices along the line, endpoints included.
        in_vehicle_min: Cumulative in-vehicle minutes from the first stop to each stop.
        access_min: Minutes added once per trip on this line (stations).
        year: Opening year (``None``: never opens).
        in_rail_data: The line is an existing rail link that the rail data hold from its
            opening year on (its own timing is then not used).
    """

    link_id: str
    stops: tuple[int, ...]
    in_vehicle_min: np.ndarray
    access_min: float
    year: int | None
    in_rail_data: bool = False


def make_line(
    link_id: str,
    stops: list[int],
    mode: str,
    year: int | None,
    data: RegionData,
    params: TransportParams,
    *,
    in_vehicle_min: float | None = None,
    door_to_door_min: float | None = None,
    speed_kmh: float | None = None,
    length_km: float | None = None,
) -> Line:
    """Time a line through ``stops`` from what is known of it.

    The route length is ``length_km`` when it is at least the great-circle distance along the
    stops, else that distance times the mode's detour factor. The end-to-end in-vehicle time is,
    in order of preference: ``door_to_door_min`` less the access time (a scenario's ``minutes``),
    ``in_vehicle_min`` (a timetable time from the data), or length over speed (design speed
    times the rail speed factor on rail). Time is shared between segments in proportion to their
    distance; a trip on a rail line adds the access time once.
    """
    kind = mode_kind(mode)
    on_rail = kind != "road"
    lat = data.cities["lat"].to_numpy()[stops]
    lon = data.cities["lon"].to_numpy()[stops]
    segment_km = great_circle_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    straight = float(segment_km.sum())
    detour = params.rail_detour if on_rail else params.road_detour
    route_km = length_km if length_km is not None and length_km >= straight else straight * detour
    access = params.rail_access_min if on_rail else 0.0
    if door_to_door_min is not None:
        total = max(door_to_door_min - access, 1.0)
    elif in_vehicle_min is not None:
        total = in_vehicle_min
    else:
        speed = speed_kmh if speed_kmh is not None else params.default_design_speed_kmh[kind]
        effective = speed * params.rail_speed_factor if on_rail else speed
        total = route_km / effective * 60.0
    shares = (
        segment_km / straight if straight > 0 else np.full(len(segment_km), 1 / len(segment_km))
    )
    cumulative = np.concatenate(([0.0], np.cumsum(shares * total)))
    return Line(link_id, tuple(stops), cumulative, access, year)


def _data_value(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _data_attr(row: object | None, column: str) -> float | None:
    """A numeric attribute of a data link, or ``None`` when there is no row or no value."""
    return None if row is None else _data_value(getattr(row, column))


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def build_lines(data: RegionData, lever: TransportLever, params: TransportParams) -> list[Line]:
    """All lines a run can use: existing links of the data plus the lever's projects.

    Existing links open in their data year unless removed by the lever (``remove_links``) or
    excluded as not carrying passengers between the city centres
    (``params.excluded_links``); an existing rail link opened by ``params.rail_times_until`` is
    marked as held by the rail data. A project naming a link of the data takes the data's route,
    mode, length, speed and timetable time unless it gives its own; a project that gives its own
    endpoints keeps only the data's mode.
    """
    index = data.city_index
    by_id = {row.link_id: row for row in data.links.itertuples(index=False)}
    skipped = set(lever.remove_links) | set(params.excluded_links)
    projects: dict[str, TransportProject] = {p.link_id: p for p in lever.projects}
    lines: list[Line] = []
    for row in data.links.itertuples(index=False):
        if row.link_id in skipped or row.link_id in projects or row.status != "existing":
            continue
        stops = [index[row.from_id], *(index[v] for v in row.via_ids), index[row.to_id]]
        line = make_line(
            row.link_id,
            stops,
            row.mode,
            int(row.year_open),
            data,
            params,
            in_vehicle_min=_data_value(row.time_after_min),
            speed_kmh=_data_value(row.design_speed_kmh),
            length_km=_data_value(row.length_km),
        )
        until = params.rail_times_until
        if until is not None and mode_kind(row.mode) != "road" and int(row.year_open) <= until:
            line = replace(line, in_rail_data=True)
        lines.append(line)
    for project in lever.projects:
        known = by_id.get(project.link_id)
        if project.from_ is not None:
            stop_ids = [project.from_, *project.via, project.to]
        else:
            stop_ids = [known.from_id, *known.via_ids, known.to_id]
        # The data's timetable time, speed and length describe the data's route only.
        route_of = known if project.from_ is None else None

        lines.append(
            make_line(
                project.link_id,
                [index[c] for c in stop_ids],
                project.mode or (known.mode if known is not None else "road"),
                project.year,
                data,
                params,
                door_to_door_min=project.minutes,
                in_vehicle_min=_data_attr(route_of, "time_after_min"),
                speed_kmh=_first(project.speed_kmh, _data_attr(route_of, "design_speed_kmh")),
                length_km=_first(project.length_km, _data_attr(route_of, "length_km")),
            )
        )
    return lines


@lru_cache(maxsize=4)
def _read_rail_times(path: Path, city_ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Years and ``(years, n, n)`` minutes of a rail travel-time file (read once per file)."""
    frame = pd.read_csv(path)
    missing = {"from_id", "to_id", "year", "minutes"} - set(frame.columns)
    if missing:
        raise DataError(f"{path.name}: missing column(s) {sorted(missing)}")
    index = {c: i for i, c in enumerate(city_ids)}
    unknown = sorted((set(frame["from_id"]) | set(frame["to_id"])) - set(index))
    if unknown:
        raise DataError(f"{path.name}: unknown city id(s) {unknown}")
    years = np.sort(frame["year"].unique()).astype(int)
    if not np.array_equal(years, np.arange(years[0], years[-1] + 1)):
        raise DataError(f"{path.name}: years must be consecutive, got {years.tolist()}")
    n = len(city_ids)
    minutes = np.full((len(years), n, n), np.nan)
    t = frame["year"].to_numpy(dtype=int) - years[0]
    i = frame["from_id"].map(index).to_numpy()
    j = frame["to_id"].map(index).to_numpy()
    value = frame["minutes"].to_numpy(dtype=float)
    minutes[t, i, j] = value
    minutes[t, j, i] = value
    for k in range(len(years)):
        np.fill_diagonal(minutes[k], 0.0)
    if np.isnan(minutes).any() or (minutes < 0).any():
        raise DataError(f"{path.name}: every pair of cities needs a non-negative time each year")
    minutes.setflags(write=False)
    return years, minutes


def rail_times(data: RegionData) -> tuple[np.ndarray, np.ndarray]:
    """The rail travel-time data: years and ``(years, n, n)`` minutes between city centres.

    Read from the data folder, else the bundled copy (Ma & Tang 2024, ``sim/data/SOURCES.md``):
    model times on the rail network (least-cost paths over a design-speed raster), station
    access not included.
    """
    path = Path(data.source_dir) / RAIL_TIMES_FILE
    if not path.is_file():
        path = BUNDLED_DATA_DIR / RAIL_TIMES_FILE
    return _read_rail_times(path.resolve(), tuple(data.city_ids))


class TransportNetwork:
    """Roads between neighbouring cities, the rail data and the lines of the data and scenario.

    Up to ``params.rail_times_until`` the rail network of a year is the rail data of that year
    (every two cities joined by the data's minutes plus ``rail_access_min``); the data's rail
    links opened by then are not timed again. After it, the data of that last year stay and the
    lines opened later (links of the data, the scenario's projects) are added, so a new line
    shortens the trips it serves relative to the last data year. Road links and projects are
    lines in every year. ``T`` is the shortest path over roads, rail edges and open lines.

    Args:
        data: The region's data.
        lever: The scenario's transport lever.
        params: How travel times are derived.
    """

    def __init__(self, data: RegionData, lever: TransportLever, params: TransportParams) -> None:
        self.n = data.n_cities
        lat = data.cities["lat"].to_numpy()
        lon = data.cities["lon"].to_numpy()
        self.road = np.full((self.n, self.n), np.inf)
        no_road = {frozenset(pair) for pair in params.no_road_between}
        ids = data.city_ids
        for i, j in data.neighbours:
            if frozenset((ids[i], ids[j])) in no_road:
                continue
            km = float(great_circle_km(lat[i], lon[i], lat[j], lon[j])) * params.road_detour
            self.road[i, j] = self.road[j, i] = km / params.road_speed_kmh * 60.0
        self.lines = build_lines(data, lever, params)
        self.rail: np.ndarray | None = None
        self._rail_epoch: dict[int, int] = {}
        self._rail_by_epoch: dict[int, np.ndarray] = {}
        if params.rail_times_until is not None:
            years, minutes = rail_times(data)
            last = min(params.rail_times_until, int(years[-1]))
            # A year's rail network is named by the first year with the same times, so that
            # travel times are recomputed (and recorded) only in years the rail network changed.
            epoch = int(years[0])
            for k, year in enumerate(range(int(years[0]), last + 1)):
                if k > 0 and not np.array_equal(minutes[k], minutes[k - 1]):
                    epoch = year
                self._rail_epoch[year] = epoch
                self._rail_by_epoch.setdefault(epoch, minutes[k] + params.rail_access_min)
            self._first_rail_year, self._last_rail_year = int(years[0]), last
        self._cache: dict[frozenset[str], np.ndarray] = {}

    def rail_epoch(self, year: int) -> int | None:
        """The first year of the rail data whose times hold in ``year`` (``None``: no data)."""
        if not self._rail_epoch:
            return None
        return self._rail_epoch[min(max(year, self._first_rail_year), self._last_rail_year)]

    def open_lines(self, year: int) -> frozenset[str]:
        """Ids of the lines open in ``year``, plus ``rail_times:<year>`` for the rail data.

        The rail data's network in use is named by the first data year with the same times, so
        that two years share a key exactly when their travel times are the same.
        """
        ids = {line.link_id for line in self.lines if line.year is not None and line.year <= year}
        epoch = self.rail_epoch(year)
        if epoch is not None:
            ids.add(f"rail_times:{epoch}")
        return frozenset(ids)

    def travel_times(self, year: int) -> np.ndarray:
        """Shortest-path travel time (minutes) between every two cities in ``year``.

        The diagonal is zero. Unreachable pairs would be ``inf``; the bundled network is
        connected.
        """
        key = self.open_lines(year)
        if key not in self._cache:
            weights = self.road.copy()
            epoch = self.rail_epoch(year)
            if epoch is not None:
                weights = np.minimum(weights, self._rail_by_epoch[epoch])
            for line in self.lines:
                if line.link_id not in key or (epoch is not None and line.in_rail_data):
                    continue
                stops = np.asarray(line.stops)
                minutes = (
                    np.abs(line.in_vehicle_min[:, None] - line.in_vehicle_min[None, :])
                    + line.access_min
                )
                block = weights[np.ix_(stops, stops)]
                weights[np.ix_(stops, stops)] = np.minimum(block, minutes)
            np.fill_diagonal(weights, np.inf)
            finite = np.where(np.isfinite(weights), weights, 0.0)
            times = shortest_path(finite, method="D", directed=False)
            self._cache[key] = times
        return self._cache[key]


def project_savings(
    data: RegionData, lever: TransportLever, params: TransportParams, year: int, *, tol: float = 0.5
) -> dict[str, dict[tuple[str, str], tuple[float, float]]]:
    """What each project of a lever shortens, projects added in the lever's order.

    For each project, the pairs of cities (ids, ``a < b`` in city order) whose travel time in
    ``year`` falls by more than ``tol`` minutes when the project is added to the network of the
    projects listed before it, with the times before and after. A project opening after
    ``year`` shortens nothing.
    """
    ids = data.city_ids
    upper = np.triu_indices(data.n_cities, 1)
    out: dict[str, dict[tuple[str, str], tuple[float, float]]] = {}
    before = TransportNetwork(
        data, TransportLever(projects=[], remove_links=lever.remove_links), params
    ).travel_times(year)
    for k, project in enumerate(lever.projects):
        partial = TransportLever(projects=lever.projects[: k + 1], remove_links=lever.remove_links)
        after = TransportNetwork(data, partial, params).travel_times(year)
        shorter = (after < before - tol)[upper]
        out[project.link_id] = {
            (ids[i], ids[j]): (float(before[i, j]), float(after[i, j]))
            for i, j in zip(upper[0][shorter], upper[1][shorter], strict=True)
        }
        before = after
    return out


def project_stops(data: RegionData, project: TransportProject) -> list[str]:
    """City ids a project stops at: its own endpoints and via cities, else its data link's."""
    if project.from_ is not None:
        return [project.from_, *project.via, project.to]
    row = data.links.set_index("link_id").loc[project.link_id]
    return [row["from_id"], *row["via_ids"], row["to_id"]]
