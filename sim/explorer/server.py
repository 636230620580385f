"""How the explorer's web server is started: the Solara command and its environment.

The page (:mod:`sim.explorer.app`) is served by ``solara run`` in production mode, bound to a
local address. Solara's usage telemetry is switched off, and its front-end files come from the
``solara-assets`` package of the ``explorer`` extra, so the page loads with no network. The
page reads its start-up choices (a sweep folder, the scale) from environment variables.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

#: The module ``solara run`` serves.
APP_MODULE = "sim.explorer.app"
#: Environment variable naming a sweep folder to open in the sweep view at start-up.
SWEEP_ENV = "YRDSIM_EXPLORER_SWEEP"
#: Environment variable with the default scale (persons per agent) of the page.
SCALE_ENV = "YRDSIM_EXPLORER_SCALE"
#: The page's default scale (persons per talent agent): coarser than ``yrdsim``'s 1,000.
DEFAULT_SCALE = 2000
#: Packages the explorer needs beyond yrdsim's own (the ``explorer`` extra).
REQUIRED = ("solara", "solara_assets", "altair", "networkx")
#: Flags of a headless Chromium that drives the page in a container (the browser test and
#: ``benchmarks/explorer_browser.py``): no sandbox or GPU, no network of its own.
HEADLESS_CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class ExplorerError(ValueError):
    """The explorer cannot start; the message says why and what to do."""


def missing_packages() -> list[str]:
    """The packages of the ``explorer`` extra that are not installed."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_listening(
    port: int, process: subprocess.Popen, timeout: float = 90.0, host: str = "127.0.0.1"
) -> None:
    """Wait until the server ``process`` started accepts connections on ``host:port``.

    Raises:
        RuntimeError: The process ended first (its exit status is named).
        TimeoutError: Nothing listened within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"yrdsim-explorer exited with status {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"yrdsim-explorer did not listen on port {port} within {timeout} s")


def default_scale() -> int:
    """The page's default scale: ``$YRDSIM_EXPLORER_SCALE`` or the explorer's own default."""
    text = os.environ.get(SCALE_ENV, "")
    return int(text) if text.strip().isdigit() and int(text) > 0 else DEFAULT_SCALE


def default_sweep() -> str:
    """The sweep folder to open at start-up (``$YRDSIM_EXPLORER_SWEEP``), or ``""``."""
    return os.environ.get(SWEEP_ENV, "")


def server_command(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    sweep: str | Path | None = None,
    scale: int | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the explorer.

    Args:
        host: Address to listen on (the default serves this machine only).
        port: TCP port (0: a free one is chosen here).
        sweep: A sweep folder to open in the sweep view.
        scale: Default persons per agent of the page.

    Returns:
        The argument list (``python -m solara run ...``) and the environment to run it with.

    Raises:
        ExplorerError: A package of the extra is missing, the sweep folder does not exist or
            the scale is not a positive whole number.
    """
    missing = missing_packages()
    if missing:
        raise ExplorerError(
            f"the explorer needs the optional extra 'explorer' ({', '.join(missing)} missing); "
            'install it with: pip install -e ".[explorer]"'
        )
    if sweep is not None and not Path(sweep).expanduser().is_dir():
        raise ExplorerError(f"--sweep: {str(sweep)!r} is not a folder; give a sweep folder")
    if scale is not None and scale <= 0:
        raise ExplorerError(f"--scale: {scale} is not allowed; allowed: a whole number >= 1")
    port = free_port(host) if port == 0 else port
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}
    if sweep is not None:
        env[SWEEP_ENV] = str(Path(sweep).expanduser().resolve())
    if scale is not None:
        env[SCALE_ENV] = str(scale)
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
    ]
    return command, env
