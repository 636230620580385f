"""Policy levers of the YRD Action Plan and the named scenarios built from them.

The named scenarios themselves are Hydra YAML files under ``configs/scenario/``; this package
holds their schema (:mod:`scenarios.levers`) and the list of names.
"""

from scenarios.levers import (
    ClassPolicy,
    ResidencyLever,
    ScenarioConfig,
    TransportLever,
    TransportProject,
    VoucherLever,
)

#: The named scenarios shipped with yrdsim (``configs/scenario/<name>.yaml``).
SCENARIO_NAMES: tuple[str, ...] = ("baseline", "transport", "vouchers", "residency", "integrated")

#: Scenarios of past policy, for hindcasts against the census (run them through their
#: experiment, e.g. ``experiment=hindcast_2010``, which also sets the years and status quo).
HINDCAST_SCENARIO_NAMES: tuple[str, ...] = ("hindcast_2010",)

__all__ = [
    "HINDCAST_SCENARIO_NAMES",
    "SCENARIO_NAMES",
    "ClassPolicy",
    "ResidencyLever",
    "ScenarioConfig",
    "TransportLever",
    "TransportProject",
    "VoucherLever",
]
