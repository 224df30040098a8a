"""Service deployments roll, fail and roll back as the ECS guide describes."""

import re

import botocore.exceptions
import pytest
from harness import register_revision, wait_service, wait_steady, wait_task_stopped

from stackpilot_sandbox.ecs_deployments import circuit_breaker_threshold

FAST = """
name: fast
timeScale: 0.005
tasks:
  provisionSeconds: 10
  pendingSeconds: 30
  stoppingSeconds: 10
  rules:
    - match: {imageTag: broken}
      outcome: crash
      runSeconds: 2
      exitCode: 3
    - match: {imageTag: nocapacity}
      outcome: cannot-place
    - match: {imageTag: leaky}
      outcome: crash
      runSeconds: 60
      exitCode: 137
"""
BROKEN = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend:broken"


def test_circuit_breaker_threshold_follows_the_documented_formula():
    assert [circuit_breaker_threshold(n) for n in (0, 1, 6, 7, 10, 400, 1000)] == [3, 3, 3, 4, 5, 200, 200]


def test_update_service_with_new_task_definition_rolls_a_new_primary_deployment(sandbox):
    sandbox.load(FAST)
    sandbox.seed()
    ecs = sandbox.client("ecs")
    before = wait_steady(ecs, "alpha-gunicorn")
    old_task = ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-gunicorn")["taskArns"]
    new_arn = register_revision(ecs, "alpha-gunicorn", BROKEN.replace("broken", "v2"))

    updated = ecs.update_service(
        cluster="alpha-cluster", service="alpha-gunicorn", taskDefinition="alpha-gunicorn"
    )
    primary, previous = updated["service"]["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == (
        "PRIMARY",
        "IN_PROGRESS",
        new_arn,
    )
    assert re.fullmatch(r"ecs-svc/\d{19}", primary["id"])
    assert (previous["status"], previous["id"]) == ("ACTIVE", before["deployments"][0]["id"])

    done = wait_steady(ecs, "alpha-gunicorn")
    (only,) = done["deployments"]
    assert (only["id"], only["rolloutState"], only["runningCount"]) == (primary["id"], "COMPLETED", 1)
    assert only["rolloutStateReason"] == f"ECS deployment {primary['id']} completed."
    messages = [e["message"] for e in done["events"]]
    assert messages[0] == "(service alpha-gunicorn) has reached a steady state."
    assert f"(service alpha-gunicorn) (deployment {primary['id']}) deployment completed." in messages
    assert [e["createdAt"] for e in done["events"]] == sorted(
        (e["createdAt"] for e in done["events"]), reverse=True
    )
    stopped = wait_task_stopped(ecs, old_task[0])
    assert stopped["stopCode"] == "ServiceSchedulerInitiated"
    assert stopped["stoppedReason"] == f"Scaling activity initiated by (deployment {previous['id']})"


def test_force_new_deployment_replaces_tasks_with_the_same_task_definition(sandbox):
    sandbox.load(FAST)
    sandbox.seed()
    ecs = sandbox.client("ecs")
    before = wait_steady(ecs, "alpha-beat")
    response = ecs.update_service(cluster="alpha-cluster", service="alpha-beat", forceNewDeployment=True)
    assert len(response["service"]["deployments"]) == 2
    after = wait_steady(ecs, "alpha-beat")
    assert after["deployments"][0]["id"] != before["deployments"][0]["id"]
    assert after["taskDefinition"] == before["taskDefinition"]


def roll_out_broken_image(sandbox, service, breaker=None, tag="broken"):
    """Seed, wait for `service` to complete, then deploy the image tagged `tag`
    (crashing by default) with the seeded breaker (enable + rollback) unless
    `breaker` is given. Returns the client, the service before, and the
    UpdateService answer."""
    sandbox.load(FAST)
    sandbox.seed()
    ecs = sandbox.client("ecs")
    before = wait_steady(ecs, service)
    register_revision(ecs, service, BROKEN.replace("broken", tag))
    extra = {"deploymentConfiguration": {"deploymentCircuitBreaker": breaker}} if breaker else {}
    updated = ecs.update_service(cluster="alpha-cluster", service=service, taskDefinition=service, **extra)
    return ecs, before, updated["service"]


def test_circuit_breaker_fails_the_deployment_and_rolls_back(sandbox):
    ecs, good, failing = roll_out_broken_image(sandbox, "alpha-gunicorn")
    failing_id = failing["deployments"][0]["id"]
    service = wait_service(ecs, "alpha-gunicorn", lambda s: s["deployments"][0]["id"] != failing_id)
    rollback = service["deployments"][0]
    assert rollback["taskDefinition"] == good["taskDefinition"]
    good_id = good["deployments"][0]["id"]
    assert rollback["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {good_id}."
    )
    messages = [e["message"] for e in service["events"]]
    rolling = messages.index(f"(service alpha-gunicorn) rolling back to deployment {good_id}.")
    failed = messages.index(
        f"(service alpha-gunicorn) (deployment {failing_id}) deployment failed: tasks failed to start."
    )
    assert rolling < failed  # newest first
    final = wait_steady(ecs, "alpha-gunicorn")
    assert final["deployments"][0]["rolloutState"] == "COMPLETED"
    assert final["taskDefinition"] == good["taskDefinition"]
    crashed = ecs.list_tasks(cluster="alpha-cluster", startedBy=failing_id, desiredStatus="STOPPED")[
        "taskArns"
    ]
    assert len(crashed) == 3  # the threshold for desiredCount 1
    task = ecs.describe_tasks(cluster="alpha-cluster", tasks=crashed[:1])["tasks"][0]
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert task["containers"][0]["exitCode"] == 3


