"""The test harness: a sandbox process per test on a free port, and helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

SANDBOX_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
READY_PREFIX = "sandbox listening on "
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}

sys.path.insert(0, str(SANDBOX_DIR))
from stackpilot_sandbox.seed import seed  # noqa: E402


class Sandbox:
    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process = process
        self.url = url

    # --- control endpoint ---------------------------------------------------

    def _control(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_sandbox{path}", data=body, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def load(self, scenario_yaml: str) -> dict[str, Any]:
        return self._control("POST", "/scenario", scenario_yaml.encode())

    def calls(self) -> list[dict[str, Any]]:
        return self._control("GET", "/calls")["calls"]

    def clear_calls(self) -> None:
        self._control("DELETE", "/calls")

    # --- clients ------------------------------------------------------------

    def client(self, service: str, attempts: int | None = None):
        """A boto3 client; `attempts` caps tries per call (1 = no retries)."""
        config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}) if attempts else None
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    def env(self) -> dict[str, str]:
        """Environment for AWS clients run as subprocesses."""
        env = dict(os.environ, **CREDENTIALS, AWS_ENDPOINT_URL=self.url)
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env.pop("AWS_PROFILE", None)
        return env

    def seed(self, env: str = "alpha", desired_count: int = 1) -> dict[str, Any]:
        return seed(env, self.url, desired_count=desired_count)


def wait_until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value {result!r}")
        time.sleep(interval)


def start_sandbox() -> Sandbox:
    process = subprocess.Popen(
        [sys.executable, "-m", "stackpilot_sandbox", "serve", "--port", "0"],
        cwd=SANDBOX_DIR,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, **CREDENTIALS),
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith(READY_PREFIX):
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return Sandbox(process, line[len(READY_PREFIX) :])


@pytest.fixture
def sandbox():
    box = start_sandbox()
    try:
        yield box
    finally:
        box.process.terminate()
        try:
            box.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            box.process.kill()
            box.process.wait()


# --- helpers shared by the test files -------------------------------------------


def describe_service(ecs, service: str, cluster: str = "alpha-cluster") -> dict[str, Any]:
    return ecs.describe_services(cluster=cluster, services=[service])["services"][0]


def is_steady(service: dict[str, Any]) -> bool:
    """The acceptor of the AWS CLI's services-stable waiter, for one service."""
    return len(service["deployments"]) == 1 and service["runningCount"] == service["desiredCount"]


def wait_service(
    ecs,
    service: str,
    condition: Callable[[dict[str, Any]], bool],
    cluster: str = "alpha-cluster",
    timeout: float = 20.0,
) -> dict[str, Any]:
    """Poll DescribeServices until `condition` holds; return that description."""

    def satisfied():
        described = describe_service(ecs, service, cluster)
        return described if condition(described) else None

    return wait_until(satisfied, timeout)


def wait_steady(ecs, service: str, timeout: float = 20.0) -> dict[str, Any]:
    """Steady and its deployment COMPLETED. The waiter's condition alone can
    hold a moment earlier (running, not yet healthy), as on AWS."""

    def completed(described: dict[str, Any]) -> bool:
        return is_steady(described) and described["deployments"][0]["rolloutState"] == "COMPLETED"

    return wait_service(ecs, service, completed, timeout=timeout)


def describe_task(ecs, arn: str, cluster: str = "alpha-cluster") -> dict[str, Any]:
    return ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]


def wait_task_stopped(ecs, arn: str, cluster: str = "alpha-cluster") -> dict[str, Any]:
    def stopped():
        task = describe_task(ecs, arn, cluster)
        return task if task["lastStatus"] == "STOPPED" else None

    return wait_until(stopped)


def register_revision(ecs, family: str, image: str | None = None, **changes: Any) -> str:
    """A new revision of `family`, optionally with another image; returns its ARN."""
    current = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    containers = current["containerDefinitions"]
    if image:
        containers[0]["image"] = image
    containers[0].update(changes)
    response = ecs.register_task_definition(
        family=family,
        networkMode=current["networkMode"],
        requiresCompatibilities=current["requiresCompatibilities"],
        cpu=current["cpu"],
        memory=current["memory"],
        containerDefinitions=containers,
    )
    return response["taskDefinition"]["taskDefinitionArn"]


def network(contract: dict[str, Any]) -> dict[str, Any]:
    return {
        "awsvpcConfiguration": {
            "subnets": contract["network"]["subnets"],
            "securityGroups": contract["network"]["securityGroups"],
            "assignPublicIp": "DISABLED",
        }
    }
