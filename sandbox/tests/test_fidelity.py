"""Where the sandbox answered differently from ECS (issue 11's table), one
test per row: each is named after the difference it pins."""

import botocore.exceptions
import pytest
from harness import describe_service, network, wait_steady, wait_until

SERVICES = ["alpha-gunicorn", "alpha-default", "alpha-beat", "alpha-web-ui"]


def error_of(call, **params) -> tuple[int, str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**params)
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_stop_task_on_an_unknown_task_was_a_500_and_is_invalid_parameter(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    status, code, message = error_of(
        ecs.stop_task, cluster="alpha-cluster", task="0123456789abcdef0123456789abcdef"
    )
    assert (status, code, message) == (400, "InvalidParameterException", "The referenced task was not found.")
    stop_calls = [c for c in sandbox.calls() if c["operation"] == "StopTask"]
    assert len(stop_calls) == 1, "a 400 is not retried, a 500 was (4 more times)"


def test_negative_desired_count_was_accepted_and_is_rejected(sandbox):
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    status, code, _ = error_of(
        ecs.update_service, cluster="alpha-cluster", service="alpha-gunicorn", desiredCount=-1
    )
    assert (status, code) == (400, "InvalidParameterException")
    assert describe_service(ecs, "alpha-gunicorn")["desiredCount"] == 1
    status, code, _ = error_of(
        ecs.create_service,
        cluster="alpha-cluster",
        serviceName="negative",
        taskDefinition="alpha-gunicorn",
        desiredCount=-2,
        launchType="FARGATE",
        networkConfiguration=network(contract),
    )
    assert (status, code) == (400, "InvalidParameterException")
    ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", desiredCount=0)
    assert describe_service(ecs, "alpha-gunicorn")["desiredCount"] == 0


def test_list_tasks_for_a_missing_service_was_empty_and_is_service_not_found(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    status, code, _ = error_of(ecs.list_tasks, cluster="alpha-cluster", serviceName="alpha-missing")
    assert (status, code) == (400, "ServiceNotFoundException")
    assert ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-gunicorn")["taskArns"] is not None


def test_describe_clusters_counted_nothing_and_now_counts_tasks_and_services(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    for service in SERVICES:
        wait_steady(ecs, service)
    (cluster,) = ecs.describe_clusters(clusters=["alpha-cluster"])["clusters"]
    counts = (cluster["runningTasksCount"], cluster["pendingTasksCount"], cluster["activeServicesCount"])
    assert counts == (4, 0, 4)
    ecs.update_service(cluster="alpha-cluster", service="alpha-beat", desiredCount=0)
    ecs.delete_service(cluster="alpha-cluster", service="alpha-beat")

    def counted():
        (now,) = ecs.describe_clusters(clusters=["alpha-cluster"])["clusters"]
        return now if (now["runningTasksCount"], now["activeServicesCount"]) == (3, 3) else None

    wait_until(counted)


def test_task_definition_server_fields_were_absent_and_are_returned(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    current = ecs.describe_task_definition(taskDefinition="alpha-gunicorn")["taskDefinition"]
    assert current["registeredBy"].startswith("arn:aws:iam::")
    assert "registeredAt" in current
    required = {attribute["name"] for attribute in current["requiresAttributes"]}
    assert {"com.amazonaws.ecs.capability.logging-driver.awslogs", "ecs.capability.task-eni"} <= required
    registered = ecs.register_task_definition(
        family="alpha-gunicorn",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=current["executionRoleArn"],
        containerDefinitions=current["containerDefinitions"],
        tags=[{"key": "env", "value": "alpha"}],
    )
    assert registered["tags"] == [{"key": "env", "value": "alpha"}]
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    assert "deregisteredAt" not in registered["taskDefinition"]
    gone = ecs.deregister_task_definition(taskDefinition=arn)["taskDefinition"]
    assert gone["status"] == "INACTIVE"
    assert gone["deregisteredAt"] >= gone["registeredAt"]


def test_rollout_state_reason_was_null_while_in_progress(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    wait_steady(ecs, "alpha-gunicorn")
    updated = ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", forceNewDeployment=True)
    primary = updated["service"]["deployments"][0]
    assert primary["rolloutState"] == "IN_PROGRESS"
    assert primary["rolloutStateReason"] == f"ECS deployment {primary['id']} in progress."


def test_service_members_were_absent_and_are_returned(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    service = describe_service(ecs, "alpha-gunicorn")
    assert service["createdBy"].startswith("arn:aws:iam::")
    assert "createdAt" in service
    assert (service["platformVersion"], service["platformFamily"]) == ("LATEST", "Linux")
    assert (service["placementConstraints"], service["placementStrategy"]) == ([], [])
    assert (service["enableECSManagedTags"], service["enableExecuteCommand"]) == (False, False)
    assert service["deployments"][0]["platformVersion"] == "1.4.0"


def running_service_task(ecs) -> dict:
    def running():
        arns = ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-gunicorn")["taskArns"]
        tasks = ecs.describe_tasks(cluster="alpha-cluster", tasks=arns)["tasks"] if arns else []
        return next((t for t in tasks if t["lastStatus"] == "RUNNING"), None)

    return wait_until(running)


def test_task_and_container_members_were_absent_and_eni_is_deleted_after_stop(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    task = running_service_task(ecs)
    assert task["ephemeralStorage"] == {"sizeInGiB": 20}
    assert task["enableExecuteCommand"] is False
    assert {"name": "ecs.cpu-architecture", "value": "x86_64"} in task["attributes"]
    assert task["platformVersion"] == "1.4.0"
    (container,) = task["containers"]
    assert container["networkBindings"] == []
    assert container["runtimeId"].startswith(task["taskArn"].rsplit("/", 1)[1])
    assert container["imageDigest"].startswith("sha256:")
    assert task["attachments"][0]["status"] == "ATTACHED"
    ecs.stop_task(cluster="alpha-cluster", task=task["taskArn"])

    def stopped():
        current = ecs.describe_tasks(cluster="alpha-cluster", tasks=[task["taskArn"]])["tasks"][0]
        return current if current["lastStatus"] == "STOPPED" else None

    assert wait_until(stopped)["attachments"][0]["status"] == "DELETED"


def test_stop_task_answered_with_containers_already_stopped(sandbox):
    # STOPPING lasts half of stoppingSeconds: 0.5 real seconds here.
    sandbox.load("name: slow-stop\ntimeScale: 0.01\ntasks: {stoppingSeconds: 100}\n")
    sandbox.seed()
    ecs = sandbox.client("ecs")
    task = running_service_task(ecs)
    answer = ecs.stop_task(cluster="alpha-cluster", task=task["taskArn"], reason="operator")["task"]
    assert (answer["lastStatus"], answer["desiredStatus"]) == ("RUNNING", "STOPPED")
    assert answer["containers"][0]["lastStatus"] == "RUNNING"
    assert "exitCode" not in answer["containers"][0]
    seen = []

    def stopped():
        current = ecs.describe_tasks(cluster="alpha-cluster", tasks=[task["taskArn"]])["tasks"][0]
        seen.append((current["lastStatus"], current["containers"][0]["lastStatus"]))
        return current if current["lastStatus"] == "STOPPED" else None

    final = wait_until(stopped, interval=0.02)
    assert ("STOPPING", "RUNNING") in seen, seen
    assert (final["stopCode"], final["stoppedReason"]) == ("UserInitiated", "operator")
    assert final["containers"][0]["exitCode"] == 0
    assert final["stoppingAt"] <= final["executionStoppedAt"] <= final["stoppedAt"]


def test_run_task_repeated_with_its_client_token_started_another_task(sandbox):
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    run = dict(
        cluster="alpha-cluster",
        taskDefinition="alpha-backend_update",
        launchType="FARGATE",
        startedBy="idempotency-test",
        clientToken="token-of-one-run",
        networkConfiguration=network(contract),
    )
    first = ecs.run_task(**run)["tasks"]
    again = ecs.run_task(**run)["tasks"]
    assert [t["taskArn"] for t in again] == [t["taskArn"] for t in first]
    listed = ecs.list_tasks(cluster="alpha-cluster", startedBy="idempotency-test")["taskArns"]
    assert len(listed) == 1
    other = ecs.run_task(**{**run, "clientToken": "another-run"})["tasks"]
    assert other[0]["taskArn"] != first[0]["taskArn"]
