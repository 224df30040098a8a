"""Command line: `serve` runs the sandbox in the foreground; `start` runs it in
the background and prints where (for shell scripts), `stop` ends it; `seed`
creates an app environment in it."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys

from .launcher import START_TIMEOUT_SECONDS, STOP_TIMEOUT_SECONDS

DEFAULT_PORT = int(os.environ.get("SANDBOX_PORT", "4566"))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    # Imported here so `seed` does not pay for loading moto's server.
    from .runtime import RUNTIME
    from .scenario import ScenarioError, load_scenario_file
    from .server import build_server, serve_forever

    if args.scenario:
        try:
            RUNTIME.load(load_scenario_file(args.scenario))
        except (OSError, ScenarioError) as err:
            print(f"sandbox: cannot load scenario {args.scenario}: {err}", file=sys.stderr)
            return 2
    server = build_server(args.host, args.port)
    # SIGTERM (what test harnesses send) shuts down like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"sandbox listening on http://{args.host}:{server.port}", flush=True)
    try:
        serve_forever(server)
    except KeyboardInterrupt:
        pass
    return 0


def _start(args: argparse.Namespace) -> int:
    from .launcher import SandboxDidNotStart, start

    try:
        sandbox = start(args.scenario, port=args.port, host=args.host, log=args.log, timeout=args.timeout)
    except SandboxDidNotStart as err:
        print(f"sandbox: {err}", file=sys.stderr)
        return 1
    # `eval "$(python -m stackpilot_sandbox start ...)"` sets these in a shell.
    for name, value in (
        ("AWS_ENDPOINT_URL", sandbox.url),
        ("SANDBOX_PID", str(sandbox.pid)),
        ("SANDBOX_LOG", str(sandbox.log)),
    ):
        print(f"{name}={shlex.quote(value)}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from .launcher import stop

    stop(args.pid, args.timeout)
    return 0


def _seed(args: argparse.Namespace) -> int:
    from .seed import seed

    contract = seed(args.env, args.endpoint, desired_count=args.desired_count)
    print(json.dumps(contract, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackpilot_sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the sandbox in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument("--scenario", help="scenario YAML file")
    serve.set_defaults(run=_serve)
    start = commands.add_parser(
        "start",
        help="run the sandbox in the background; print AWS_ENDPOINT_URL=, SANDBOX_PID=, SANDBOX_LOG= once it is ready",
    )
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    start.add_argument("--scenario", help="scenario YAML file")
    start.add_argument("--log", required=True, help="file for the server's output")
    start.add_argument("--timeout", type=float, default=START_TIMEOUT_SECONDS, help="seconds to wait until it is ready")
    start.set_defaults(run=_start)
    stop = commands.add_parser("stop", help="stop a sandbox that `start` started")
    stop.add_argument("--pid", type=int, required=True)
    stop.add_argument("--timeout", type=float, default=STOP_TIMEOUT_SECONDS, help="seconds before SIGTERM becomes SIGKILL")
    stop.set_defaults(run=_stop)
    seed = commands.add_parser("seed", help="create an app environment, print its deploy contract")
    seed.add_argument("env")
    seed.add_argument(
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL", f"http://127.0.0.1:{DEFAULT_PORT}"),
    )
    seed.add_argument("--desired-count", type=int, default=1)
    seed.set_defaults(run=_seed)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
