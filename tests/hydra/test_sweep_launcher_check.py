"""The command-line check composes the launcher: its settings pass, a misspelt one is refused."""

from __future__ import annotations

import pytest

from sim.config.schema import ConfigError
from sim.hydra.checks import check_command_line

SWEEP = ["-m", "seed=0,1", "end_year=2021"]

SLURM_SETTINGS = [
    "hydra.launcher.partition=compute",
    "hydra.launcher.account=myproject",
    "hydra.launcher.timeout_min=120",
    "hydra.launcher.mem_gb=4",
    "hydra.launcher.cpus_per_task=1",
    "hydra.launcher.array_parallelism=8",
    'hydra.launcher.setup=["source ~/yrdsim/.venv/bin/activate"]',
]


@pytest.mark.parametrize(
    "argv",
    [
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        ["hydra/launcher=slurm", *SLURM_SETTINGS],
        ["hydra/launcher=slurm", "+hydra.launcher.additional_parameters.mail-type=END"],
        ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5"],
    ],
    ids=["joblib", "slurm", "slurm-sbatch-option", "submitit_local"],
)
def test_launcher_settings_are_accepted_with_their_launcher(argv):
    configs = check_command_line([*SWEEP, *argv], check_data=False)
    assert [c.seed for c in configs] == [0, 1]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            ["hydra/launcher=slurm", "hydra.launcher.partiton=compute"],
            ["hydra.launcher.partiton:", "not a setting of the launcher SlurmLauncher",
             "hydra/launcher=slurm", "did you mean 'partition'"],
        ),
        (
            ["hydra/launcher=joblib", "hydra.launcher.njobs=2"],
            ["hydra.launcher.njobs:", "JoblibLauncher", "allowed:", "n_jobs",
             "did you mean 'n_jobs'"],
        ),
        (
            ["hydra.launcher.n_jobs=2"],
            ["hydra.launcher.n_jobs:", "BasicLauncher", "has no settings",
             "hydra/launcher=joblib"],
        ),
        (
            ["hydra/launcher=slurm", "hydra.launcher.additional_parameters={mail-type:END}"],
            ["hydra.launcher.additional_parameters:", "a mapping of the launcher SlurmLauncher",
             "+hydra.launcher.additional_parameters.mail-type=END"],
        ),
        (
            ["hydra/launcher=slurmm"],
            ["hydra/launcher=slurmm:", "allowed:", "slurm", "submitit_local"],
        ),
    ],
    ids=["slurm-typo", "joblib-typo", "no-launcher", "whole-mapping", "unknown-launcher"],
)  # fmt: skip
def test_a_misspelt_launcher_setting_is_refused_with_one_clear_line(argv, words):
    with pytest.raises(ConfigError) as caught:
        check_command_line([*SWEEP, *argv], check_data=False)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)
