"""The ``yrdsim`` command: run one scenario (or, with ``-m``, a sweep) from the Hydra config.

Thin by design: check the whole command line (:func:`sim.hydra.checks.check_command_line`),
then hand over to the Hydra application (:func:`sim.hydra.app.hydra_main`: validate, simulate,
write). Errors in the configuration or the data are reported as one short message and exit
status 2; set ``YRDSIM_DEBUG=1`` to see the full traceback instead.
"""

from __future__ import annotations

import signal
import sys

from sim.config.schema import ConfigError
from sim.core.data import DataError
from sim.hydra import app
from sim.hydra.checks import Checked, check_command_line


def main() -> None:
    """Entry point of the ``yrdsim`` console script.

    The command line is checked first (every configuration it would run, each value of a sweep
    included, against its data), so a mistake is refused with one message and exit status 2
    before Hydra creates any folder. The configurations and data checked are handed to the
    Hydra application, which does not validate or load them again.
    """
    # A terminated run unwinds like an interrupted one (exit status 143), so half-written
    # temporary files are removed rather than left behind as they would be by a bare SIGTERM.
    signal.signal(signal.SIGTERM, app.terminate)
    checked = Checked()
    try:
        check_command_line(sys.argv[1:], checked=checked)
    except (ConfigError, DataError) as exc:
        app.fail(f"invalid configuration or data:\n{exc}")
    app.remember_checked(checked)
    app.hydra_main()


if __name__ == "__main__":
    main()
