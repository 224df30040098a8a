"""Every answer the sandbox gives while the scenario suite runs, checked
against botocore's output shapes for ECS and CloudWatch Logs (issue 11)."""

from __future__ import annotations

import json

import boto3
import pytest
from harness import network, register_revision, wait_service, wait_steady, wait_task_stopped, wait_until
from shapes import problems

SCENARIO = """
name: shapes
timeScale: 0.005
tasks:
  provisionSeconds: 10
  pendingSeconds: 20
  runSeconds: 20
  stoppingSeconds: 10
  logs: ["Listening at: http://0.0.0.0:8000"]
  rules:
    - match: {imageTag: broken}
      outcome: crash
      runSeconds: 2
      exitCode: 1
      logs: ["Traceback (most recent call last):"]
    - match: {imageTag: nocapacity}
      outcome: cannot-place
"""
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend:"


@pytest.fixture
def answers():
    """(service, operation, output shape, body) of every successful ECS and
    CloudWatch Logs answer to a boto3 client made while the test runs, the
    seed's included."""
    seen: list[tuple[str, str, object, object]] = []

    def capture(operation_model, response_dict, **_):
        service = operation_model.service_model.service_name
        if service in ("ecs", "logs") and response_dict["status_code"] < 300:
            body = json.loads(response_dict["body"] or b"{}")
            seen.append((service, operation_model.name, operation_model.output_shape, body))

    session = boto3.setup_default_session() or boto3.DEFAULT_SESSION
    session.events.register("before-parse", capture)
    yield seen
    session.events.unregister("before-parse", capture)


def scenario_suite(sandbox) -> None:
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs, logs = sandbox.client("ecs"), sandbox.client("logs")
    cluster = "alpha-cluster"
    good = wait_steady(ecs, "alpha-gunicorn")
    ecs.describe_clusters(clusters=[cluster, "missing"])
    ecs.describe_task_definition(taskDefinition="alpha-gunicorn", include=["TAGS"])
    # A healthy rollout, then a crash loop the breaker rolls back.
    ecs.update_service(cluster=cluster, service="alpha-gunicorn", forceNewDeployment=True)
    wait_steady(ecs, "alpha-gunicorn")
    register_revision(ecs, "alpha-gunicorn", IMAGE + "broken")
    ecs.update_service(cluster=cluster, service="alpha-gunicorn", taskDefinition="alpha-gunicorn")
    wait_service(ecs, "alpha-gunicorn", lambda s: s["deployments"][0]["taskDefinition"] == good["taskDefinition"])
    wait_steady(ecs, "alpha-gunicorn")
    deployments = ecs.list_service_deployments(cluster=cluster, service="alpha-gunicorn")["serviceDeployments"]
    ecs.describe_service_deployments(serviceDeploymentArns=[d["serviceDeploymentArn"] for d in deployments])
    # Placement failures, and every kind of task answer.
    register_revision(ecs, "alpha-beat", IMAGE + "nocapacity")
    ecs.update_service(cluster=cluster, service="alpha-beat", taskDefinition="alpha-beat")
    wait_service(ecs, "alpha-beat", lambda s: "unable to place" in s["events"][0]["message"])
    ecs.run_task(cluster=cluster, taskDefinition="alpha-beat", launchType="FARGATE",
                 networkConfiguration=network(contract))
    one_off = ecs.run_task(cluster=cluster, taskDefinition="alpha-backend_update", launchType="FARGATE",
                           networkConfiguration=network(contract), startedBy="shapes")["tasks"][0]["taskArn"]
    stopped = wait_task_stopped(ecs, one_off)
    running = ecs.list_tasks(cluster=cluster, serviceName="alpha-default")["taskArns"]
    ecs.stop_task(cluster=cluster, task=running[0], reason="shapes")
    wait_until(lambda: wait_task_stopped(ecs, running[0]))
    ecs.describe_tasks(cluster=cluster, tasks=running + [one_off, "0" * 32], include=["TAGS"])
    ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")
    ecs.describe_services(cluster=cluster, services=["alpha-gunicorn", "alpha-beat", "missing"])
    ecs.deregister_task_definition(taskDefinition=stopped["taskDefinitionArn"])
    ecs.list_task_definitions(familyPrefix="alpha")
    # The logs a deploy tool reads.
    task_id = one_off.rsplit("/", 1)[1]
    logs.get_log_events(logGroupName="/ecs/alpha-backend_update", logStreamName=f"ecs/backend_update/{task_id}")
    logs.filter_log_events(logGroupName="/ecs/alpha-gunicorn")
    logs.describe_log_streams(logGroupName="/ecs/alpha-gunicorn")
    logs.describe_log_groups(logGroupNamePrefix="/ecs/")


def test_every_answer_of_the_scenario_suite_matches_botocore_output_shapes(sandbox, answers):
    scenario_suite(sandbox)
    operations = {(service, operation) for service, operation, _, _ in answers}
    assert {("ecs", "DescribeServices"), ("ecs", "DescribeTasks"), ("ecs", "StopTask"),
            ("ecs", "RegisterTaskDefinition"), ("ecs", "CreateService"), ("logs", "FilterLogEvents")} <= operations
    found = sorted({
        f"{service}.{operation} {problem}"
        for service, operation, shape, body in answers
        for problem in problems(shape, body)
    })
    assert found == [], "\n".join(found)
