"""Starting and stopping a sandbox server: the one place that waits for it.

Everything that needs a running sandbox (the sandbox's tests, the benchmark
suite, the demo, the shell benchmarks, stackpilot's Rust tests) starts it
through here, from Python:

    with start(scenario="scenarios/healthy.yaml", log=work / "sandbox.log") as sandbox:
        sandbox.seed("alpha")
        sandbox.client("ecs").describe_services(...)

or from a shell, through `python -m stackpilot_sandbox start` and `stop`
(see `__main__.py`), which print and take the same url, pid and log.

The server runs in a session of its own with stdout and stderr in the log
file; it is ready once its ready line is in that file. The wait is polled and
bounded, and a server that exits or does not get ready in time is stopped and
reported with the end of its log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

READY_PREFIX = "sandbox listening on "
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.05
LOG_TAIL_LINES = 20
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class SandboxDidNotStart(RuntimeError):
    """The server exited or was not ready in time; the message ends with its log's tail."""


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError as err:
        return f"(cannot read {log}: {err})"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


def ready_url(log: Path) -> str | None:
    """The URL from the server's ready line, once the log has it."""
    try:
        text = log.read_text(errors="replace")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip()
    return None


def is_running(pid: int) -> bool:
    """Whether `pid` is a live process (an exited, unreaped one counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # /proc/PID/stat: "pid (comm) STATE ..."; comm may hold spaces and parentheses.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(0) is all there is
    return state != "Z"


def _wait_gone(pid: int, process: subprocess.Popen | None, timeout: float) -> bool:
    if process is not None:
        try:
            process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while is_running(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def stop(pid: int, timeout: float = STOP_TIMEOUT_SECONDS, process: subprocess.Popen | None = None) -> None:
    """SIGTERM (the server then ends the local processes it started), then,
    after `timeout` seconds, SIGKILL to its whole session's process group."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if _wait_gone(pid, process, timeout):
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _wait_gone(pid, process, timeout)


class Sandbox:
    """A running sandbox server: where it listens, its process, its log."""

    def __init__(self, url: str, pid: int, log: Path, process: subprocess.Popen | None = None,
                 owns_log: bool = False) -> None:
        self.url = url
        self.pid = pid
        self.log = log
        self._process = process
        self._owns_log = owns_log

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        stop(self.pid, timeout, self._process)
        if self._owns_log:
            self.log.unlink(missing_ok=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the control endpoint (see control.py) ------------------------------

    def control(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_sandbox{path}", data=body, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def load(self, scenario_yaml: str) -> dict[str, Any]:
        return self.control("POST", "/scenario", scenario_yaml.encode())

    def calls(self) -> list[dict[str, Any]]:
        return self.control("GET", "/calls")["calls"]

    def clear_calls(self) -> None:
        self.control("DELETE", "/calls")

    # --- AWS clients --------------------------------------------------------

    def client(self, service: str, attempts: int | None = None):
        """A boto3 client for this sandbox; `attempts` caps tries per call (1 = no retries)."""
        import boto3
        from botocore.config import Config

        config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}) if attempts else None
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=CREDENTIALS["AWS_REGION"],
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=config,
        )

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for AWS clients run as subprocesses: dummy credentials,
        this endpoint, no profile, and this Python's bin folder (where the
        venv's `aws` and `ecs` are) first on PATH."""
        env = dict(os.environ if base is None else base, **CREDENTIALS, AWS_ENDPOINT_URL=self.url)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("AWS_PROFILE", None)
        return env

    def seed(self, env: str = "alpha", desired_count: int = 1) -> dict[str, Any]:
        from .seed import seed

        return seed(env, self.url, desired_count=desired_count)


def start(
    scenario: str | os.PathLike[str] | None = None,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    log: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> Sandbox:
    """Starts `python -m stackpilot_sandbox serve` and waits until it is ready.

    `port` 0 picks a free one. The server runs in `cwd` (what a scenario's
    local `cwd` is relative to) with `env`; its output goes to `log` (a temp
    file, removed on stop, when not given). Raises SandboxDidNotStart.
    """
    owns_log = log is None
    if log is None:
        handle, name = tempfile.mkstemp(prefix="stackpilot-sandbox-", suffix=".log")
        os.close(handle)
        log = name
    log_path = Path(log).resolve()
    argv = [sys.executable, "-m", "stackpilot_sandbox", "serve", "--host", host, "--port", str(port)]
    if scenario is not None:
        argv += ["--scenario", str(Path(scenario).resolve())]
    with open(log_path, "w") as out:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while True:
        url = ready_url(log_path)
        if url:
            return Sandbox(url, process.pid, log_path, process, owns_log)
        code = process.poll()
        if code is not None:
            why = f"exited with code {code}"
            break
        if time.monotonic() >= deadline:
            why = f"was not ready within {timeout:g} s"
            stop(process.pid, process=process)
            break
        time.sleep(POLL_SECONDS)
    message = f"the sandbox {why}; the end of its log ({log_path}):\n{log_tail(log_path)}"
    if owns_log:
        log_path.unlink(missing_ok=True)
    raise SandboxDidNotStart(message)
