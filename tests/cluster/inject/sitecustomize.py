"""Injected into the Slurm jobs of the cluster tests (``hydra.launcher.setup`` puts this folder
on ``PYTHONPATH``): the run of ``YRDSIM_INJECT_FAIL`` (``scenario:seed``) raises, and the run of
``YRDSIM_INJECT_SLOW`` sleeps before running, so that the test can ``scancel`` it mid-run.
"""

import os
import time

FAIL = os.environ.get("YRDSIM_INJECT_FAIL")
SLOW = os.environ.get("YRDSIM_INJECT_SLOW")

if FAIL or SLOW:
    import sim.hydra.app as app

    real = app.run

    def injected(config, data, out_dir, overrides=None):
        which = f"{config.scenario.name}:{config.seed}"
        if which == FAIL:
            raise RuntimeError("injected failure")
        if which == SLOW:
            time.sleep(float(os.environ.get("YRDSIM_INJECT_SLOW_SECONDS", "300")))
        return real(config, data, out_dir, overrides)

    app.run = injected
