"""Checks of a valid configuration: warnings about what it does not do, and against the data."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scenarios.types import CENSUS_YEARS, mode_kind

if TYPE_CHECKING:
    from sim.core.data import RegionData

from sim.config.resources import memory_problem
from sim.config.schema import ConfigError, SimConfig

log = logging.getLogger("yrdsim.config")


def _some(items: list[str], shown: int = 3) -> str:
    """The first few items, then how many more (a warning stays one readable line)."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more} more" if more > 0 else "")


def config_warnings(config: SimConfig) -> list[str]:
    """Settings that are allowed but probably not what was meant, one message each.

    A transport project opening before the start year is open from the first year (as an
    existing link of the data with an earlier ``year_open`` is); one opening after the end
    year never opens within the run (a delayed scenario may push projects past the horizon).
    Vouchers whose ``start_year`` is after the end year are never issued.
    """
    warnings = []
    transport = config.scenario.transport
    early = [
        f"projects[{n}] {p.link_id} ({p.year})"
        for n, p in enumerate(transport.projects)
        if p.year < config.start_year
    ]
    late = [
        f"projects[{n}] {p.link_id} ({p.year})"
        for n, p in enumerate(transport.projects)
        if p.year > config.end_year
    ]
    if early:
        warnings.append(
            f"scenario.transport: {_some(early)} open(s) before start_year "
            f"{config.start_year}; treated as open from {config.start_year}"
        )
    if late:
        warnings.append(
            f"scenario.transport: {_some(late)} open(s) after end_year {config.end_year}; "
            "no effect in this run"
        )
    vouchers = config.scenario.vouchers
    if vouchers.start_year > config.end_year and not vouchers.total_budget_is_zero:
        warnings.append(
            f"scenario.vouchers.start_year: {vouchers.start_year} is after end_year "
            f"{config.end_year}; no vouchers are issued in this run"
        )
    if config.scenario.name.startswith("hindcast_") and config.start_year >= CENSUS_YEARS[-1]:
        warnings.append(
            f"scenario: {config.scenario.name} holds the policies of a past decade but this run "
            f"starts in {config.start_year}; for the hindcast run experiment="
            f"{config.scenario.name}, which also sets its years and status quo"
        )
    return warnings


def unreachable_cities(config: SimConfig, data: RegionData) -> list[str]:
    """Cities no road or line of the start year connects to the first city.

    Roads join cities that share a boundary (less ``params.transport.no_road_between``); lines
    are the data's existing links (less the excluded and removed ones) and the scenario's
    projects opening by the start year, each joining all its stops.
    """
    ids = data.city_ids
    index = {city: i for i, city in enumerate(ids)}
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(stops: list[str]) -> None:
        known = [index[s] for s in stops if s in index]
        for other in known[1:]:
            parent[root(other)] = root(known[0])

    no_road = {frozenset(pair) for pair in config.params.transport.no_road_between}
    for i, j in data.neighbours:
        if frozenset((ids[i], ids[j])) not in no_road:
            join([ids[i], ids[j]])
    transport = config.scenario.transport
    closed = set(config.params.transport.excluded_links) | set(transport.remove_links)
    stops_of = {}
    for row in data.links.itertuples(index=False):
        stops_of[row.link_id] = [row.from_id, *row.via_ids, row.to_id]
        if row.status == "existing" and row.link_id not in closed:
            join(stops_of[row.link_id])
    for project in transport.projects:
        if project.year <= config.start_year:
            if project.from_ is not None and project.to is not None:
                join([project.from_, *project.via, project.to])
            else:
                join(stops_of.get(project.link_id, []))
    first = root(0)
    return [city for i, city in enumerate(ids) if root(i) != first]


