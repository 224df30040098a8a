"""The launcher: the one way to start a sandbox, from Python and from a shell."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request

import pytest
from harness import SANDBOX_DIR

from stackpilot_sandbox.launcher import CREDENTIALS, SandboxDidNotStart, is_running, start

BROKEN_SCENARIO = "name: broken\ntimeScale: 0.01\ntasks: {pendingSecond: 3}\n"


def health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_sandbox/health", timeout=10) as response:
        return json.loads(response.read())


def launcher_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stackpilot_sandbox", *args],
        cwd=SANDBOX_DIR,
        env=dict(os.environ, **CREDENTIALS),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_waits_until_ready_and_stop_ends_the_server(tmp_path):
    log = tmp_path / "sandbox.log"
    with start(SANDBOX_DIR / "scenarios" / "slow-start.yaml", log=log) as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")
        assert health(sandbox.url)["scenario"] == "slow-start"
        assert is_running(sandbox.pid)
        assert f"sandbox listening on {sandbox.url}" in log.read_text()
    assert not is_running(sandbox.pid)
    assert log.exists(), "a log the caller named is kept"


def test_a_temporary_log_goes_with_the_sandbox():
    sandbox = start()
    log = sandbox.log
    assert log.is_file()
    sandbox.stop()
    assert not log.exists()


def test_a_server_that_exits_is_reported_with_its_log(tmp_path):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(BROKEN_SCENARIO)
    with pytest.raises(SandboxDidNotStart) as failure:
        start(scenario, log=tmp_path / "sandbox.log")
    message = str(failure.value)
    assert "exited with code 2" in message
    assert "pendingSecond" in message, message


def test_the_wait_is_bounded(tmp_path):
    # The server cannot import moto and bind in no time at all.
    with pytest.raises(SandboxDidNotStart, match="was not ready within 0 s"):
        start(log=tmp_path / "sandbox.log", timeout=0)


def test_cli_start_prints_shell_assignments_and_stop_ends_it(tmp_path):
    log = tmp_path / "sandbox.log"
    started = launcher_cli("start", "--port", "0", "--log", str(log))
    assert started.returncode == 0, started.stderr
    values = dict(line.split("=", 1) for line in started.stdout.splitlines())
    assert set(values) == {"AWS_ENDPOINT_URL", "SANDBOX_PID", "SANDBOX_LOG"}
    assert shlex.split(values["SANDBOX_LOG"]) == [str(log)]
    pid = int(values["SANDBOX_PID"])
    try:
        assert health(values["AWS_ENDPOINT_URL"])["status"] == "ok"
        # The server outlives the command that started it.
        assert is_running(pid)
    finally:
        stopped = launcher_cli("stop", "--pid", str(pid))
    assert stopped.returncode == 0, stopped.stderr
    assert not is_running(pid)


def test_cli_start_fails_with_the_end_of_the_log(tmp_path):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(BROKEN_SCENARIO)
    started = launcher_cli("start", "--port", "0", "--scenario", str(scenario), "--log", str(tmp_path / "s.log"))
    assert started.returncode == 1
    assert started.stdout == ""
    assert "sandbox: the sandbox exited with code 2" in started.stderr
    assert "pendingSecond" in started.stderr


def test_cli_stop_of_a_process_that_is_gone_succeeds():
    stopped = launcher_cli("stop", "--pid", "999999999")
    assert stopped.returncode == 0, stopped.stderr
