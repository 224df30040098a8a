"""The local executor: a container of a mapped task family really runs here.

The process runs the container's entryPoint + command (overrides first), with
the task definition's and the overrides' environment laid over this process's
own environment, so a migration task can really create a database. Output is
collected by a reader thread; the simulation picks lines and the exit code up
on its next tick, so nothing here touches moto's state.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import Any

# Every process this sandbox started, so shutdown can end them.
_RUNNING: set[LocalProcess] = set()
_RUNNING_LOCK = threading.Lock()


def container_argv(container_def: dict[str, Any], override: dict[str, Any]) -> list[str]:
    command = override.get("command") or container_def.get("command") or []
    return list(container_def.get("entryPoint") or []) + list(command)


def container_env(container_def: dict[str, Any], override: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for source in (container_def.get("environment"), override.get("environment")):
        for pair in source or []:
            env[str(pair["name"])] = str(pair.get("value", ""))
    return env


class LocalProcess:
    """One container running as a local process."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str | None, timeout: float):
        self.argv = argv
        self.returncode: int | None = None
        self.error: str | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()
        try:
            self._process = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except OSError as err:
            # ECS reports an exec failure as a container that could not start.
            self._process = None
            self.error = f"CannotStartContainerError: {err}"
            self.returncode = 127
            return
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        threading.Thread(target=self._pump, args=(timeout,), daemon=True).start()

    def _pump(self, timeout: float) -> None:
        timer = threading.Timer(timeout, self._kill)
        timer.daemon = True
        timer.start()
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))
        code = self._process.wait()
        timer.cancel()
        with self._lock:
            # A signal death shows as 128+n, as docker reports it.
            self.returncode = code if code >= 0 else 128 - code
        with _RUNNING_LOCK:
            _RUNNING.discard(self)

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def take_lines(self) -> list[str]:
        with self._lock:
            lines, self._lines = self._lines, []
            return lines

    @property
    def finished(self) -> bool:
        with self._lock:
            return self.returncode is not None

    def stop(self) -> None:
        self._kill()


def stop_all() -> None:
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        process.stop()
