"""Hydra's private modules yrdsim relies on (sim.hydra.private) are still there and still work.

Hydra 1.3 offers no public parser of its command line and no public expander of a basic sweep.
If an upgrade of Hydra moves or changes them, these tests fail here, naming the function to fix,
rather than the command-line check or the sweep total failing somewhere less obvious.
"""

from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.hydra.private import hydra_args_parser, split_sweep


def test_hydra_still_has_its_command_line_parser():
    args, unknown = hydra_args_parser().parse_known_args(["-m", "--cfg", "job", "seed=1,2"])
    assert not unknown
    assert args.multirun and args.cfg == "job" and list(args.overrides) == ["seed=1,2"]
    for flag in ("help", "hydra_help", "info", "shell_completion", "cfg", "experimental_rerun"):
        assert hasattr(args, flag), f"Hydra's parser lost --{flag}: update sim.hydra.private"
    for flag in ("config_path", "config_name", "config_dir"):
        assert hasattr(args, flag), f"Hydra's parser lost {flag}: update sim.hydra.private"


def test_hydra_still_splits_a_basic_sweep():
    overrides = OverridesParser.create().parse_overrides(["scenario=a,b", "seed=0,1", "x=1"])
    jobs = [list(job) for batch in split_sweep(overrides) for job in batch]
    assert len(jobs) == 4
    assert all("x=1" in job for job in jobs)
    assert sorted(tuple(sorted(job)) for job in jobs) == sorted(
        tuple(sorted([f"scenario={s}", f"seed={n}", "x=1"])) for s in "ab" for n in "01"
    )
