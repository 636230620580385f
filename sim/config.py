"""The validated configuration of one run, and its checks against the data.

Hydra composes the YAML under ``configs/``; the boundary (:mod:`sim.compose` or the CLI) turns it
into plain data and validates it here. The simulation core only ever sees a :class:`SimConfig`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from scenarios.levers import ResidencyLever, ScenarioConfig, StrictModel
from sim.data import CENSUS_YEARS, RegionData
from sim.network import mode_kind
from sim.parameters import BehaviourParams

FIRST_YEAR = CENSUS_YEARS[0]
LAST_YEAR = 2100


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names the field's path."""


class OutputOptions(StrictModel):
    """What a run writes besides its tables.

    Attributes:
        figures: Draw the run's figures into ``figures/``.
    """

    figures: bool = True


class StatusQuo(StrictModel):
    """The policies in force at the start year, against which the start state is calibrated.

    City amenities are set so that the first year's expected migration under these policies
    matches its target (see ``params.migration.amenities``); a scenario's levers then act
    against this calibrated start. The default is the baseline's 2019 rules; a hindcast from
    2010 would point it at the rules of 2010.

    Attributes:
        residency: Settlement policy in force at the start.
    """

    residency: ResidencyLever


class SimConfig(StrictModel):
    """Everything one run needs: horizon, scale, seed, scenario (levers) and parameters.

    Attributes:
        seed: Seed of the model's random generator; the same seed gives the same tables.
        start_year: First year; the population starts from the latest census at or before it.
        end_year: Last simulated year (inclusive).
        persons_per_agent: Residents represented by one talent agent.
        firms_per_agent: Real firms represented by one firm agent.
        data_dir: Folder with the input data; ``None`` uses the bundled data.
        scenario: The levers.
        status_quo: The policies in force at the start (for calibrating the start state).
        params: Behavioural parameters and initial-condition assumptions.
        output: Output options.
    """

    seed: Annotated[int, Field(ge=0)]
    start_year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    end_year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    persons_per_agent: Annotated[int, Field(gt=0)]
    firms_per_agent: Annotated[int, Field(gt=0)]
    data_dir: str | None = None
    scenario: ScenarioConfig
    status_quo: StatusQuo
    params: BehaviourParams
    output: OutputOptions = OutputOptions()

    @model_validator(mode="after")
    def _horizon(self) -> SimConfig:
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year ({self.end_year}) must not be before start_year ({self.start_year})"
            )
        return self

    @property
    def census_year(self) -> int:
        """The census the initial population comes from."""
        return max(y for y in CENSUS_YEARS if y <= self.start_year)

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated config."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _format_location(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: ``full.path: message (got value)``."""
    lines = []
    for problem in error.errors():
        path = _format_location(problem["loc"]) or "(top level)"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown key (not part of the configuration; check its spelling)"
        got = problem.get("input")
        shown = (
            "" if problem["type"] in ("missing",) or isinstance(got, dict) else f" (got {got!r})"
        )
        lines.append(f"{path}: {message}{shown}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any]) -> SimConfig:
    """Validate plain configuration data (from Hydra or a dict).

    Raises:
        ConfigError: With one line per problem naming the field's full path.
    """
    try:
        return SimConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def check_against_data(config: SimConfig, data: RegionData) -> None:
    """Check the city ids, link ids and scale a config uses against the loaded data.

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
