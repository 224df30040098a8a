"""The sandbox's own state beside moto's: scenario, clock, throttling, call log.

One re-entrant lock guards moto's models and the simulation together: every
API request and every background tick holds it, so the scheduler never sees a
half-applied request.
"""

from __future__ import annotations

import threading

from .call_log import CallLog
from .clock import Clock
from .faults import Throttler
from .scenario import Scenario


class Runtime:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls = CallLog()
        # One clock for the whole run: services and tasks keep a reference to
        # it, so a newly loaded scenario's time scale reaches them too.
        self.clock = Clock(Scenario().time_scale)
        self.load(Scenario())

    def load(self, scenario: Scenario) -> None:
        with self.lock:
            self.scenario = scenario
            self.clock.time_scale = scenario.time_scale
            self.throttler = Throttler(scenario.throttling)


RUNTIME = Runtime()
