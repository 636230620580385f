"""A ``yrdsim`` run validates its configuration once and loads its data once.

The command-line check validates every configuration and loads the data before Hydra makes a
folder; the run then reuses both (sim.hydra.app.remember_checked).
"""

import subprocess
import sys

import pytest

SCRIPT = """
import sys
import sim.config.validation as validation
import sim.core.data as data

calls = {"validate": 0, "load": 0}
real_validate, real_load = validation.validate_config, data.load_region_data


def counted_validate(*args, **kwargs):
    calls["validate"] += 1
    return real_validate(*args, **kwargs)


def counted_load(*args, **kwargs):
    calls["load"] += 1
    return real_load(*args, **kwargs)


validation.validate_config = counted_validate
data.load_region_data = counted_load
import sim.cli.run as cli  # binds the counted functions

sys.argv = ["yrdsim", *sys.argv[1:]]
try:
    cli.main()
finally:
    print("CALLS", calls["validate"], calls["load"])
"""


@pytest.mark.slow
def test_a_run_validates_and_loads_once(tmp_path):
    argv = ["end_year=2021", "persons_per_agent=5000", "output.figures=false"]
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv, f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("CALLS"))
    assert line == "CALLS 1 1", out.stdout + out.stderr
    assert (tmp_path / "run" / "provenance.json").is_file()
