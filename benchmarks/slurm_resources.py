"""Resources per run of a sweep on Slurm, as Slurm's accounting records them (``sacct``).

Run from the repository root, as root (it starts the test Slurm of ``.ci/slurm/`` in a
temporary folder and stops it after; with ``SLURM_CONF`` set it uses that cluster instead)::

    .venv/bin/python benchmarks/slurm_resources.py [--partition P] [--out PATH]

For each scale (the default ``persons_per_agent=1000`` and ``persons_per_agent=100``) it runs
``yrdsim -m scenario=baseline,integrated seed=0,1 hydra/launcher=slurm`` (figures on, the
default; 2020-2035) and reads, for each job of the array, its wall time (``ElapsedRaw``), CPU
time (``TotalCPU``) and peak resident memory (``MaxRSS``, the largest of its steps; sampled every
second, ``JobAcctGatherFrequency=task=1``). It prints a table and writes it to
``benchmarks/results/slurm_resources.json``. The numbers size ``hydra.launcher.timeout_min`` and
``hydra.launcher.mem_gb`` (docs/CLUSTER.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALES = (1000, 100)


def _slurm(argv: list[str], env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout


def _memory_mb(text: str) -> float | None:
    if not text:
        return None
    units = {"K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0**2}
    if text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text) / 1024**2  # bytes


def _cpu_seconds(text: str) -> float:
    days, _, clock = text.rpartition("-")
    parts = [float(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return (float(days) if days else 0.0) * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def measure(scale: int, folder: Path, partition: str | None, env: dict[str, str]) -> list[dict]:
    """Run the 2 x 2 sweep at ``scale`` on Slurm; one record per job."""
    argv = [sys.executable, "-m", "sim.cli.run", "-m", "scenario=baseline,integrated", "seed=0,1",
            f"persons_per_agent={scale}", f"hydra.sweep.dir={folder}", "hydra/launcher=slurm"]
    if partition:
        argv.append(f"hydra.launcher.partition={partition}")
    done = subprocess.run(argv, env={**env, "MPLBACKEND": "Agg"}, capture_output=True, text=True)
    out = done.stdout + done.stderr
    if done.returncode != 0:
        raise SystemExit(f"the sweep at persons_per_agent={scale} failed:\n{out}")
    array = next(line for line in out.splitlines() if "Slurm job array" in line).rsplit(" ", 1)[1]
    fields = ["JobID", "State", "ElapsedRaw", "TotalCPU", "MaxRSS", "JobName"]
    for _ in range(120):  # the result file can be read before Slurm has closed the job
        rows = _slurm(["sacct", "-n", "-P", "-j", array, "-o", ",".join(fields)], env)
        states = [line.split("|")[1] for line in rows.splitlines() if line]
        if states and not any(s in ("RUNNING", "PENDING", "COMPLETING") for s in states):
            break
        time.sleep(1)
    jobs: dict[str, dict] = {}
    for line in rows.splitlines():
        row = dict(zip(fields, line.split("|"), strict=True))
        task = row["JobID"].split(".")[0]
        record = jobs.setdefault(task, {"job": task, "persons_per_agent": scale,
                                        "peak_rss_mb": 0.0})  # fmt: skip
        if "." not in row["JobID"]:
            record["state"] = row["State"]
            record["elapsed_s"] = int(row["ElapsedRaw"])
            record["cpu_s"] = round(_cpu_seconds(row["TotalCPU"]), 1)
        rss = _memory_mb(row["MaxRSS"])
        if rss is not None:
            record["peak_rss_mb"] = round(max(record["peak_rss_mb"], rss), 1)
    return sorted(jobs.values(), key=lambda r: r["job"])


def main() -> None:
    """Measure and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partition", default=None)
    default_out = ROOT / "benchmarks/results/slurm_resources.json"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="yrdsim_slurm_bench_") as tmp:
        state = Path(tmp) / "slurm"
        own = "SLURM_CONF" not in env
        if own:
            subprocess.run(["bash", str(ROOT / ".ci/slurm/start.sh"), str(state), "2", "bench"],
                           check=True)  # fmt: skip
            env["SLURM_CONF"] = str(state / "slurm.conf")
        try:
            version = _slurm(["sinfo", "--version"], env).strip()
            records = []
            for scale in SCALES:
                records += measure(scale, Path(tmp) / f"ppa{scale}", args.partition, env)
        finally:
            if own:
                subprocess.run(["bash", str(ROOT / ".ci/slurm/stop.sh"), str(state)], check=False)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "slurm": version,
        "sweep": "scenario=baseline,integrated seed=0,1, 2020-2035, figures on",
        "jobs": records,
        "summary": {},
    }
    print(f"{'job':>8} {'persons/agent':>14} {'state':>10} {'wall s':>7} {'cpu s':>6} "
          f"{'MaxRSS MB':>10}")  # fmt: skip
    for r in records:
        print(f"{r['job']:>8} {r['persons_per_agent']:>14} {r.get('state', '?'):>10} "
              f"{r.get('elapsed_s', 0):>7} {r.get('cpu_s', 0):>6} "
              f"{r['peak_rss_mb']:>10}")  # fmt: skip
    for scale in SCALES:
        mine = [r for r in records if r["persons_per_agent"] == scale]
        result["summary"][str(scale)] = {
            "max_elapsed_s": max(r.get("elapsed_s", 0) for r in mine),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in mine),
        }
    print(json.dumps(result["summary"], indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
