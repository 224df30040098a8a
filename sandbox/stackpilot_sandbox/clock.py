"""Scaled time: durations come in AWS seconds, timestamps stay real.

Timestamps the API returns are real wall-clock times, because clients compare
them with their own clock (ecs-deploy filters service events by time). Only
the length of each simulated phase is scaled, so a 60 s rollout can take 0.6 s.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    def __init__(self, time_scale: float) -> None:
        self.time_scale = time_scale

    @staticmethod
    def now() -> float:
        return time.time()

    def real_seconds(self, aws_seconds: float) -> float:
        return aws_seconds * self.time_scale

    def after(self, start: float, aws_seconds: float) -> float:
        """The real time at which a phase of `aws_seconds` starting at `start` ends."""
        return start + self.real_seconds(aws_seconds)


def as_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def as_millis(timestamp: float) -> int:
    return int(timestamp * 1000)
