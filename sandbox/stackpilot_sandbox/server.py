"""The HTTP server: moto's app behind a thin layer of our own.

The layer names each AWS call (for the call log and throttling), answers the
control endpoint, and serialises requests with the simulation under one lock,
moving simulated time forward before each request. A background ticker moves
it forward between requests too, so local processes and logs progress while
nobody is polling.
"""

from __future__ import annotations

import io
import json
import re
import threading
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import convert_to_flask_response
from moto.moto_server.utilities import RegexConverter
from moto.moto_server.werkzeug_app import (
    HTTP_METHODS,
    BackendRequest,
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from . import control, ecs_backend, executor
from .call_log import is_mutating
from .faults import throttling_response
from .runtime import RUNTIME
from .s3_roots import with_aws_root

TICK_SECONDS = 0.05
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_RPC_V2_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")


def identify(environ: dict, body: bytes) -> tuple[str, str]:
    """(service, operation) of an AWS request, whatever its protocol."""
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    rpc = _RPC_V2_PATH.match(path)
    if rpc:
        return service, rpc.group(2)
    for source in (environ.get("QUERY_STRING", ""), body.decode("utf-8", "replace")):
        action = parse_qs(source).get("Action")
        if action:
            return service, action[0]
    return service, f"{environ.get('REQUEST_METHOD', 'GET')} {path}"


def as_json_protocol(environ: dict, payload: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, list[tuple[str, str]]]:
    """A JSON-protocol request (X-Amz-Target) gets its answer as AWS sends
    it: members without a value left out (moto writes some as null, e.g.
    CloudWatch Logs' `nextToken`, which strict clients reject) and the
    request's JSON content type (moto's logs say text/html)."""
    kind = environ.get("CONTENT_TYPE", "")
    if not environ.get("HTTP_X_AMZ_TARGET") or not kind.startswith("application/x-amz-json"):
        return payload, headers
    try:
        document = json.loads(payload) if payload else None
    except ValueError:
        return payload, headers
    if document is not None:
        payload = json.dumps(_drop_nulls(document), separators=(",", ":")).encode()
    rewritten = {"content-length": str(len(payload)), "content-type": kind}
    return payload, [(k, rewritten.get(k.lower(), v)) for k, v in headers]


def as_s3_answer(payload: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, list[tuple[str, str]]]:
    """S3's root element where moto names it otherwise (s3_roots.py)."""
    renamed = with_aws_root(payload)
    if renamed is payload:
        return payload, headers
    return renamed, [(k, str(len(renamed)) if k.lower() == "content-length" else v) for k, v in headers]


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(item) for item in value]
    return value


class SandboxApp:
    def __init__(self, moto_app) -> None:
        self.moto_app = moto_app

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "")
        if path.startswith(control.PREFIX):
            return control.handle(environ, start_response, body)
        service = None
        if not path.startswith("/moto-api"):
            service, operation = identify(environ, body)
            with RUNTIME.lock:
                throttled = RUNTIME.throttler.should_throttle(operation)
            mutating = is_mutating(operation, environ.get("REQUEST_METHOD", "POST"))
            RUNTIME.calls.record(service, operation, mutating, throttled)
            if throttled:
                return throttling_response(start_response)
        answer: list[Any] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answer[:] = [status, headers]
            return lambda _data: None

        with RUNTIME.lock:
            ecs_backend.tick_all(RUNTIME.clock.now())
            result = self.moto_app(environ, hold)
            try:
                payload = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
        status, headers = answer
        payload, headers = as_json_protocol(environ, payload, headers)
        if service == "s3":
            payload, headers = as_s3_answer(payload, headers)
        start_response(status, headers)
        return [payload]


class Ticker(threading.Thread):
    """Advances the simulation a few times a second; sleeps in between."""

    def __init__(self) -> None:
        super().__init__(name="sandbox-ticker", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            try:
                with RUNTIME.lock:
                    ecs_backend.tick_all(RUNTIME.clock.now())
            except Exception:  # keep time moving; the same error surfaces on the next request
                traceback.print_exc()


class QuietRequestHandler(MotoRequestHandler):
    """No access log line per request (clients poll a lot); errors still print."""

    def log_request(self, code: object = "-", size: object = "-") -> None:
        pass


def sandbox_routes(service: str) -> dict[str, Callable[..., Any]] | None:
    """The sandbox's own routes for `service`, or None when moto's app serves
    it. ECS and CloudFormation have backends of their own (the routes come
    from the module each names: ecs_urls.py answered by SandboxEcsResponse,
    cfn_responses.py); Elastic Load Balancing keeps moto's backend with
    answers of ours (elbv2_responses.py). CloudFormation's is imported on first
    use: it loads every moto model, and a heap that large makes garbage
    collection pause ECS requests long enough to skip over short task phases."""
    if service == "ecs":
        return ecs_backend.sandbox_ecs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].flask_paths
    if service == "cloudformation":
        from .cfn_responses import sandbox_cloudformation_backends

        return sandbox_cloudformation_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].flask_paths
    if service in ("elb", "elbv2"):
        from moto.elbv2.models import elbv2_backends

        from .elbv2_responses import dispatch

        return {path: dispatch for path in elbv2_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].flask_paths}
    return None


def create_app(service: str) -> Flask:
    """moto's app for each service, except those the sandbox answers itself."""
    routes = sandbox_routes(service)
    if routes is None:
        return create_backend_app(service)
    app = Flask(f"stackpilot-sandbox-{service}")
    app.request_class = BackendRequest
    app.url_map.converters["regex"] = RegexConverter
    for index, (path, handler) in enumerate(routes.items()):
        app.add_url_rule(
            path,
            endpoint=f"{service}-{index}",
            view_func=convert_to_flask_response(handler),
            methods=HTTP_METHODS,
            strict_slashes=False,
        )
    return app


def build_server(host: str, port: int) -> BaseWSGIServer:
    app = SandboxApp(DomainDispatcherApplication(create_app))
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


def serve_forever(server: BaseWSGIServer) -> None:
    ticker = Ticker()
    ticker.start()
    try:
        server.serve_forever()
    finally:
        ticker.stopped.set()
        executor.stop_all()
        server.server_close()
