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
