"""A real single-node Slurm 22.05 (slurmctld, slurmd, slurmdbd on MariaDB, munged) for the tests.

``.ci/slurm/start.sh`` brings it up in a temporary folder (free local ports, 2 CPUs, partition
``yrdsim``, an account ``yrdsimtest``), ``.ci/slurm/stop.sh`` stops exactly the processes it
started, also when a test fails. The Debian packages are installed by ``.ci/run``
(``.ci/slurm/install.sh``). Without them, or without root, the tests are skipped, except under
CI (``CI=true``), where they fail: the cluster path must not go untested there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / ".ci" / "slurm"
PARTITION = "yrdsim"
ACCOUNT = "yrdsimtest"


@dataclass(frozen=True)
class Slurm:
    """A running test Slurm: its config (``SLURM_CONF``) and the environment to reach it."""

    conf: Path
    env: dict[str, str]
    partition: str = PARTITION
    account: str = ACCOUNT

    def run(self, *argv: str) -> str:
        """Run a Slurm client command (``sacct``, ``squeue``, ``scancel``) and return stdout."""
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{argv}: {done.stderr}"
        return done.stdout


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "the test Slurm's daemons run as root"
    missing = [t for t in ("slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd", "sbatch")
               if shutil.which(t) is None]  # fmt: skip
    if missing:
        return f"{', '.join(missing)} not installed (run .ci/slurm/install.sh)"
    return None


@pytest.fixture(scope="session")
def slurm(tmp_path_factory) -> Iterator[Slurm]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"cannot start the test Slurm under CI: {reason}")
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(
        ["bash", str(SCRIPTS / "start.sh"), str(state), "2", PARTITION],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    try:
        assert started.returncode == 0, f"start.sh failed:\n{started.stdout}\n{started.stderr}"
        env = {**os.environ, "SLURM_CONF": str(state / "slurm.conf")}
        cluster = Slurm(conf=state / "slurm.conf", env=env)
        cluster.run("sacctmgr", "-i", "add", "account", ACCOUNT)
        cluster.run("sacctmgr", "-i", "add", "user", "root", f"account={ACCOUNT}")
        yield cluster
    finally:
        stopped = subprocess.run(
            ["bash", str(SCRIPTS / "stop.sh"), str(state)], capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert stopped.returncode == 0, stopped.stderr
