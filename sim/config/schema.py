"""The validated configuration of one run, and its checks against the data.

Hydra composes the YAML under ``configs/``; the boundary (:mod:`sim.hydra.compose` or the CLI)
turns it into plain data and validates it here. The simulation core only ever sees a
:class:`SimConfig`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import math
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import annotated_types
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo

from scenarios.levers import ResidencyLever, ScenarioConfig
from scenarios.types import CENSUS_YEARS, LATEST_YEAR, StrictModel, Whole, mode_kind
from sim.config.parameters import BehaviourParams

if TYPE_CHECKING:
    from sim.core.data import RegionData

#: yrdsim's Hydra configuration folder (``configs/``, beside the ``sim`` package).
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
FIRST_YEAR = CENSUS_YEARS[0]
LAST_YEAR = LATEST_YEAR

log = logging.getLogger("yrdsim.config")


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


#: Top-level keys whose values change what is written but not any simulated number.
OUTPUT_ONLY_KEYS: tuple[str, ...] = ("output",)


def changes_results(key: str) -> bool:
    """Whether an override of ``key`` (e.g. ``output.figures``) can change simulated numbers."""
    top = key.lstrip("+~").split(".", 1)[0].split("=", 1)[0]
    return top not in OUTPUT_ONLY_KEYS


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

    seed: Annotated[Whole, Field(ge=0)]
    start_year: Annotated[Whole, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    end_year: Annotated[Whole, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    persons_per_agent: Annotated[Whole, Field(gt=0)]
    firms_per_agent: Annotated[Whole, Field(gt=0)]
    data_dir: str | None = None
    scenario: ScenarioConfig
    status_quo: StatusQuo
    params: BehaviourParams
    output: OutputOptions = OutputOptions()

    @field_validator("end_year")
    @classmethod
    def _horizon(cls, end_year: int, info: ValidationInfo) -> int:
        start_year = info.data.get("start_year")
        if start_year is not None and end_year < start_year:
            raise ValueError(
                f"{end_year} is before start_year ({start_year}); allowed: end_year from "
                f"start_year to {LAST_YEAR}"
            )
        return end_year

    @property
    def census_year(self) -> int:
        """The census the initial population comes from."""
        return max(y for y in CENSUS_YEARS if y <= self.start_year)

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated config, without its ``output`` options.

        The output options (e.g. whether figures are drawn) do not change any result, so runs
        differing only in them share a hash: a sweep re-run with ``output.figures=false``
        resumes the same runs, and the comparison does not group by them.
        """
        dump = self.model_dump(mode="json", by_alias=True, exclude=set(OUTPUT_ONLY_KEYS))
        text = json.dumps(dump, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _format_location(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += " (key)"
        else:
            path += ("." if path else "") + str(part)
    return path


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` and ``X | None`` from a type; return it with its constraints."""
    constraints: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                constraints += item.metadata if isinstance(item, FieldInfo) else [item]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation, constraints
            annotation = options[0]
        else:
            return annotation, constraints


def _model_field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _schema_at(location: tuple[Any, ...]) -> tuple[Any, list[Any]] | None:
    """The type (and its constraints) the configuration schema expects at ``location``."""
    annotation: Any = SimConfig
    constraints: list[Any] = []
    for part in location:
        annotation, more = _unwrap(annotation)
        constraints = more
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = _model_field(annotation, str(part))
            if info is None:
                return None
            annotation, constraints = info.annotation, list(info.metadata)
        elif origin in (list, tuple) and isinstance(part, int):
            annotation = args[0] if origin is list or args[-1] is Ellipsis else args[part]
            constraints = []
        elif origin is dict:
            annotation, constraints = (args[0] if part == "[key]" else args[1]), []
        else:
            return None
    annotation, more = _unwrap(annotation)
    return annotation, constraints + more


def _bounds(constraints: list[Any]) -> str:
    low = high = ""
    for item in constraints:
        if isinstance(item, annotated_types.Ge):
            low = f">= {item.ge:g}"
        elif isinstance(item, annotated_types.Gt):
            low = f"> {item.gt:g}"
        elif isinstance(item, annotated_types.Le):
            high = f"<= {item.le:g}"
        elif isinstance(item, annotated_types.Lt):
            high = f"< {item.lt:g}"
    if low.startswith(">=") and high.startswith("<="):
        return f" from {low[3:]} to {high[3:]}"
    return " " + " and ".join(b for b in (low, high) if b) if low or high else ""


def describe_allowed(location: tuple[Any, ...]) -> str | None:
    """What the schema allows at a location, in words (``None`` if it cannot say).

    Example:
        ``describe_allowed(("scenario", "vouchers", "subsidy_rate"))`` is
        ``"a number from 0 to 1"``.
    """
    found = _schema_at(location)
    if found is None:
        return None
    annotation, constraints = found
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number" + _bounds(constraints)
    if annotation is float:
        return "a number" + _bounds(constraints)
    if annotation is str:
        return "text"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping with the keys " + ", ".join(_model_keys(annotation))
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a mapping"
    return None


def valid_keys(location: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed inside the mapping at ``location`` (``None``: any key, or unknown)."""
    found = _schema_at(location)
    if found is None:
        return None
    annotation, _ = found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_keys(annotation)
    if typing.get_origin(annotation) is dict:
        key = typing.get_args(annotation)[0]
        if typing.get_origin(key) is typing.Literal:
            return [str(a) for a in typing.get_args(key)]
    return None


def unknown_key_message(location: tuple[Any, ...]) -> str:
    """Explain an unknown key: the closest valid keys and all keys allowed there."""
    keys = valid_keys(location[:-1]) or []
    message = "unknown key (not part of the configuration; check its spelling)"
    close = difflib.get_close_matches(str(location[-1]), keys, n=3, cutoff=0.6)
    if close:
        message += "; did you mean " + " or ".join(repr(k) for k in close) + "?"
    if keys:
        message += " Allowed keys here: " + ", ".join(keys)
    return message


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    if isinstance(value, float) and math.isnan(value):
        return " (got nan)"
    text = repr(value)
    return f" (got {text if len(text) <= 80 else text[:77] + '...'})"


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: ``full.path: message (got value); allowed: ...``."""
    lines = []
    for problem in error.errors():
        location = tuple(problem["loc"])
        path = _format_location(location) or "(top level)"
        kind = problem["type"]
        message = problem["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            lines.append(f"{path}: {unknown_key_message(location)}{_shown(problem.get('input'))}")
            continue
        if kind == "missing":
            message = "required value is missing (Field required)"
        own_words = kind == "value_error" and "allowed:" in message
        shown = "" if kind == "missing" or own_words else _shown(problem.get("input"))
        allowed = describe_allowed(location)
        already_said = (
            kind == "literal_error"
            or "allowed:" in message
            or (kind == "value_error" and (allowed or "").startswith(("a mapping", "a list")))
        )
        suffix = f"; allowed: {allowed}" if allowed and not already_said else ""
        lines.append(f"{path}: {message}{shown}{suffix}")
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
