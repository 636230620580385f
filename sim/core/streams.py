"""The model's random streams: one per process and year, independent of each other.

Streams are keyed by (model entropy, year, process), so a process's draws in a year do not
depend on how many numbers other processes or earlier years used. Within a stream, draws are
made for every agent row (dead firm rows included) and then indexed, so the same agent gets the
same number in every scenario run with the same seed (common random numbers; a process that
needs two numbers per row draws them as one ``(rows, 2)`` block, so that rows added by entry do
not shift the second number of earlier rows).
"""

from __future__ import annotations

import numpy as np

#: The processes that draw random numbers, each from its own stream.
RANDOM_STREAMS: tuple[str, ...] = (
    "start_talent",
    "start_firms",
    "opportunities",
    "project_values",
    "vouchers",
    "providers",
    "innovation",
    "exit",
    "relocation",
    "entry",
    "talent",
    "hukou",
    "deaths",
    "births",
    "immigration",
)


def stream(entropy: int, year: int, process: str) -> np.random.Generator:
    """The random stream of ``process`` in ``year`` of a model seeded with ``entropy``."""
    return np.random.default_rng([entropy, year, RANDOM_STREAMS.index(process)])
