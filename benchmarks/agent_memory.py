"""Bytes per registered Mesa agent, by where they go (issue 13's ppa=10 memory target).

Creates one million :class:`agents.base.IndexedAgent` agents the way the model does
(``create_indexed``'s steps, one at a time so each is measured) in a bare Mesa 3.3 model and
measures with ``tracemalloc``:

* the agent objects (a ``mesa.Agent`` has no ``__slots__``, so each has an instance dict), their
  ``unique_id`` and ``index`` ints and the model's list of agents by row;
* Mesa's registries: ``model._agents`` (a dict) and the two ``AgentSet``s every agent joins
  (``model.agents_by_type[cls]`` and ``model.agents``), each a ``WeakKeyDictionary`` holding one
  weak reference with a callback per agent.

It prints the figures, the memory they imply for the 23.5 M talent agents of
``persons_per_agent=10``, and writes ``benchmarks/results/agent_memory.json``. Run:
``python benchmarks/agent_memory.py``.
"""

from __future__ import annotations

import gc
import json
import platform
import tracemalloc
from itertools import repeat
from pathlib import Path

import mesa
from mesa.agent import Agent, AgentSet

from agents.base import IndexedAgent, _add_to_agent_set

N = 1_000_000
#: Talent agents at persons_per_agent=10 (benchmarks/results/latest.json).
AGENTS_PPA10 = 23_521_366
OUT = Path(__file__).parent / "results" / "agent_memory.json"


class _Probe(IndexedAgent):
    """An indexed agent class of its own, so its AgentSet starts empty."""


def measure(n: int = N) -> dict[str, float]:
    """Bytes per agent of each part (see the module docstring)."""
    model = mesa.Model(rng=0)
    gc.disable()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        agents = []
        ids = Agent._ids[model]
        for index in range(n):
            agent = _Probe.__new__(_Probe)
            agent.model = model
            agent.unique_id = next(ids)
            agent.pos = None
            agent.index = index
            agents.append(agent)
        objects = tracemalloc.get_traced_memory()[0]
        model._agents.update(zip(agents, repeat(None)))
        registry = tracemalloc.get_traced_memory()[0]
        model._agents_by_type[_Probe] = AgentSet([], random=model.random)
        _add_to_agent_set(model._agents_by_type[_Probe], agents)
        by_type = tracemalloc.get_traced_memory()[0]
        _add_to_agent_set(model._all_agents, agents)
        every = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    return {
        "agent_objects_ids_and_list": (objects - start) / n,
        "model_agents_dict": (registry - objects) / n,
        "agents_by_type_weak_set": (by_type - registry) / n,
        "all_agents_weak_set": (every - by_type) / n,
        "total": (every - start) / n,
    }


def main() -> None:
    """Measure, print and write the figures."""
    parts = measure()
    mesa_registries = (
        parts["model_agents_dict"] + parts["agents_by_type_weak_set"] + parts["all_agents_weak_set"]
    )
    report = {
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "agents_measured": N,
        "bytes_per_agent": parts,
        "mesa_registries_bytes_per_agent": mesa_registries,
        "ppa10_agents": AGENTS_PPA10,
        "ppa10_agents_gib": parts["total"] * AGENTS_PPA10 / 2**30,
        "ppa10_mesa_registries_gib": mesa_registries * AGENTS_PPA10 / 2**30,
    }
    print(f"Bytes per registered Mesa agent ({N:,} agents, Mesa {mesa.__version__}):")
    for name, value in parts.items():
        print(f"  {name:<28} {value:6.0f}")
    print(
        f"At persons_per_agent=10 ({AGENTS_PPA10:,} talent agents): the agents take "
        f"{report['ppa10_agents_gib']:.1f} GiB, of which Mesa's registries alone "
        f"{report['ppa10_mesa_registries_gib']:.1f} GiB"
    )
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
