"""Check a ``yrdsim`` command line before Hydra starts: one clear message per mistake.

Hydra refuses an unknown scenario, a typo in a key or a missing group option in its own words
(exit status 1, a hint about ``HYDRA_FULL_ERROR``), and a sweep would only find a bad value
when it reaches that run. :func:`check_command_line` composes every configuration the command
would run (each value of a sweep, in the command line or in an experiment file) with Hydra's
compose API, validates it and checks it against its data, and turns every failure into a
:class:`~sim.config.schema.ConfigError` (or :class:`~sim.core.data.DataError`) naming the
field's full path, the bad value and what is allowed, e.g.::

    scenario=foo: 'foo' is not a scenario; allowed: baseline, integrated, ...
    sede: unknown key (not part of the configuration; check its spelling); did you mean 'seed'?

Overrides: ``key=value`` changes a value that exists; ``+key=value`` adds an entry, which only
a free mapping accepts (city budgets, city overrides; anything else is refused by validation as
an unknown key with the closest valid keys); ``++key=value`` adds or changes. A launcher
choice (``hydra/launcher=joblib``, ``hydra/launcher=slurm``) is composed with the rest, so its
settings (``hydra.launcher.n_jobs=2``, ``hydra.launcher.partition=compute``, ...) are accepted
and a misspelt one is refused with the launcher's settings listed. This module
belongs to the command-line side (it imports Hydra); the simulation core does not use it.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import itertools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Glob, Override, OverrideType
from hydra.errors import HydraException, MissingConfigException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from sim.config.checks import check_against_data
from sim.config.schema import CONFIG_DIR, ConfigError, SimConfig
from sim.config.validation import describe_allowed, unknown_key_message, valid_keys, validate_config
from sim.core.data import RegionData, load_region_data
from sim.hydra.private import hydra_args_parser
from sim.runs.folders import check_output_folder

#: Where Hydra's override syntax is explained.
GRAMMAR_URL = "https://hydra.cc/docs/1.3/advanced/override_grammar/basic/"

_PREFIX = {OverrideType.ADD: "+", OverrideType.FORCE_ADD: "++", OverrideType.DEL: "~"}


def _location(key: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def _render(override: Override, value: str) -> str:
    """The override with one value (used for each value of a sweep)."""
    prefix = _PREFIX.get(override.type, "")
    package = f"@{override.package}" if override.package else ""
    return f"{prefix}{override.key_or_group}{package}={value}"


def parse_overrides(overrides: list[str]) -> list[Override]:
    """Parse command-line overrides, naming the one that cannot be read.

    Raises:
        ConfigError: An override does not follow Hydra's override grammar.
    """
    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            parsed += parser.parse_overrides([text])
        except HydraException as exc:
            reason = str(exc).splitlines()[0]
            raise ConfigError(
                f"cannot read the override {text!r} ({reason}); write key=value, e.g. seed=3; "
                f"see {GRAMMAR_URL}"
            ) from None
    return parsed


def _closest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=2, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _missing_option(exc: MissingConfigException) -> str:
    missing = exc.missing_cfg_file or ""
    options = sorted(exc.options or [])
    if "/" not in missing or not options:
        return f"cannot find the config {missing!r} ({str(exc).splitlines()[0]})"
    group, name = missing.rsplit("/", 1)
    what = "a scenario" if group == "scenario" else f"an option of the config group {group}"
    return (
        f"{group}={name}: {name!r} is not {what}; allowed: {', '.join(options)}"
        f"{_closest(name, options)}"
    )


def _unknown_override(key: str) -> str:
    """Explain an override of a key the configuration does not have."""
    if "/" in key:
        from hydra.core.global_hydra import GlobalHydra

        parent, _, name = key.rpartition("/")
        groups = sorted(GlobalHydra.instance().config_loader().list_groups(parent))
        return (
            f"{key}: no config group {name!r} under {parent}/; allowed: "
            + ", ".join(f"{parent}/{g}" for g in groups)
            + _closest(name, groups)
        )
    location = _location(key)
    parent = location[:-1]
    keys = valid_keys(parent)
    allowed = describe_allowed(parent) if parent else None
    free_mapping = keys is None and allowed == "a mapping"
    if free_mapping or (keys is not None and location[-1] in keys):
        return (
            f"{key}: not set in the configuration; add the entry with +{key}=VALUE "
            f"(allowed: {describe_allowed(location) or 'see the schema'})"
        )
    if keys is None and not free_mapping and parent and describe_allowed(parent) is None:
        # not a key of ours (e.g. under hydra.): Hydra's own tree is not in the schema
        return f"{key}: unknown key (not part of the configuration; check its spelling)"
    return f"{key}: {unknown_key_message(location)}"


_COMPOSE_ERRORS = (HydraException, OmegaConfBaseException, yaml.YAMLError)


def translate_hydra_error(exc: Exception) -> ConfigError:
    """A Hydra/OmegaConf/YAML composition error as one message in yrdsim's words.

    Args:
        exc: What ``hydra.compose`` (or ``OmegaConf.to_container``) raised.

    Returns:
        The :class:`~sim.config.schema.ConfigError` to raise instead (``raise ... from None``).
    """
    text = str(exc)
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return ConfigError(
            f"{mark.name}: line {mark.line + 1}, column {mark.column + 1}: not valid YAML "
            f"({exc.context + ': ' if exc.context else ''}{exc.problem})"
        )
    if isinstance(exc, MissingConfigException):
        return ConfigError(_missing_option(exc))
    if match := re.search(r"Could not override '([^']+)'", text):
        return ConfigError(_unknown_override(match.group(1)))
    if match := re.search(r"An item is already at '([^']+)'", text):
        key = match.group(1)
        return ConfigError(
            f"+{key}: {key} is already in the configuration; change it without the '+': "
            f"{key}=VALUE"
        )
    if match := re.search(r"Could not delete from config. '([^']+)' does not exist", text):
        return ConfigError(f"~{match.group(1)}: not in the configuration, nothing to delete")
    if isinstance(exc, OmegaConfBaseException) and getattr(exc, "full_key", None):
        return ConfigError(f"{exc.full_key}: {getattr(exc, 'msg', text).splitlines()[0]}")
    return ConfigError(text.strip().split("\n\n")[0])


def _unknown_launcher_key(
    exc: Exception, config_name: str, choices: list[str]
) -> ConfigError | None:
    """A key the chosen launcher does not have, with the keys it has (None: not that error).

    Args:
        exc: What composing the command line raised.
        config_name: The primary config's name.
        choices: The ``hydra/...`` overrides of the command line (the launcher chosen).
    """
    match = re.search(r"Could not override '(hydra\.launcher\.([^'.]+))'", str(exc))
    if match is None:
        return None
    key, name = match.groups()
    try:
        config = compose(config_name=config_name, overrides=choices, return_hydra_config=True)
    except _COMPOSE_ERRORS:
        return None
    launcher = config.hydra.launcher
    keys = sorted(str(k) for k in launcher if k != "_target_")
    target = str(launcher.get("_target_", "")).rsplit(".", 1)[-1]
    choice = next((c for c in choices if c.startswith("hydra/launcher=")), "the default launcher")
    if name in keys:  # a setting it has, given a value Hydra cannot assign
        if OmegaConf.is_dict(launcher[name]):
            return ConfigError(
                f"{key}: a mapping of the launcher {target}; Hydra cannot replace it whole "
                f"from the command line: add one entry at a time, e.g. +{key}.mail-type=END"
            )
        return None
    if not keys:
        return ConfigError(
            f"{key}: the launcher {target} ({choice}) has no settings; choose a launcher "
            "that has it first, e.g. hydra/launcher=joblib or hydra/launcher=slurm"
        )
    return ConfigError(
        f"{key}: {name!r} is not a setting of the launcher {target} ({choice}); allowed: "
        f"{', '.join(keys)}{_closest(name, keys)}"
    )


def to_plain_checked(config: DictConfig) -> dict[str, Any]:
    """Resolve a composed config into plain data, explaining missing (``???``) values.

    Raises:
        ConfigError: A value is missing (``???``) or an interpolation cannot be resolved.
    """
    try:
        plain = OmegaConf.to_container(config, resolve=True, throw_on_missing=True)
    except MissingMandatoryValue as exc:
        key = exc.full_key
        allowed = describe_allowed(_location(key))
        return_hint = f"; allowed: {allowed}" if allowed else ""
        raise ConfigError(
            f"{key}: required value is missing ('???' in the configuration); set it, e.g. "
            f"on the command line {key}=VALUE{return_hint}"
        ) from None
    except OmegaConfBaseException as exc:
        raise translate_hydra_error(exc) from None
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    return plain


@contextlib.contextmanager
def _quiet_config_warnings() -> Iterator[None]:
    """The check runs before logging is set up; the run itself logs the warnings once."""
    logger = logging.getLogger("yrdsim.config")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _sweep_values(override: Override, group_options: list[str]) -> list[str]:
    if isinstance(override._value, Glob):  # Hydra has no public accessor
        return override._value.filter(group_options)
    return list(override.sweep_string_iterator())


def _variants(
    sweeps: dict[str, tuple[Override, list[str]]], fixed: list[str]
) -> list[tuple[str, list[str]]]:
    """One override list per value of each sweep (the others at their first value)."""
    first = {key: _render(o, values[0]) for key, (o, values) in sweeps.items()}
    variants = [("", [*fixed, *first.values()])]
    for key, (override, values) in sweeps.items():
        for value in values[1:]:
            chosen = _render(override, value)
            others = [v for k, v in first.items() if k != key]
            variants.append((chosen, [*fixed, *others, chosen]))
    return variants


def check_overrides(
    overrides: list[str],
    *,
    config_dir: str | Path | None = None,
    config_name: str = "config",
    extra_config_dirs: list[str | Path] | None = None,
    multirun: bool = False,
    check_data: bool = True,
    checked: Checked | None = None,
) -> list[SimConfig]:
    """Compose, validate and check every configuration a command line would run.

    Args:
        overrides: Hydra overrides as on the command line (``hydra.*`` ones are passed on).
        config_dir: The primary config folder (default: yrdsim's ``configs/``).
        config_name: The primary config's name.
        extra_config_dirs: Folders added to the search path (``--config-dir``).
        multirun: ``-m``/``--multirun`` was given (an experiment may also set
            ``hydra.mode: MULTIRUN``).
        check_data: Also load each config's data folder and check the config against it.
        checked: Filled with the validated configurations and the data loaded.

    Returns:
        The validated configurations: the first run's, then one per other sweep value.

    Raises:
        ConfigError: An override cannot be read or composed, or a configuration is invalid.
        DataError: A configuration's data folder cannot be loaded.
    """
    parsed = parse_overrides(overrides)
    extras = [Path(d).resolve() for d in extra_config_dirs or []]
    searchpath = [f"file://{d}" for d in extras]
    fixed = [f"hydra.searchpath=[{','.join(searchpath)}]"] if searchpath else []
    sweeps: dict[str, tuple[Override, list[str]]] = {}
    directory = str(Path(config_dir or CONFIG_DIR).resolve())
    with initialize_config_dir(config_dir=directory, version_base="1.3"):
        for override, text in zip(parsed, overrides, strict=True):
            if override.key_or_group.startswith("hydra/"):
                # a launcher/sweeper choice: composed with the rest, so that its own keys
                # (hydra.launcher.n_jobs, hydra.launcher.partition, ...) can be checked
                fixed.append(text)
                continue
            if not override.is_sweep_override():
                _refuse_subgroup_option(override)
                _check_group_value(override, override.get_value_element_as_str(), extras)
                fixed.append(text)
                continue
            values = _sweep_values(override, _group_options(override.key_or_group, extras))
            if not values:
                raise ConfigError(f"{text}: the sweep has no values")
            for value in values:
                _check_group_value(override, value, extras)
            sweeps[override.get_key_element()] = (override, values)
        try:
            base = compose(
                config_name=config_name,
                overrides=_variants(sweeps, fixed)[0][1],
                return_hydra_config=True,
            )
        except _COMPOSE_ERRORS as exc:
            choices = [t for o, t in zip(parsed, overrides, strict=True)
                       if o.key_or_group.startswith("hydra/")]  # fmt: skip
            error = _unknown_launcher_key(exc, config_name, choices)
            raise (error or translate_hydra_error(exc)) from None
        is_multirun = multirun or str(OmegaConf.select(base, "hydra.mode")) == "RunMode.MULTIRUN"
        if sweeps and not is_multirun:
            text = next(t for o, t in zip(parsed, overrides, strict=True) if o.is_sweep_override())
            key = text.split("=", 1)[0]
            raise ConfigError(
                f"{text}: several values run a sweep; add -m (--multirun) to run one job per "
                f"value, or write a list as {key}=[{text.split('=', 1)[1]}]"
            )
        _check_output_folder(base, multirun=is_multirun)
        if is_multirun:
            _add_file_sweeps(base, sweeps, extras)
        configs: list[SimConfig] = []
        seen: set[str] = set()
        plains: dict[str, dict[str, Any]] = {}
        for label, variant in _variants(sweeps, fixed):
            try:
                if label:
                    composed = compose(config_name=config_name, overrides=variant)
                else:  # the first run is the base composed above, without Hydra's own node
                    composed = base
                    with open_dict(composed):
                        del composed["hydra"]
                plain = to_plain_checked(composed)
                config = validate_config(plain)
            except _COMPOSE_ERRORS as exc:
                raise _in_sweep(translate_hydra_error(exc), label) from None
            except ConfigError as exc:
                raise _in_sweep(exc, label) from None
            plains[label] = plain
            if checked is not None:
                checked.configs[plain_key(plain)] = config
            if config.config_hash() not in seen:
                seen.add(config.config_hash())
                configs.append(config)
    combinations = _check_combinations(sweeps, plains)
    if check_data:
        loaded = checked.data if checked is not None else {}
        _check_data(configs, loaded)
        for label, config in combinations:
            try:
                _check_data([config], loaded)
            except ConfigError as exc:
                raise _in_sweep(exc, label) from None
    return configs


def _refuse_subgroup_option(override: Override) -> None:
    """``scenario=transport/delayed`` would load a lever file as a whole scenario."""
    from hydra.core.global_hydra import GlobalHydra

    value = override.value()
    if not isinstance(value, str) or "/" not in value:
        return
    group = override.key_or_group
    subgroup, _, option = value.partition("/")
    if subgroup in GlobalHydra.instance().config_loader().list_groups(group):
        raise ConfigError(
            f"{group}={value}: {value!r} is an option of the config group {group}/{subgroup}, "
            f"not a {group}; choose it with {group}/{subgroup}={option}"
        )


def _group_options(group: str, extra_dirs: list[Path] | None = None) -> list[str]:
    """Options of a config group in yrdsim's configs and the extra folders (none: no group)."""
    from hydra.core.global_hydra import GlobalHydra

    options = set(GlobalHydra.instance().config_loader().get_group_options(group))
    for directory in extra_dirs or []:
        options |= {p.stem for p in (directory / group).glob("*.yaml")}
    return sorted(options)


def _check_group_value(override: Override, value: str, extra_dirs: list[Path]) -> None:
    """Refuse an option a config group does not have (Hydra skips a missing optional one)."""
    group = override.key_or_group
    if override.is_delete() or value in ("null", "None"):
        return
    options = _group_options(group, extra_dirs)
    if options and value not in options and "/" not in value:
        what = "a scenario" if group == "scenario" else f"an option of the config group {group}"
        own = (
            f"; for a {group} of your own, put {value}.yaml in DIR/{group}/ and add "
            "--config-dir DIR"
            if not extra_dirs
            else ""
        )
        raise ConfigError(
            f"{group}={value}: {value!r} is not {what}; allowed: {', '.join(options)}"
            f"{_closest(value, options)}{own}"
        )


def _add_file_sweeps(
    base: DictConfig, sweeps: dict[str, tuple[Override, list[str]]], extras: list[Path]
) -> None:
    """Add the sweeps an experiment declares under ``hydra.sweeper.params``."""
    params = OmegaConf.select(base, "hydra.sweeper.params") or {}
    for key, value in params.items():
        text = f"{key}={value}"
        (override,) = parse_overrides([text])
        element = override.get_key_element()
        if element in sweeps:
            continue  # the command line wins
        if override.is_sweep_override():
            values = _sweep_values(override, _group_options(override.key_or_group, extras))
        else:
            values = [override.get_value_element_as_str()]
        for value in values:
            _check_group_value(override, value, extras)
        sweeps[element] = (override, values)


_REMOVED = object()


def _differences(base: Any, other: Any, path: tuple[str, ...] = ()) -> list[tuple]:
    """The leaves (path, value) at which ``other`` differs from ``base`` (plain data)."""
    if isinstance(base, dict) and isinstance(other, dict):
        found: list[tuple] = []
        for key in base.keys() | other.keys():
            found += _differences(base.get(key, _REMOVED), other.get(key, _REMOVED), (*path, key))
        return found
    return [] if base == other else [(path, other)]


def _with(plain: dict[str, Any], changes: list[tuple]) -> dict[str, Any]:
    result = copy.deepcopy(plain)
    for path, value in changes:
        node = result
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if value is _REMOVED:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = copy.deepcopy(value)
    return result


def _check_combinations(
    sweeps: dict[str, tuple[Override, list[str]]], plains: dict[str, dict[str, Any]]
) -> list[tuple[str, SimConfig]]:
    """Validate every combination of the sweeps' values, not only one value at a time.

    Each value's change to the first run's configuration (composed and validated above) is
    applied together with the other sweeps' values, so a combination that is invalid only
    together (``start_year=2020,2022 end_year=2022,2021``) is refused before the first run.

    Returns:
        Each combination of two or more non-first values with its validated configuration.

    Raises:
        ConfigError: Naming the combination and the field.
    """
    varied = [(key, o, values) for key, (o, values) in sweeps.items() if len(values) > 1]
    if len(varied) < 2:
        return []
    base = plains[""]
    choices = [
        [(None, [])]
        + [(_render(o, v), _differences(base, plains[_render(o, v)])) for v in values[1:]]
        for _, o, values in varied
    ]
    checked: list[tuple[str, SimConfig]] = []
    for combination in itertools.product(*choices):
        chosen = [(label, changes) for label, changes in combination if label is not None]
        if len(chosen) < 2:
            continue  # the first run and the one-value variants were validated above
        label = " ".join(text for text, _ in chosen)
        plain = _with(base, [change for _, changes in chosen for change in changes])
        try:
            checked.append((label, validate_config(plain)))
        except ConfigError as exc:
            raise _in_sweep(exc, label) from None
    return checked


def _check_output_folder(base: DictConfig, *, multirun: bool) -> None:
    """Refuse an output folder that cannot be written or (one run) holds others' files.

    Raises:
        OutputError: See :func:`sim.runs.folders.check_output_folder`.
    """
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        folder = OmegaConf.select(base, key, throw_on_resolution_failure=True)
    except Exception:  # a resolver of the run's own (its name) may work only inside a job
        return  # Hydra then makes the folder itself
    if isinstance(folder, str) and folder:
        check_output_folder(folder, run=not multirun)


def _in_sweep(error: ConfigError, label: str) -> ConfigError:
    return ConfigError(f"in the sweep run with {label}: {error}") if label else error


@dataclass
class Checked:
    """What a command-line check validated and loaded, for the runs to use without redoing it.

    Attributes:
        configs: The validated configurations by :func:`plain_key` of their plain form.
        data: The loaded data by ``data_dir``.
    """

    configs: dict[str, SimConfig] = field(default_factory=dict)
    data: dict[str | None, RegionData] = field(default_factory=dict)


def plain_key(plain: dict[str, Any]) -> str:
    """A canonical text of a plain (resolved, Hydra-free) configuration."""
    return json.dumps(plain, sort_keys=True, default=str)


def _check_data(configs: list[SimConfig], loaded: dict[str | None, RegionData]) -> None:
    with _quiet_config_warnings():
        for config in configs:
            if config.data_dir not in loaded:
                loaded[config.data_dir] = load_region_data(config.data_dir)
            check_against_data(config, loaded[config.data_dir])


#: Hydra flags after which nothing is simulated: the command line is left to Hydra.
_NO_RUN_FLAGS = ("help", "hydra_help", "info", "shell_completion", "cfg", "experimental_rerun")


def check_command_line(
    argv: list[str], *, check_data: bool = True, checked: Checked | None = None
) -> list[SimConfig]:
    """Check the arguments of ``yrdsim`` (``sys.argv[1:]``) before Hydra runs them.

    Honours ``-m/--multirun``, ``--config-dir/-cd``, ``--config-name/-cn`` and
    ``--config-path/-cp``; flags that do not run anything (``--help``, ``--cfg``, ``--info``,
    ...) and arguments Hydra's parser does not know are left to Hydra.

    Returns:
        The validated configurations (empty when the command runs nothing).

    Raises:
        ConfigError: See :func:`check_overrides`.
        DataError: See :func:`check_overrides`.
    """
    args, unknown = hydra_args_parser().parse_known_args(argv)
    if unknown or any(getattr(args, flag, None) for flag in _NO_RUN_FLAGS):
        return []
    config_dir: Path | None = None
    if args.config_path:
        path = Path(args.config_path)
        config_dir = path if path.is_absolute() else Path(__file__).resolve().parent / path
    return check_overrides(
        list(args.overrides),
        config_dir=config_dir,
        config_name=args.config_name or "config",
        extra_config_dirs=[args.config_dir] if args.config_dir else None,
        multirun=bool(args.multirun),
        check_data=check_data,
        checked=checked,
    )
