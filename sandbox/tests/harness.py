"""The test harness: a sandbox per test on a free port (through the
package's launcher), and helpers for waiting on what it simulates."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SANDBOX_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

sys.path.insert(0, str(SANDBOX_DIR))
from stackpilot_sandbox.launcher import CREDENTIALS, start  # noqa: E402


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


@pytest.fixture
def sandbox(tmp_path):
    with start(cwd=SANDBOX_DIR, log=tmp_path / "sandbox.log", env=dict(os.environ, **CREDENTIALS)) as box:
        yield box


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
        executionRoleArn=current["executionRoleArn"],
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
