"""Clients nobody here wrote behave against the sandbox as against AWS.

The AWS CLI's waiters run with their stock settings (services-stable polls
every 15 s, tasks-stopped every 6 s), so these tests take some real seconds;
the sandbox's time scale keeps everything else short.
"""

import json
import subprocess
import time

import pytest
from harness import BIN, describe_service, is_steady, network, register_revision, wait_steady

SCENARIO = """
name: clients
timeScale: 0.02
tasks:
  provisionSeconds: 5
  pendingSeconds: 15
  healthySeconds: 10
  stoppingSeconds: 6
  runSeconds: 20
  rules:
    - match: {imageTag: broken}
      outcome: crash
      runSeconds: 2
      exitCode: 1
    - match: {container: backend_update}
      exitCode: 4
"""
BACKEND = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend"
NO_BREAKER = {"deploymentCircuitBreaker": {"enable": False, "rollback": False}}


def aws(sandbox, *args, timeout=60):
    return subprocess.run(
        [str(BIN / "aws"), "--region", "us-east-1", *args],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_services_stable(sandbox, timeout=60):
    """The AWS CLI's stock waiter on alpha-gunicorn."""
    return aws(
        sandbox,
        "ecs",
        "wait",
        "services-stable",
        "--cluster",
        "alpha-cluster",
        "--services",
        "alpha-gunicorn",
        timeout=timeout,
    )


def ecs_deploy(sandbox, *args):
    return subprocess.run(
        [str(BIN / "ecs"), "deploy", "alpha-cluster", *args, "--region", "us-east-1"],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def seeded(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    wait_steady(ecs, "alpha-gunicorn")
    return sandbox, contract, ecs


def test_aws_cli_services_stable_waits_for_a_healthy_rollout(seeded):
    sandbox, _, ecs = seeded
    # Slow enough (6 s) that the CLI, which needs a second to start, polls mid-rollout.
    sandbox.load(SCENARIO.replace("timeScale: 0.02", "timeScale: 0.2"))
    register_revision(ecs, "alpha-gunicorn", f"{BACKEND}:v2")
    ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", taskDefinition="alpha-gunicorn")
    assert not is_steady(describe_service(ecs, "alpha-gunicorn"))
    started = time.monotonic()
    result = wait_services_stable(sandbox)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started > 10  # its first poll saw the rollout in progress
    assert describe_service(ecs, "alpha-gunicorn")["deployments"][0]["rolloutState"] == "COMPLETED"


def test_aws_cli_services_stable_does_not_succeed_during_a_crash_loop(seeded):
    sandbox, _, ecs = seeded
    register_revision(ecs, "alpha-gunicorn", f"{BACKEND}:broken")
    ecs.update_service(
        cluster="alpha-cluster",
        service="alpha-gunicorn",
        taskDefinition="alpha-gunicorn",
        deploymentConfiguration=NO_BREAKER,
    )
    # Two polls of the stock waiter (at 0 s and 15 s) must both see it unstable.
    with pytest.raises(subprocess.TimeoutExpired):
        wait_services_stable(sandbox, timeout=18)
    service = describe_service(ecs, "alpha-gunicorn")
    assert not is_steady(service)
    assert service["deployments"][0]["failedTasks"] >= 3


def test_aws_cli_tasks_stopped_returns_and_describe_tasks_shows_the_exit_code(seeded):
    sandbox, contract, _ = seeded
    net = network(contract)["awsvpcConfiguration"]
    subnets, groups = ",".join(net["subnets"]), ",".join(net["securityGroups"])
    shorthand = f"awsvpcConfiguration={{subnets=[{subnets}],securityGroups=[{groups}]}}"
    run = aws(
        sandbox,
        "ecs",
        "run-task",
        "--cluster",
        "alpha-cluster",
        "--task-definition",
        "alpha-backend_update",
        "--launch-type",
        "FARGATE",
        "--network-configuration",
        shorthand,
    )
    assert run.returncode == 0, run.stderr
    arn = json.loads(run.stdout)["tasks"][0]["taskArn"]
    waited = aws(sandbox, "ecs", "wait", "tasks-stopped", "--cluster", "alpha-cluster", "--tasks", arn)
    assert waited.returncode == 0, waited.stderr
    described = aws(
        sandbox,
        "ecs",
        "describe-tasks",
        "--cluster",
        "alpha-cluster",
        "--tasks",
        arn,
        "--query",
        "tasks[0].[lastStatus,stopCode,containers[0].exitCode]",
        "--output",
        "json",
    )
    assert json.loads(described.stdout) == ["STOPPED", "EssentialContainerExited", 4]


def test_ecs_deploy_succeeds_with_a_healthy_image(seeded):
    sandbox, _, ecs = seeded
    result = ecs_deploy(sandbox, "alpha-gunicorn", "--tag", "v2", "--timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Deployment successful" in result.stdout
    definition = ecs.describe_task_definition(
        taskDefinition=describe_service(ecs, "alpha-gunicorn")["taskDefinition"]
    )
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == f"{BACKEND}:v2"


def test_ecs_deploy_fails_when_the_circuit_breaker_trips(seeded):
    sandbox, _, ecs = seeded
    ecs.update_service(
        cluster="alpha-cluster",
        service="alpha-gunicorn",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
    )
    result = ecs_deploy(sandbox, "alpha-gunicorn", "--tag", "broken", "--timeout", "60")
    assert result.returncode != 0
    assert (
        "Deployment Failed! ECS deployment circuit breaker: tasks failed to start."
        in result.stdout + result.stderr
    )


def test_ecs_deploy_times_out_on_a_crash_loop_without_circuit_breaker(seeded):
    sandbox, _, ecs = seeded
    ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", deploymentConfiguration=NO_BREAKER)
    result = ecs_deploy(sandbox, "alpha-gunicorn", "--tag", "broken", "--timeout", "4")
    assert result.returncode != 0
    assert "due to timeout" in result.stdout + result.stderr
