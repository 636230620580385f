"""Mesa agents whose state is one row of numpy arrays held by the model.

The model keeps each agent type's state in arrays (one entry per agent) so that yearly
decisions are taken in bulk; the agent object is a real Mesa agent that knows its row
(``index``) and reads its state through :class:`StateField` descriptors.

Agents are created in bulk by :meth:`IndexedAgent.create_indexed`: the result is what
``cls(model, index)`` gives for each row (a registered ``mesa.Agent`` with its ``unique_id``,
``pos`` and ``index``, found in ``model.agents`` and ``model.agents_by_type``), but built
without Mesa's per-agent call chain, which costs about 5 µs an agent (see
``docs/PERFORMANCE.md``).
"""

from __future__ import annotations

import gc
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat
from typing import Any, Self

import mesa
from mesa.agent import Agent, AgentSet


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (restored to its previous state on exit).

    Creating millions of agents otherwise triggers repeated full collections over all the
    agents already made, which makes creation several times slower and grow faster than linearly.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _bulk_registration_supported(model: mesa.Model) -> bool:
    """Whether ``model`` registers agents the way Mesa 3.3 does (so it can be done in bulk)."""
    return (
        type(model).register_agent is mesa.Model.register_agent
        and isinstance(getattr(model, "_agents", None), dict)
        and isinstance(getattr(model, "_agents_by_type", None), dict)
        and isinstance(getattr(model, "_all_agents", None), AgentSet)
        and isinstance(model._all_agents._agents, weakref.WeakKeyDictionary)
    )


def _add_to_agent_set(agent_set: AgentSet, agents: list[Agent]) -> None:
    """``agent_set.add`` for each agent, in order (the weak references it would make)."""
    table = agent_set._agents
    callback = table._remove
    table.data.update(zip(map(weakref.ref, agents, repeat(callback)), repeat(None)))


def release_agents(model: mesa.Model) -> None:
    """Deregister all of a model's agents at once, when a run is over.

    Equivalent to ``model.remove_all_agents()`` but without a Python call per agent: the weak
    references of the agent sets are dropped first, so freeing the agents runs no callbacks.
    Without it the agents of a finished run live in a reference cycle with their model until
    a full garbage collection, which visits every one of them.
    """
    if not _bulk_registration_supported(model):
        model.remove_all_agents()
        return
    for agent_set in (*model._agents_by_type.values(), model._all_agents):
        agent_set._agents.data.clear()
    model._agents.clear()


