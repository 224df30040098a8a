"""A throwaway PostgreSQL for the migration stand-in's tests, started and
stopped by the demo's own demo/postgres.sh, so the tests check that too."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1]


def _bash(script: str, env: dict[str, str]) -> str:
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f"source {DEMO / 'postgres.sh'}; {script}"],
        env=env, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@pytest.fixture(scope="session")
def postgres():
    """The libpq variables of a running server, with its bin dir on PATH."""
    env = dict(os.environ, DEMO_PYTHON=sys.executable)
    with tempfile.TemporaryDirectory(prefix="demo-pg-") as work:
        os.chmod(work, 0o755)  # the server runs as another user when we are root
        bindir = _bash("pg_install; pg_bindir", env)
        port = _bash(f"pg_start {work}/pg; echo $PGPORT", env)
        try:
            yield dict(env, PGHOST="127.0.0.1", PGPORT=port, PGUSER="postgres",
                       PATH=f"{bindir}:{env['PATH']}", STATIC_ROOT=f"{work}/static")
        finally:
            _bash(f"PG_DIR={work}/pg; pg_stop", env)