def check_against_data(config: SimConfig, data: RegionData) -> None:
    """Check the city ids, link ids and scale a config uses against the loaded data.

    Settings that are allowed but have no or an unexpected effect (see
    :func:`config_warnings`) are logged as warnings on the ``yrdsim.config`` logger.

    Raises:
        ConfigError: Naming the field's full path, the bad value and the allowed values.
    """
    ids = set(data.city_ids)
    allowed = ", ".join(data.city_ids)
    link_ids = set(data.links["link_id"])
    problems: list[str] = []
    transport = config.scenario.transport
    modes = dict(zip(data.links["link_id"], data.links["mode"], strict=True))
    access = config.params.transport.rail_access_min
    for number, project in enumerate(transport.projects):
        path = f"scenario.transport.projects[{number}]"
        mode = project.mode or modes.get(project.link_id, "road")
        if project.minutes is not None and mode_kind(mode) != "road" and project.minutes <= access:
            problems.append(
                f"{path}.minutes: {project.minutes:g} is door to door and must exceed the "
                f"{access:g} minutes of station access on rail (params.transport.rail_access_min)"
            )
        if project.from_ is None and project.link_id not in link_ids:
            problems.append(
                f"{path}.link_id: {project.link_id!r} is not a link in transport_links.csv and "
                "the project names no endpoints ('from', 'to') for a new link; links are: "
                + ", ".join(sorted(link_ids))
            )
        for key, city in (("from", project.from_), ("to", project.to)):
            if city is not None and city not in ids:
                problems.append(f"{path}.{key}: {city!r} is not a city id; allowed: {allowed}")
        for k, city in enumerate(project.via):
            if city not in ids:
                problems.append(f"{path}.via[{k}]: {city!r} is not a city id; allowed: {allowed}")
    params = config.params.transport
    for number, pair in enumerate(params.no_road_between):
        for k, city in enumerate(pair):
            if city not in ids:
                problems.append(
                    f"params.transport.no_road_between[{number}][{k}]: {city!r} is not a city "
                    f"id; allowed: {allowed}"
                )
    for number, link in enumerate(params.excluded_links):
        if link not in link_ids:
            problems.append(
                f"params.transport.excluded_links[{number}]: {link!r} is not a link in "
                "transport_links.csv"
            )
    for number, link in enumerate(transport.remove_links):
        if link not in link_ids:
            problems.append(
                f"scenario.transport.remove_links[{number}]: {link!r} is not a link in "
                "transport_links.csv"
            )
    for city in config.scenario.vouchers.budget_rmb_per_year_by_city:
        if city not in ids:
            problems.append(
                f"scenario.vouchers.budget_rmb_per_year_by_city.{city}: not a city id; "
                f"allowed: {allowed}"
            )
    for prefix, lever in (("scenario", config.scenario), ("status_quo", config.status_quo)):
        for city in lever.residency.city_overrides:
            if city not in ids:
                problems.append(
                    f"{prefix}.residency.city_overrides.{city}: not a city id; allowed: {allowed}"
                )
    population = data.census_population(config.census_year)
    memory = memory_problem(float(population.sum()), config.persons_per_agent, config.census_year)
    if memory:
        raise ConfigError(memory)  # alone: the other checks do not matter at this size
    unreachable = unreachable_cities(config, data)
    if unreachable:
        problems.append(
            f"transport network: {_some(unreachable)} cannot be reached from "
            f"{data.city_ids[0]} (no shared boundary with a connected city and no existing "
            "link; params.transport.no_road_between, excluded_links and "
            "scenario.transport.remove_links included); every city must be reachable"
        )
    smallest = int(population.min())
    if config.persons_per_agent > smallest:
        city = data.city_ids[int(population.argmin())]
        problems.append(
            f"persons_per_agent: {config.persons_per_agent} leaves {city} "
            f"({smallest:,} residents in {config.census_year}) with no talent agent; "
            f"allowed: 1 to {smallest:,}"
        )
    if problems:
        raise ConfigError("\n".join(problems))
    for warning in config_warnings(config):
        log.warning(warning)