class IndexedAgent(mesa.Agent):
    """A Mesa agent whose state is row ``index`` of the arrays in ``model.<store>``.

    Args:
        model: The model the agent belongs to.
        index: The agent's row in its state arrays.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @classmethod
    def create_indexed(cls, model: mesa.Model, indices: Iterable[int]) -> list[Self]:
        """Create and register one agent per row, as ``[cls(model, i) for i in indices]``.

        Each agent gets the next ``unique_id`` of the model, ``pos`` None and its ``index``,
        and is registered with the model (``model.agents``, ``model.agents_by_type[cls]``) in
        the order of ``indices``, exactly as :class:`mesa.Agent` does one by one. The per-agent
        work is a few attribute stores; registration is done in bulk on Mesa's registries.
        Falls back to the one-by-one constructor for a subclass with its own ``__init__`` or
        a model that registers agents differently.

        Args:
            model: The model the agents belong to.
            indices: The agents' rows in their state arrays.

        Returns:
            The new agents, in the order of ``indices``.
        """
        # A range is iterated as it is (at 23.5 M agents a list of its rows would take 0.2 GB
        # beside the agents' own index ints).
        rows: range | list[int]
        if hasattr(indices, "tolist"):
            rows = indices.tolist()
        elif isinstance(indices, range):
            rows = indices
        else:
            rows = [int(i) for i in indices]
        if cls.__init__ is not IndexedAgent.__init__ or not _bulk_registration_supported(model):
            return [cls(model, i) for i in rows]
        if not rows:
            return []
        with gc_paused():
            agents: list[Self] = []
            append = agents.append
            new = cls.__new__
            ids = Agent._ids[model]
            for index in rows:
                agent = new(cls)
                agent.model = model
                agent.unique_id = next(ids)
                agent.pos = None
                agent.index = index
                append(agent)
            model._agents.update(zip(agents, repeat(None)))
            by_type = model._agents_by_type
            if cls not in by_type:
                by_type[cls] = AgentSet([], random=model.random)
            _add_to_agent_set(by_type[cls], agents)
            _add_to_agent_set(model._all_agents, agents)
        return agents


def remove_indexed(model: mesa.Model, agents: list[Any], rows: Iterable[int]) -> None:
    """Remove the agents ``agents[i]`` for ``i`` in ``rows`` from the model; set them to None.

    What ``agents[i].remove()`` does for each, in order (the agent leaves ``model.agents`` and
    ``model.agents_by_type``; an agent already gone, a repeated row or an entry that is already
    None is skipped), without Mesa's per-agent call chain (a context manager, two method calls
    and a debug message formatted per agent) and without a Python-level loop: the deletions
    from the model's dict and from the agent sets' weak-key dictionaries are C-level
    iterations over the agents (a run's removals cost 3-8 % less; what is left, about 6 µs an
    agent inside a run, is memory latency in Mesa's registries: docs/PERFORMANCE.md). Falls back to
    ``Agent.remove`` one by one for an agent class that overrides it or a model that registers
    agents differently.

    Args:
        model: The model the agents belong to.
        agents: The model's list of agents by row (entries are set to None).
        rows: The rows to remove.
    """
    rows = rows.tolist() if hasattr(rows, "tolist") else list(rows)
    if not rows:
        return
    registry = model._agents if _bulk_registration_supported(model) else None
    # Each agent once, in the order of its first row (a repeated row finds None the second
    # time when removed one by one), then the rows emptied.
    picked = list(dict.fromkeys(map(agents.__getitem__, rows)))
    _consume(map(agents.__setitem__, rows, repeat(None)))
    kinds = set(map(type, picked))
    kinds.discard(type(None))
    if registry is None or any(kind.remove is not Agent.remove for kind in kinds):
        for agent in picked:
            if agent is not None:
                agent.remove()
        return
    # Agents that are still registered (Agent.remove suppresses the KeyError of the others).
    present = list(filter(registry.__contains__, picked))
    if not present:
        return
    _consume(map(registry.__delitem__, present))
    every = model._all_agents._agents
    by_type = model._agents_by_type
    if len(kinds) == 1:
        groups = [(by_type[type(present[0])]._agents, present)]
    else:
        groups = [
            (by_type[kind]._agents, [agent for agent in present if type(agent) is kind])
            for kind in kinds
        ]
    for table, members in (*groups, (every, present)):
        # WeakKeyDictionary.__delitem__ is ``self._dirty_len = True; del self.data[ref(key)]``.
        table._dirty_len = True
        _consume(map(table.data.__delitem__, map(weakref.ref, members)))


def _consume(iterator: Iterator[Any]) -> None:
    """Run an iterator to its end at C level, keeping nothing."""
    deque(iterator, maxlen=0)


class StateField:
    """Read-only attribute of an :class:`IndexedAgent`: ``model.<store>.<name>[index]``.

    Args:
        store: Name of the model attribute holding the state arrays (e.g. ``"talent"``).
        cast: Converts the array element to a Python value (``int``, ``float``, ``bool``).
    """

    def __init__(self, store: str, cast: Callable[[Any], Any]) -> None:
        self.store = store
        self.cast = cast
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: IndexedAgent | None, owner: type) -> Any:
        if agent is None:
            return self
        return self.cast(getattr(getattr(agent.model, self.store), self.name)[agent.index])
