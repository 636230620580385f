"""``yrdsim-explorer``: the server command, and one-line refusals before anything starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.cli import explorer as cli
from sim.explorer import server


def test_server_command_serves_the_app_locally_without_telemetry(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "missing_packages", lambda: [])
    command, env = server.server_command("127.0.0.1", 0, sweep=tmp_path, scale=5000)
    assert command[1:5] == ["-m", "solara", "run", "sim.explorer.app"]
    port = int(command[command.index("--port") + 1])
    assert port > 0  # 0 asks for a free port, chosen here
    assert "--production" in command and command[command.index("--host") + 1] == "127.0.0.1"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env[server.SWEEP_ENV] == str(tmp_path.resolve())
    assert env[server.SCALE_ENV] == "5000"


def test_page_defaults_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(server.SCALE_ENV, "10000")
    monkeypatch.setenv(server.SWEEP_ENV, "/some/sweep")
    assert server.default_scale() == 10000 and server.default_sweep() == "/some/sweep"
    monkeypatch.setenv(server.SCALE_ENV, "many")
    assert server.default_scale() == 2000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--sweep", "/no/such/folder"],
            "--sweep: '/no/such/folder' is not a folder; give a sweep folder",
        ),
        (["--scale", "0"], "--scale: 0 is not allowed; allowed: a whole number >= 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys, monkeypatch):
    monkeypatch.setattr(server, "missing_packages", lambda: [])
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"yrdsim-explorer: error: {message}"]


def test_missing_extra_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setattr(server, "missing_packages", lambda: ["solara"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == 2
    assert 'pip install -e ".[explorer]"' in capsys.readouterr().err


def test_help_names_the_options():
    out = subprocess.run(
        [sys.executable, "-m", "sim.cli.explorer", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "--sweep" in out.stdout and "--port" in out.stdout
