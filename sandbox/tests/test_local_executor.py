"""Families mapped to a local command really run here; exit code and output come back."""

import sys

from harness import network, register_revision, wait_task_stopped

SCENARIO = """
name: local
timeScale: 0.005
local:
  - family: alpha-backend_update
    timeoutSeconds: 30
"""
SCRIPT = """
import os, sys
print("database", os.environ["DATABASE_NAME"])
print("extra", os.environ.get("EXTRA", "-"))
open(os.environ["MARKER"], "w").write("created")
sys.exit(int(os.environ.get("EXIT", "0")))
"""


def run_and_wait(ecs, contract, overrides):
    arn = ecs.run_task(
        cluster="alpha-cluster",
        taskDefinition="alpha-backend_update",
        launchType="FARGATE",
        networkConfiguration=network(contract),
        overrides=overrides,
    )["tasks"][0]["taskArn"]
    return wait_task_stopped(ecs, arn)


def log_lines(sandbox, task):
    task_id = task["taskArn"].rsplit("/", 1)[1]
    events = sandbox.client("logs").get_log_events(
        logGroupName="/ecs/alpha-backend_update", logStreamName=f"ecs/backend_update/{task_id}"
    )["events"]
    return [e["message"] for e in events]


def test_task_definition_command_runs_locally_with_merged_environment(sandbox, tmp_path):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    marker = tmp_path / "marker"
    register_revision(
        ecs,
        "alpha-backend_update",
        command=[sys.executable, "-c", SCRIPT],
        environment=[
            {"name": "DATABASE_NAME", "value": "alpha-db"},
            {"name": "MARKER", "value": str(marker)},
        ],
    )
    task = run_and_wait(
        ecs,
        contract,
        {"containerOverrides": [{"name": "backend_update", "environment": [{"name": "EXIT", "value": "3"}]}]},
    )
    assert task["containers"][0]["exitCode"] == 3
    assert task["stopCode"] == "EssentialContainerExited"
    assert marker.read_text() == "created"
    assert log_lines(sandbox, task) == ["database alpha-db", "extra -"]


def test_override_command_replaces_the_task_definition_command(sandbox, tmp_path):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    marker = tmp_path / "marker"
    task = run_and_wait(
        ecs,
        contract,
        {
            "containerOverrides": [
                {
                    "name": "backend_update",
                    "command": [sys.executable, "-c", SCRIPT],
                    "environment": [
                        {"name": "EXTRA", "value": "from-override"},
                        {"name": "MARKER", "value": str(marker)},
                    ],
                }
            ]
        },
    )
    assert task["containers"][0]["exitCode"] == 0
    assert log_lines(sandbox, task) == ["database alpha-db", "extra from-override"]
    assert marker.exists()


def test_a_command_that_cannot_start_reports_exit_127(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    task = run_and_wait(
        ecs,
        contract,
        {"containerOverrides": [{"name": "backend_update", "command": ["/nonexistent/manage.py"]}]},
    )
    assert task["containers"][0]["exitCode"] == 127
    assert log_lines(sandbox, task)[0].startswith("CannotStartContainerError")
