"""Throttling: which calls get a ThrottlingException, decided reproducibly.

Each throttled operation draws from its own generator seeded with the scenario
seed and the operation name, so whether the n-th DescribeServices call is
throttled does not depend on how other operations were interleaved.
"""

from __future__ import annotations

import json
import random
import uuid

from .scenario import Throttling


class Throttler:
    def __init__(self, config: Throttling) -> None:
        self.config = config
        self._generators: dict[str, random.Random] = {}
        self._consecutive: dict[str, int] = {}

    def should_throttle(self, operation: str) -> bool:
        if operation not in self.config.operations or self.config.share <= 0:
            return False
        generator = self._generators.setdefault(operation, random.Random(f"{self.config.seed}:{operation}"))
        throttle = generator.random() < self.config.share
        limit = self.config.max_consecutive
        streak = self._consecutive.get(operation, 0)
        if throttle and limit is not None and streak >= limit:
            throttle = False
        self._consecutive[operation] = streak + 1 if throttle else 0
        return throttle


def throttling_response(start_response):
    """The answer AWS JSON-protocol services give when a rate limit is hit."""
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("x-amzn-ErrorType", "ThrottlingException"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body.encode()]
