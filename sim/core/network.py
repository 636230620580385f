"""The inter-city transport network and its travel times.

Every two cities that share a boundary are joined by a road timed from distance. Each link of
the data (and each new link a scenario adds) is a line through its stops; travelling between any
two stops of a line costs the in-vehicle time between them plus, on rail, one access time. The
travel time ``T[i, j]`` of a year is the shortest path over the links open in that year; it is
recomputed only when the set of open links changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import shortest_path

from scenarios.levers import TransportLever, TransportProject
from scenarios.types import mode_kind
from sim.config.parameters import TransportParams
from sim.core.data import RegionData, great_circle_km


@dataclass(frozen=True)
class Line:
    """One link as the network uses it.

    Attributes:
        link_id: Id of the link.
        stops: City indices along the line, endpoints included.
        in_vehicle_min: Cumulative in-vehicle minutes from the first stop to each stop.
        access_min: Minutes added once per trip on this line (stations).
        year: Opening year (``None``: never opens).
    """

    link_id: str
    stops: tuple[int, ...]
    in_vehicle_min: np.ndarray
    access_min: float
    year: int | None


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
    (``params.excluded_links``). A project naming a link of the data takes the data's route,
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
        lines.append(
            make_line(
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
        )
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


class TransportNetwork:
    """Roads between neighbouring cities plus the lines of the data and the scenario.

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
        self._cache: dict[frozenset[str], np.ndarray] = {}

    def open_lines(self, year: int) -> frozenset[str]:
        """Ids of the lines open in ``year``."""
        return frozenset(
            line.link_id for line in self.lines if line.year is not None and line.year <= year
        )

    def travel_times(self, year: int) -> np.ndarray:
        """Shortest-path travel time (minutes) between every two cities in ``year``.

        The diagonal is zero. Unreachable pairs would be ``inf``; the bundled network is
        connected.
        """
        key = self.open_lines(year)
        if key not in self._cache:
            weights = self.road.copy()
            for line in self.lines:
                if line.link_id not in key:
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
