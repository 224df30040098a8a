"""Runs ecs-deploy (`ecs`) with its sleeps scaled by TIME_SCALE, for a sandbox
that runs faster than real time: its `--sleep-time` takes whole seconds, so
the option alone cannot follow a time scale below 1. ecs-deploy binds
`time.sleep` when it is imported, so the scaled one goes in first.

Usage: python scaled_sleep.py ARGS...   (the arguments of `ecs`)
"""

import os
import sys
import time

_real_sleep = time.sleep
_scale = float(os.environ.get("TIME_SCALE", "1"))


def _scaled_sleep(seconds: float) -> None:
    _real_sleep(seconds * _scale)


if __name__ == "__main__":
    if 0 < _scale < 1:
        time.sleep = _scaled_sleep
    from ecs_deploy.cli import ecs

    sys.argv[0] = "ecs"
    sys.exit(ecs())
