"""Fit a few global behavioural parameters to the 2020 census with the 2010 -> 2020 hindcast.

At most six global parameters are fitted (:data:`PARAMETERS`), never one per city. Each has a
prior (the value before calibration, from the literature table of the model brief where one
exists) and bounds. The objective is the sum over the 41 cities of squared log errors of the
simulated 2020 population, scaled to the census's regional total (the model's region is
closed), averaged over seeds that stay the same in every evaluation (common random numbers):

    SSE(theta) = sum_i [ln(P_sim_i(theta) / sum_j P_sim_j) - ln(P_2020_i / sum_j P_2020_j)]^2

with ``P_sim`` the mean over seeds. Since every run starts from the 2010 census, this is the
squared error of log growth relative to the region. The search is a space-filling (Sobol)
design over the bounds followed by a bounded Nelder-Mead from its best point
(:func:`scipy.optimize.minimize`); every evaluation is recorded. Points where migration
would not be self-limiting (the stability condition of ``docs/ODD.md`` section 7.6) are
penalised without being run.

References:
    Tombe, T. & Zhu, X. (2019), AER 109(5): migration elasticity to real income about 1.5.
    Hao, T., Sun, R., Tombe, T. & Zhu, X. (2020), JME 113: migration costs fell 45 % in
    2000-2015.
    Huang (working paper): utility loss of an inter-provincial migrant about 46 %.
    Combes, P.-P. & Gobillon, L. (2015), Handbook of Regional and Urban Economics 5:
    agglomeration elasticities 0.02-0.10.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

import sim
from sim.analysis.factors import CALIBRATED, Factor, apply_factors
from sim.analysis.validation import run_hindcast
from sim.config.parameters import BehaviourParams
from sim.config.schema import CONFIG_DIR
from sim.core.data import RegionData
from sim.runs.atomic import write_text_atomic

DEFAULTS_PATH = CONFIG_DIR / "params" / "default.yaml"
RECORD_PATH = CONFIG_DIR / "params" / "calibration_record.json"
BEGIN_MARK = "# --- calibration (written by yrdsim-calibrate; do not edit by hand) ---"
END_MARK = "# --- end of calibration ---"


#: A fitted parameter: a factor of the one table (:mod:`sim.analysis.factors`) with a prior.
Parameter = Factor

#: The fitted parameters, their priors and bounds (docs/VALIDATION.md, "Calibration").
PARAMETERS: tuple[Factor, ...] = CALIBRATED


#: Largest own-size elasticity of utility allowed (minus this margin): migration must stay
#: self-limiting (docs/ODD.md, section 7.6, stability condition).
STABILITY_MARGIN = 0.05

#: Objective of a point that breaks the stability condition (not run).
PENALTY = 10.0


def own_size_elasticity(values: dict[str, float], defaults: BehaviourParams) -> float:
    """``d U / d ln P`` of a city at fixed firms, access and skill mix (ODD section 7.6).

    ``size_elasticity - real_wage_weight (1 - labour_elasticity - agglomeration_elasticity
    + housing_share housing_density_elasticity)``; negative means migration is self-limiting.
    Values not in ``values`` are taken from ``defaults``.
    """

    def get(path: str) -> float:
        section, key = path.split(".")
        return values.get(path, getattr(getattr(defaults, section), key))

    pull = 1.0 - get("labour.labour_elasticity") - get("labour.agglomeration_elasticity")
    pull += get("migration.housing_share") * get("labour.housing_density_elasticity")
    return get("migration.size_elasticity") - get("migration.real_wage_weight") * pull


def log_share_errors(simulated: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """``ln(sim share) - ln(census share)`` of each city."""
    return np.log(simulated / simulated.sum()) - np.log(observed / observed.sum())


def objective(simulated_runs: np.ndarray, observed: np.ndarray) -> float:
    """Sum of squared log-share errors of the seed-mean simulated populations."""
    return float((log_share_errors(simulated_runs.mean(axis=0), observed) ** 2).sum())


@dataclass
class Evaluation:
    """One evaluation of the objective."""

    number: int
    stage: str
    values: dict[str, float]
    sse: float
    seconds: float


@dataclass
class CalibrationResult:
    """The fit: best values, statistics and every evaluation."""

    best: dict[str, float]
    sse: float
    prior_sse: float
    evaluations: list[Evaluation] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


class Calibrator:
    """Evaluates the hindcast objective and records every evaluation.

    Args:
        data: The region's data.
        config: The hindcast configuration evaluated (typed, composed once, e.g. by
            :func:`sim.hydra.compose.hindcast_config` at the calibration's scale); each
            evaluation is it with the parameters' values applied, run with each seed.
        parameters: The fitted parameters.
        seeds: Model seeds averaged in each evaluation (the same in every evaluation).
        log: Called with each evaluation (e.g. to print progress).
    """

    def __init__(
        self,
        data: RegionData,
        config: sim.SimConfig,
        parameters: Sequence[Parameter] = PARAMETERS,
        seeds: Sequence[int] = (0, 1),
        log: Callable[[Evaluation], None] | None = None,
    ) -> None:
        if len(parameters) > 6:
            raise ValueError("at most 6 global parameters may be fitted")
        self.data = data
        self.parameters = tuple(parameters)
        self.seeds = tuple(seeds)
        self.config = config
        self.observed = data.census_population(2020).astype(float)
        self.evaluations: list[Evaluation] = []
        self.log = log
        self.stage = "start"
        self.defaults = config.params

    def values(self, unit: np.ndarray) -> dict[str, float]:
        """Parameter values at a point of the unit cube."""
        return {p.path: p.from_unit(u) for p, u in zip(self.parameters, unit, strict=True)}

    def evaluate(self, values: dict[str, float]) -> float:
        """The objective at ``values`` (one hindcast per seed).

        A point that breaks the stability condition (:func:`own_size_elasticity` must stay
        below ``-STABILITY_MARGIN``) is not run: its objective is a penalty above any SSE seen,
        growing with the violation, so that the search stays where migration is self-limiting.
        """
        clock = time.perf_counter()
        elasticity = own_size_elasticity(values, self.defaults)
        if elasticity > -STABILITY_MARGIN:
            sse = PENALTY + 100.0 * (elasticity + STABILITY_MARGIN)
        else:
            config = apply_factors(self.config, values)
            sse = objective(run_hindcast(self.data, config, self.seeds), self.observed)
        evaluation = Evaluation(
            len(self.evaluations), self.stage, dict(values), sse, time.perf_counter() - clock
        )
        self.evaluations.append(evaluation)
        if self.log is not None:
            self.log(evaluation)
        return sse

    def unit_objective(self, unit: np.ndarray) -> float:
        """The objective at a point of the unit cube."""
        return self.evaluate(self.values(unit))

    def run(
        self, n_design: int = 16, max_evaluations: int = 100, seed: int = 0
    ) -> CalibrationResult:
        """Prior, Sobol design, then bounded Nelder-Mead from the best point found.

        Args:
            n_design: Points of the space-filling design (a power of 2).
            max_evaluations: Largest number of Nelder-Mead evaluations.
            seed: Seed of the design's scrambling.
        """
        self.stage = "prior"
        prior = {p.path: p.prior for p in self.parameters}
        prior_sse = self.evaluate(prior)
        self.stage = "design"
        design = qmc.Sobol(len(self.parameters), scramble=True, seed=seed).random(n_design)
        for point in design:
            self.unit_objective(point)
        best = min(self.evaluations, key=lambda e: e.sse)
        start = np.array([p.to_unit(best.values[p.path]) for p in self.parameters])
        self.stage = "nelder-mead"
        simplex = [start]
        for k in range(len(start)):  # an initial simplex of 0.15 per axis, inside the cube
            vertex = start.copy()
            vertex[k] += 0.15 if vertex[k] <= 0.85 else -0.15
            simplex.append(vertex)
        minimize(
            self.unit_objective,
            start,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * len(start),
            options={
                "maxfev": max_evaluations,
                "initial_simplex": np.array(simplex),
                "xatol": 0.01,
                "fatol": 1e-4,
            },
        )
        best = min(self.evaluations, key=lambda e: e.sse)
        return CalibrationResult(
            best=best.values,
            sse=best.sse,
            prior_sse=prior_sse,
            evaluations=list(self.evaluations),
            settings={
                "seeds": list(self.seeds),
                "persons_per_agent": self.config.persons_per_agent,
                "n_design": n_design,
                "max_nelder_mead_evaluations": max_evaluations,
                "design_seed": seed,
                "parameters": [asdict(p) for p in self.parameters],
            },
        )


def write_evaluations(evaluations: Sequence[Evaluation], path: Path) -> Path:
    """Every evaluation as a CSV row: number, stage, seconds, sse and the values."""
    paths = list(evaluations[0].values) if evaluations else []

    def write(target: Path) -> None:
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["number", "stage", "seconds", "sse", *paths])
            for e in evaluations:
                writer.writerow(
                    [e.number, e.stage, f"{e.seconds:.2f}", repr(e.sse)]
                    + [repr(e.values[p]) for p in paths]
                )

    from sim.runs.atomic import write_atomic

    return write_atomic(path, write)


def rounded(values: dict[str, float], digits: int = 3) -> dict[str, float]:
    """Values rounded to ``digits`` significant digits (what is written to the defaults)."""
    return {k: float(f"{v:.{digits}g}") for k, v in values.items()}


def set_yaml_values(text: str, values: dict[str, float]) -> str:
    """Replace ``section: key: value`` lines of a two-level YAML file, keeping comments.

    Raises:
        KeyError: A key is not found in its section.
    """
    lines = text.splitlines(keepends=True)
    for path, value in values.items():
        section, key = path.split(".")
        inside = found = False
        for n, line in enumerate(lines):
            if re.match(rf"^{re.escape(section)}:\s*(#.*)?$", line):
                inside = True
                continue
            if inside and re.match(r"^\S", line):
                break
            match = re.match(rf"^(  {re.escape(key)}:)(\s*)([^#\n]*?)(\s*#.*)?(\n?)$", line)
            if inside and match:
                head, space, _, comment, newline = match.groups()
                new = f"{head}{space}{value!r}"
                if comment:
                    column = line.index("#")
                    new += " " * max(1, column - len(new)) + comment.strip()
                lines[n] = new + newline
                found = True
                break
        if not found:
            raise KeyError(f"{path} not found in the defaults file")
    return "".join(lines)


def set_comment_block(text: str, block: list[str]) -> str:
    """Put ``block`` (comment lines) between the calibration marks, replacing what was there."""
    body = "".join(f"# {line}\n" if line else "#\n" for line in block)
    section = f"{BEGIN_MARK}\n{body}{END_MARK}\n"
    if BEGIN_MARK in text:
        before, rest = text.split(BEGIN_MARK, 1)
        after = rest.split(END_MARK, 1)[1].lstrip("\n")
        return before + section + after
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    return "".join(lines[:n]) + section + "".join(lines[n:])


def write_defaults(values: dict[str, float], block: list[str], path: Path = DEFAULTS_PATH) -> Path:
    """Write fitted values and the comment block into the defaults file, atomically."""
    text = set_yaml_values(path.read_text(encoding="utf-8"), values)
    return write_text_atomic(path, set_comment_block(text, block))


def record(
    result: CalibrationResult, fit: dict[str, Any], command: str, commit: str | None
) -> dict:
    """The machine-readable record of a calibration."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git_commit": commit,
        "objective": "sum over 41 cities of squared log(simulated share / census share) of "
        "2020 population, seed-mean, hindcast 2010-2020 (experiment=hindcast_2010)",
        "values": rounded(result.best),
        "values_unrounded": result.best,
        "sse": result.sse,
        "prior_sse": result.prior_sse,
        "evaluations": len(result.evaluations),
        "fit_at_written_values": fit,
        **result.settings,
    }


def dump_json(payload: dict, path: Path) -> Path:
    """Write ``payload`` as indented JSON, atomically."""
    return write_text_atomic(path, json.dumps(payload, indent=2, default=float) + "\n")
