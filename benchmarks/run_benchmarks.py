"""yrdsim benchmarks: run time, memory, the talent decision three ways, CLI and sweep.

Run from the repository root (one command; about 8 minutes on 2 cores, ``--quick`` about 25 s)::

    .venv/bin/python benchmarks/run_benchmarks.py [--quick] [--sizes 1000 100 10] [--out PATH]

It prints a table and writes it, with the machine it ran on, to ``benchmarks/results/latest.json``
(``outputs/benchmarks/quick.json`` with ``--quick``; or ``--out``). What is measured:

* ``sim.simulate()`` of the default ``baseline`` 2020-2035 at each ``persons_per_agent``, each
  size in a fresh process: set-up (building the agents), stepping, total, and the peak resident
  memory of that process (``VmHWM``). A size whose memory estimate (from the bytes per agent
  measured at the smaller sizes) exceeds ``--memory-share`` of the available memory is skipped
  and the estimate recorded.
* The talent relocation decision on the same agents with the same rule, in µs per
  talent-agent-step: (a) the model's own bulk implementation, (b) the plain Mesa reference of
  ``benchmarks/mesa_reference.py`` (each agent's ``step()`` run by ``shuffle_do``), (c) the bare
  numpy kernel of ``benchmarks/numpy_floor.py``.
* The three figures of a run (map, headline indicators, bars; PNG and PDF), drawn in a fresh
  process from a default run's tables: the first drawing (what a run pays) and a warm one.
* The ``yrdsim`` command end to end (with and without figures).
* A sweep of 5 scenarios x 4 seeds with the joblib launcher: runs per minute.

Timings are the minimum of ``--repeat`` runs (the machine may be shared); the load average
before and after is recorded.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENARIOS = "baseline,transport,vouchers,residency,integrated"
SEEDS = "0,1,2,3"
GB = 1024**3


# ------------------------------------------------------------------------------ machine
def _proc_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (``VmHWM``)."""
    value = _proc_value("/proc/self/status", "VmHWM")
    if value is not None:
        return int(value.split()[0]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def available_memory_bytes() -> int:
    value = _proc_value("/proc/meminfo", "MemAvailable")
    return int(value.split()[0]) * 1024 if value else 0


def machine() -> dict:
    import mesa
    import numpy

    total = _proc_value("/proc/meminfo", "MemTotal")
    return {
        "cpu": _proc_value("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(int(total.split()[0]) * 1024 / GB, 1) if total else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --------------------------------------------------------------------- simulate, per size
def child_simulate(persons_per_agent: int) -> None:
    """Run the default baseline once in this (fresh) process; print one JSON line."""
    import sim

    config = sim.load_config(
        ["scenario=baseline", f"persons_per_agent={persons_per_agent}", "output.figures=false"]
    )
    data = sim.load_region_data(config.data_dir)
    rss_before = peak_rss_bytes()
    cpu = time.process_time()
    result = sim.simulate(config, data=data)
    record = {
        "persons_per_agent": persons_per_agent,
        "talent_agents": result.info["talent_agents"],
        "firm_agents": result.info["firm_agents_at_start"],
        "setup_s": result.timing["setup_seconds"],
        "step_s": result.timing["step_seconds"],
        "simulate_s": result.timing["wall_seconds"],
        "cpu_s": time.process_time() - cpu,
        "peak_rss_before_run_mb": rss_before / 2**20,
        "peak_rss_mb": peak_rss_bytes() / 2**20,
    }
    print("RESULT " + json.dumps(record))


def run_child(persons_per_agent: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(persons_per_agent)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def bench_sizes(sizes: list[int], repeat: int, memory_share: float) -> list[dict]:
    rows: list[dict] = []
    measured: list[dict] = []
    for ppa in sorted(sizes, reverse=True):  # fewest agents first
        estimate = memory_estimate(measured, ppa)
        available = available_memory_bytes()
        if estimate is not None and estimate > memory_share * available:
            rows.append(
                {
                    "persons_per_agent": ppa,
                    "skipped": f"memory estimate {estimate / GB:.1f} GB "
                    f"(available {available / GB:.1f} GB)",
                    "memory_estimate_gb": estimate / GB,
                }
            )
            print(f"  ppa {ppa}: {rows[-1]['skipped']}", flush=True)
            continue
        runs = [run_child(ppa) for _ in range(repeat if ppa >= 100 else 1)]
        best = min(runs, key=lambda r: r["simulate_s"])
        best["repeats"] = len(runs)
        best["setup_s"] = min(r["setup_s"] for r in runs)
        best["step_s"] = min(r["step_s"] for r in runs)
        best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        rows.append(best)
        measured.append(best)
        print(
            f"  ppa {ppa}: {best['talent_agents']:,} talent agents, "
            f"{best['simulate_s']:.2f} s, {best['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    return rows


def memory_estimate(measured: list[dict], persons_per_agent: int) -> float | None:
    """Peak memory expected at ``persons_per_agent`` from the bytes per agent measured so far."""
    if len(measured) < 2:
        return None
    small, large = measured[-2], measured[-1]
    agents = large["talent_agents"] * large["persons_per_agent"] / persons_per_agent
    per_agent = (
        (large["peak_rss_mb"] - small["peak_rss_mb"])
        * 2**20
        / (large["talent_agents"] - small["talent_agents"])
    )
    return large["peak_rss_mb"] * 2**20 + per_agent * (agents - large["talent_agents"])


# ------------------------------------------------------------------------- the decision
def bench_decision(persons_per_agent: int, repeat: int) -> dict:
    """The talent decision (a) model, (b) plain Mesa, (c) numpy floor, on the same agents."""
    import numpy as np

    import sim
    from agents.talent import choose_locations
    from benchmarks import numpy_floor
    from benchmarks.mesa_reference import ReferenceModel
    from sim.core.model import YRDModel

    config = sim.load_config([f"persons_per_agent={persons_per_agent}"])
    model = YRDModel(config)
    share = model.params.migration.reconsider_share
    n_agents = len(model.talent)

    def model_decision() -> tuple[float, object]:
        talent = copy.deepcopy(model.talent)
        start = time.perf_counter()
        probabilities = model._location_probabilities()
        choose_locations(model._stream("talent"), talent, probabilities, share)
        return time.perf_counter() - start, talent

    def floor_decision() -> tuple[float, object]:
        inputs = model.location_inputs()
        talent = copy.deepcopy(model.talent)
        start = time.perf_counter()
        numpy_floor.relocate(
            model._stream("talent"),
            talent.city,
            talent.hukou,
            talent.high_skill,
            talent.years_in_city,
            talent.alive,
            inputs.destination_utility,
            inputs.public_service_penalty,
            inputs.entry_barrier,
            inputs.moving_cost,
            inputs.home_bias,
            inputs.flexible_talent,
            share,
        )
        return time.perf_counter() - start, talent

    a_times, c_times = [], []
    for _ in range(repeat):
        seconds, talent_a = model_decision()
        a_times.append(seconds)
        seconds, talent_c = floor_decision()
        c_times.append(seconds)
    b_times = []
    for _ in range(max(1, min(repeat, 2))):
        reference = ReferenceModel(model.talent, model.n_cities, seed=1)
        inputs = model.location_inputs()
        start = time.perf_counter()
        reference.decide(model._stream("talent"), inputs, share)
        b_times.append(time.perf_counter() - start)
    agree = float((reference.cities() == talent_a.city).mean())
    a, b, c = (min(t) / n_agents * 1e6 for t in (a_times, b_times, c_times))
    return {
        "persons_per_agent": persons_per_agent,
        "talent_agents": n_agents,
        "reconsider_share": share,
        "a_model_us": a,
        "b_mesa_reference_us": b,
        "c_numpy_floor_us": c,
        "b_over_a": b / a,
        "a_over_c": a / c,
        "a_equals_c": bool(np.array_equal(talent_a.city, talent_c.city)),
        "a_b_same_city_share": agree,
    }


# --------------------------------------------------------------------------- CLI, sweep
def yrdsim_command() -> str:
    local = Path(sys.executable).parent / "yrdsim"
    return str(local) if local.exists() else (shutil.which("yrdsim") or "yrdsim")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def bench_cli(workdir: Path, repeat: int) -> dict:
    result = {}
    for label, extra in (("with_figures_s", []), ("without_figures_s", ["output.figures=false"])):
        times = [
            timed([yrdsim_command(), f"hydra.run.dir={workdir / f'cli_{label}_{i}'}", *extra])
            for i in range(repeat)
        ]
        result[label] = min(times)
    return result


def bench_sweep(workdir: Path, figures: bool) -> dict:
    runs = len(SCENARIOS.split(",")) * len(SEEDS.split(","))
    label = "figures" if figures else "nofigures"
    command = [
        yrdsim_command(),
        "-m",
        "hydra/launcher=joblib",
        f"scenario={SCENARIOS}",
        f"seed={SEEDS}",
        f"hydra.sweep.dir={workdir / f'sweep_{label}'}",
    ]
    if not figures:
        command.append("output.figures=false")
    seconds = timed(command)
    return {
        "runs": runs,
        "figures": figures,
        "seconds": seconds,
        "runs_per_minute": runs / seconds * 60,
        "command": " ".join(
            "hydra.sweep.dir=DIR" if part.startswith("hydra.sweep.dir=") else part
            for part in ["yrdsim", *command[1:]]
        ),
    }


# ------------------------------------------------------------------------------ figures
FIGURES_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
clock = time.perf_counter()
import sim
from sim.figures.run import write_run_figures
imported = time.perf_counter() - clock
data = sim.load_region_data()
result = sim.simulate(sim.load_config(["output.figures=false"]), data=data)
draws, cpu = [], []
with tempfile.TemporaryDirectory() as tmp:
    for i in range(int(sys.argv[1])):
        wall, proc = time.perf_counter(), time.process_time()
        write_run_figures(result.metrics, result.cities, data.boundaries, Path(tmp) / str(i))
        draws.append(time.perf_counter() - wall)
        cpu.append(time.process_time() - proc)
print(json.dumps({"import_s": imported, "draws_s": draws, "cpu_s": cpu}))
"""


def bench_figures(repeat: int) -> dict:
    """The three figures of a default run (2020-2035), drawn in fresh processes.

    Each of ``max(repeat, 5)`` fresh processes simulates a default run, then draws its figures
    three times. ``first_s`` is the fastest first drawing of a process (what ``yrdsim`` pays
    once per run, after its imports), ``warm_s`` the fastest later one; ``first_cpu_s`` is the
    CPU time of the fastest first drawing, less sensitive to a shared machine's load than wall
    time. ``load`` is the load average before and after (the minimum of several runs is taken
    because the machine may be shared).
    """
    children = []
    load_before = load()
    for _ in range(max(repeat, 5)):
        done = subprocess.run(
            [sys.executable, "-c", FIGURES_CHILD, "3"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        children.append(json.loads(done.stdout.strip().splitlines()[-1]))
    firsts = [c["draws_s"][0] for c in children]
    best = children[firsts.index(min(firsts))]
    return {
        "import_s": min(c["import_s"] for c in children),
        "first_s": min(firsts),
        "first_cpu_s": best["cpu_s"][0],
        "warm_s": min(min(c["draws_s"][1:]) for c in children),
        "first_draws_s": firsts,
        "draws_s": best["draws_s"],
        "processes": len(children),
        "load": [load_before, load()],
    }


# ------------------------------------------------------------------------ table, targets
def targets(report: dict) -> list[dict]:
    out = []
    sizes = {r["persons_per_agent"]: r for r in report["simulate"] if "skipped" not in r}

    def add(name: str, value: float | None, limit: str, met: bool | None) -> None:
        out.append({"target": name, "value": value, "limit": limit, "met": met})

    if 1000 in sizes:
        add(
            "default sim.simulate() (s)",
            sizes[1000]["simulate_s"],
            "<= 5",
            sizes[1000]["simulate_s"] <= 5,
        )
    if report.get("cli"):
        value = report["cli"]["with_figures_s"]
        add("CLI end to end with figures (s)", value, "<= 10", value <= 10)
    if report.get("figures"):
        value = report["figures"]["first_s"]
        add("three run figures, first draw (s)", value, "<= 1.5", value <= 1.5)
    decision = report["decision"]
    add("(b)/(a) speed-up", decision["b_over_a"], ">= 100", decision["b_over_a"] >= 100)
    add("(a)/(c) overhead", decision["a_over_c"], "<= 3", decision["a_over_c"] <= 3)
    if 100 in sizes:
        peak = sizes[100]["peak_rss_mb"] / 1024
        add("ppa 100 peak memory (GB)", peak, "<= 2", peak <= 2)
    for fine, coarse in ((100, 1000), (10, 100)):
        if fine in sizes and coarse in sizes and "simulate_s" in sizes[fine]:
            agents = sizes[fine]["talent_agents"] / sizes[coarse]["talent_agents"]
            ratio = sizes[fine]["simulate_s"] / sizes[coarse]["simulate_s"]
            add(
                f"time ratio ppa {fine} / {coarse} ({agents:.2f}x agents)",
                ratio,
                f"<= {1.1 * agents:.2f}",
                ratio <= 1.1 * agents,
            )
    for sweep in report.get("sweep", []):
        if sweep["figures"]:
            add("5 x 4 sweep, figures on (s)", sweep["seconds"], "<= 60", sweep["seconds"] <= 60)
    return out


def print_figures(fig: dict) -> None:
    print(
        f"\nThe three figures of a run (PNG + PDF): first draw {fig['first_s']:.2f} s "
        f"(CPU {fig['first_cpu_s']:.2f} s), warm {fig['warm_s']:.2f} s; imports "
        f"{fig['import_s']:.2f} s"
    )


def print_table(report: dict) -> None:
    print("\nsim.simulate(), baseline 2020-2035 (fresh process per size)")
    print(
        f"{'ppa':>6} {'talent agents':>14} {'set-up s':>9} {'steps s':>8} {'total s':>8} "
        f"{'peak MB':>8}"
    )
    for r in report["simulate"]:
        if "skipped" in r:
            print(f"{r['persons_per_agent']:>6} skipped: {r['skipped']}")
            continue
        print(
            f"{r['persons_per_agent']:>6} {r['talent_agents']:>14,} {r['setup_s']:>9.2f} "
            f"{r['step_s']:>8.2f} {r['simulate_s']:>8.2f} {r['peak_rss_mb']:>8.0f}"
        )
    d = report["decision"]
    print(f"\nTalent relocation decision, {d['talent_agents']:,} agents (µs per talent-agent-step)")
    print(f"  (a) model, bulk over Mesa agents   {d['a_model_us']:10.4f}")
    print(f"  (b) plain Mesa, shuffle_do('step') {d['b_mesa_reference_us']:10.4f}")
    print(f"  (c) bare numpy floor               {d['c_numpy_floor_us']:10.4f}")
    print(
        f"  (b)/(a) = {d['b_over_a']:.0f}x   (a)/(c) = {d['a_over_c']:.2f}x   "
        f"same city (a) vs (b): {d['a_b_same_city_share']:.5f}"
    )
    if report.get("figures"):
        print_figures(report["figures"])
    if report.get("cli"):
        cli = report["cli"]
        print(
            f"\nyrdsim CLI end to end: {cli['with_figures_s']:.2f} s with figures, "
            f"{cli['without_figures_s']:.2f} s without"
        )
    for s in report.get("sweep", []):
        print(
            f"Sweep 5 scenarios x 4 seeds, joblib, figures {'on' if s['figures'] else 'off'}: "
            f"{s['seconds']:.1f} s = {s['runs_per_minute']:.1f} runs/min"
        )
    print("\nTargets")
    for t in report["targets"]:
        mark = "met" if t["met"] else "MISSED"
        print(f"  {t['target']:<45} {t['value']:>9.2f}  ({t['limit']})  {mark}")
    print(f"\nload average before {report['load_before']}, after {report['load_after']}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="ppa 1000 only, no sweep, 1 repeat")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100, 10])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--memory-share",
        type=float,
        default=0.6,
        help="skip a size whose memory estimate exceeds this share of free memory",
    )
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON file to write (default: benchmarks/results/latest.json for a full run, "
        "outputs/benchmarks/quick.json for --quick, so a quick run never replaces the "
        "committed full results)",
    )
    parser.add_argument(
        "--figures-only",
        action="store_true",
        help="only time the three figures of a run (writes outputs/benchmarks/figures.json)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_simulate(args.child)
        return
    if args.figures_only:
        figures = {"machine": machine(), "load_before": load()}
        figures["figures"] = bench_figures(args.repeat)
        figures["load_after"] = load()
        print_figures(figures["figures"])
        out = args.out or ROOT / "outputs" / "benchmarks" / "figures.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"load {figures['load_before']} -> {figures['load_after']}; written to {out}")
        return
    if args.quick:
        args.sizes, args.repeat, args.no_sweep = [1000], 1, True
    if args.out is None:
        args.out = (
            ROOT / "outputs" / "benchmarks" / "quick.json"
            if args.quick
            else ROOT / "benchmarks" / "results" / "latest.json"
        )

    report: dict = {
        "machine": machine(),
        "load_before": load(),
        "args": vars(args) | {"out": str(args.out)},
    }
    print(
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"{report['machine']['memory_gb']} GB; load {report['load_before']}",
        flush=True,
    )
    print("sim.simulate() per size ...", flush=True)
    report["simulate"] = bench_sizes(args.sizes, args.repeat, args.memory_share)
    print("talent decision (a)/(b)/(c) ...", flush=True)
    report["decision"] = bench_decision(1000, max(args.repeat, 3))
    print("the three figures of a run ...", flush=True)
    report["figures"] = bench_figures(args.repeat)
    with tempfile.TemporaryDirectory(prefix="yrdsim-bench-") as tmp:
        print("CLI end to end ...", flush=True)
        report["cli"] = bench_cli(Path(tmp), args.repeat)
        report["sweep"] = []
        if not args.no_sweep:
            for figures in (True, False):
                print(f"sweep 5 x 4, figures {'on' if figures else 'off'} ...", flush=True)
                report["sweep"].append(bench_sweep(Path(tmp), figures))
    report["load_after"] = load()
    report["targets"] = targets(report)
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
