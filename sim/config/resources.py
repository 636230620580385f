"""How much memory a run will need, estimated before any agent is built, and how much there is.

A talent agent stands for ``persons_per_agent`` residents, so the number of agents is the
start census population over ``persons_per_agent``. A typing slip in a population or a
``persons_per_agent=1`` asks for hundreds of millions of agents; building them would drive the
machine out of memory (on a shared cluster node, other people's jobs with it). The estimate is
checked by :func:`sim.config.checks.check_against_data`, which every run passes before its
model is built.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Bytes per talent agent, with about 25 % headroom: the peak resident memory of whole
#: 2020-2035 runs grew by 490 bytes per agent at 2.35 million agents (``persons_per_agent``
#: 100) and 556 at 23.5 million (10) (``benchmarks/run_benchmarks.py``,
#: ``benchmarks/results/latest.json``: ``peak_rss_mb`` less ``peak_rss_before_run_mb``).
BYTES_PER_TALENT_AGENT = 700

#: Memory that does not grow with the agents (the interpreter, libraries, data, firms,
#: networks): 151 MB before a run and 281 MB at its peak with 235,000 agents (same file).
FIXED_BYTES = 300 * 2**20


def talent_agents(population: float, persons_per_agent: int) -> int:
    """Talent agents for a start population (one per ``persons_per_agent`` residents)."""
    return int(population // persons_per_agent)


def estimated_bytes(agents: int) -> int:
    """Memory a run with ``agents`` talent agents needs (estimate, bytes)."""
    return FIXED_BYTES + agents * BYTES_PER_TALENT_AGENT


def _cgroup_limit() -> int | None:
    """The memory limit of this process's control group (containers, Slurm), if any."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def available_bytes() -> int | None:
    """Memory available to this process now (bytes), or ``None`` if it cannot be told.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the physical memory; never more than a
    control group's limit.
    """
    found: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        found = None
    if found is None:
        try:
            found = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            found = None
    limit = _cgroup_limit()
    if limit is not None:
        found = limit if found is None else min(found, limit)
    return found


def gigabytes(size: float) -> str:
    """Bytes as ``12.3 GB``."""
    return f"{size / 1e9:.1f} GB"


def memory_problem(population: float, persons_per_agent: int, census_year: int) -> str | None:
    """Why a run of this size would not fit in memory (``None``: it fits or cannot be told).

    Args:
        population: Residents of all cities in the start census.
        persons_per_agent: Residents per talent agent.
        census_year: The census the population is from (for the message).
    """
    available = available_bytes()
    if available is None:
        return None
    agents = talent_agents(population, persons_per_agent)
    need = estimated_bytes(agents)
    if need <= available:
        return None
    smallest = max(1, int(population * BYTES_PER_TALENT_AGENT // max(available - FIXED_BYTES, 1)))
    return (
        f"persons_per_agent: {persons_per_agent:,} with {population:,.0f} residents in "
        f"{census_year} needs {agents:,} talent agents, about {gigabytes(need)} of memory; this "
        f"machine has {gigabytes(available)} available; allowed: persons_per_agent of at least "
        f"{smallest + 1:,} here (or check the populations in the data)"
    )
