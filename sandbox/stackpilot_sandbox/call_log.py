"""The record of API calls the sandbox received, for tests to assert on
(a dry run made no mutating call; how many ECS calls a deploy needed)."""

from __future__ import annotations

import threading
import time

# Operations whose name starts with one of these only read.
READ_PREFIXES = (
    "Describe",
    "List",
    "Get",
    "BatchGet",
    "Filter",
    "Head",
    "Lookup",
    "Search",
    "Query",
    "Scan",
    "Select",
    "Validate",
    "Simulate",
    "Preview",
)


def is_mutating(operation: str, method: str = "POST") -> bool:
    if operation.startswith(READ_PREFIXES):
        return False
    if operation.startswith(("GET ", "HEAD ")) or method in ("GET", "HEAD"):
        return False
    return True


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[dict] = []
        self._seq = 0

    def record(self, service: str, operation: str, mutating: bool, throttled: bool) -> None:
        with self._lock:
            self._seq += 1
            self._calls.append(
                {
                    "seq": self._seq,
                    "time": time.time(),
                    "service": service,
                    "operation": operation,
                    "mutating": mutating,
                    "throttled": throttled,
                }
            )

    def snapshot(self, since: int = 0) -> list[dict]:
        with self._lock:
            return [dict(c) for c in self._calls if c["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
