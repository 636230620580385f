"""yrdsim's Hydra launcher plugins (Hydra only instantiates launchers from ``hydra_plugins``).

The code is :class:`sim.hydra.sweep.ReportingSlurmLauncher`; this module only names it where
Hydra looks for plugins. Chosen by ``hydra/launcher=slurm`` (``configs/hydra/launcher/slurm.yaml``).
"""

from __future__ import annotations

from sim.hydra.sweep import ReportingSlurmLauncher


class SlurmLauncher(ReportingSlurmLauncher):
    """yrdsim's Slurm launcher (see :class:`sim.hydra.sweep.ReportingSlurmLauncher`)."""
