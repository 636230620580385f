"""Mesa agents whose state is one row of numpy arrays held by the model.

The model keeps each agent type's state in arrays (one entry per agent) so that yearly
decisions are taken in bulk; the agent object is a real Mesa agent that knows its row
(``index``) and reads its state through :class:`StateField` descriptors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa


class IndexedAgent(mesa.Agent):
    """A Mesa agent whose state is row ``index`` of the arrays in ``model.<store>``.

    Args:
        model: The model the agent belongs to.
        index: The agent's row in its state arrays.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index


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