def test_circuit_breaker_without_rollback_leaves_the_failed_deployment_primary(sandbox):
    ecs, _, _ = roll_out_broken_image(sandbox, "alpha-default", {"enable": True, "rollback": False})
    service = wait_service(ecs, "alpha-default", lambda s: s["deployments"][0]["rolloutState"] == "FAILED")
    primary, old = service["deployments"]
    assert primary["status"] == "PRIMARY" and primary["failedTasks"] >= 3
    assert old["runningCount"] == 1  # the old task keeps serving


def test_crash_loop_without_circuit_breaker_never_reaches_steady_state(sandbox):
    ecs, _, _ = roll_out_broken_image(sandbox, "alpha-web-ui", {"enable": False, "rollback": False})
    service = wait_service(ecs, "alpha-web-ui", lambda s: s["deployments"][0]["failedTasks"] >= 4)
    assert len(service["deployments"]) == 2
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert service["runningCount"] == 1  # only the old task


def test_desired_count_change_scales_the_primary_without_a_new_deployment(sandbox):
    sandbox.load(FAST)
    sandbox.seed()
    ecs = sandbox.client("ecs")
    before = wait_steady(ecs, "alpha-gunicorn")
    ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", desiredCount=3)
    scaled = wait_steady(ecs, "alpha-gunicorn")
    assert scaled["runningCount"] == 3
    assert scaled["deployments"][0]["id"] == before["deployments"][0]["id"]
    ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", desiredCount=0)
    assert wait_steady(ecs, "alpha-gunicorn")["runningCount"] == 0
    running = ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-gunicorn")["taskArns"]
    assert running == []


def test_service_deployments_api_shows_the_failed_deployment_and_its_rollback(sandbox):
    ecs, good, _ = roll_out_broken_image(sandbox, "alpha-gunicorn")
    wait_service(
        ecs, "alpha-gunicorn", lambda s: s["deployments"][0]["taskDefinition"] == good["taskDefinition"]
    )
    wait_steady(ecs, "alpha-gunicorn")

    listed = ecs.list_service_deployments(cluster="alpha-cluster", service="alpha-gunicorn")[
        "serviceDeployments"
    ]
    assert [d["status"] for d in listed] == ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]
    arns = [d["serviceDeploymentArn"] for d in listed]
    assert arns[0].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/alpha-cluster/alpha-gunicorn/"
    )
    described = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]
    failed = described[0]
    assert failed["deploymentCircuitBreaker"] == {"status": "TRIGGERED", "failureCount": 3, "threshold": 3}
    assert failed["statusReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert failed["rollback"]["serviceRevisionArn"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-revision/"
    )
    assert failed["sourceServiceRevisions"][0]["arn"] == described[1]["targetServiceRevision"]["arn"]
    failures = ecs.describe_service_deployments(serviceDeploymentArns=[arns[0] + "0"])["failures"]
    assert failures == [{"arn": arns[0] + "0", "reason": "MISSING"}]


def test_create_service_on_fargate_requires_a_network_configuration(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ecs.create_service(
            cluster="alpha-cluster",
            serviceName="alpha-extra",
            taskDefinition="alpha-beat",
            desiredCount=1,
            launchType="FARGATE",
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


def test_service_that_cannot_place_tasks_writes_unable_to_place_events(sandbox):
    ecs, _, _ = roll_out_broken_image(sandbox, "alpha-beat", tag="nocapacity")
    service = wait_service(ecs, "alpha-beat", lambda s: "unable to place" in s["events"][0]["message"])
    assert service["events"][0]["message"] == (
        "(service alpha-beat) was unable to place a task. Reason: Capacity is unavailable at this time. "
        "Please try again later or in a different availability zone."
    )
    primary, old = service["deployments"]
    assert primary["rolloutState"] == "IN_PROGRESS"
    assert (primary["pendingCount"], primary["runningCount"]) == (0, 0)
    assert old["runningCount"] == 1


def test_tasks_that_crash_after_running_a_while_are_replaced(sandbox):
    ecs, _, _ = roll_out_broken_image(sandbox, "alpha-default", tag="leaky")
    # Healthy long enough to complete the deployment, then dies and is replaced.
    completed = wait_steady(ecs, "alpha-default")
    crashed = wait_service(ecs, "alpha-default", lambda s: s["deployments"][0]["failedTasks"] >= 1)
    assert crashed["deployments"][0]["id"] == completed["deployments"][0]["id"]
    stopped = ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-default", desiredStatus="STOPPED")
    exit_codes = [
        t["containers"][0].get("exitCode")
        for t in ecs.describe_tasks(cluster="alpha-cluster", tasks=stopped["taskArns"])["tasks"]
    ]
    assert 137 in exit_codes
    wait_service(
        ecs, "alpha-default", lambda s: s["runningCount"] == 1 and s["deployments"][0]["failedTasks"] >= 1
    )
