"""The control endpoint under /_sandbox/, for tests and demos (not an AWS API).

GET    /_sandbox/health            {"status": "ok", "scenario": name, "timeScale": s}
GET    /_sandbox/calls?since=N     {"calls": [{seq, time, service, operation, mutating, throttled}]}
DELETE /_sandbox/calls             {"cleared": true}
GET    /_sandbox/scenario          {"name": name, "timeScale": s}
POST   /_sandbox/scenario          body: scenario YAML (or JSON) -> {"loaded": name, "timeScale": s}
POST   /_sandbox/reset             forget every AWS resource and the call log -> {"reset": true}
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from moto.moto_api._internal.models import moto_api_backend

from . import executor
from .runtime import RUNTIME
from .scenario import ScenarioError, load_scenario_text

PREFIX = "/_sandbox"


def _reply(start_response, status: str, payload: dict):
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _scenario_summary() -> dict:
    return {"name": RUNTIME.scenario.name, "timeScale": RUNTIME.scenario.time_scale}


def handle(environ, start_response, body: bytes):
    route = (environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")[len(PREFIX) :].rstrip("/"))
    if route == ("GET", "/health"):
        return _reply(
            start_response,
            "200 OK",
            {"status": "ok", "scenario": RUNTIME.scenario.name, "timeScale": RUNTIME.scenario.time_scale},
        )
    if route == ("GET", "/calls"):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        since = int(query.get("since", ["0"])[0])
        return _reply(start_response, "200 OK", {"calls": RUNTIME.calls.snapshot(since)})
    if route == ("DELETE", "/calls"):
        RUNTIME.calls.clear()
        return _reply(start_response, "200 OK", {"cleared": True})
    if route == ("GET", "/scenario"):
        return _reply(start_response, "200 OK", _scenario_summary())
    if route == ("POST", "/scenario"):
        try:
            RUNTIME.load(load_scenario_text(body.decode("utf-8")))
        except ScenarioError as err:
            return _reply(start_response, "400 Bad Request", {"error": str(err)})
        return _reply(
            start_response,
            "200 OK",
            {"loaded": RUNTIME.scenario.name, "timeScale": RUNTIME.scenario.time_scale},
        )
    if route == ("POST", "/reset"):
        with RUNTIME.lock:
            executor.stop_all()
            moto_api_backend.reset()
            RUNTIME.calls.clear()
        return _reply(start_response, "200 OK", {"reset": True})
    return _reply(start_response, "404 Not Found", {"error": f"no control route {route[0]} {route[1]}"})
