"""RunTask, DescribeTasks, ListTasks, StopTask and awslogs, as on Fargate."""

import time

import botocore.exceptions
import pytest
from harness import describe_task, network, register_revision, wait_task_stopped, wait_until

SCENARIO = """
name: tasks
timeScale: 0.005
tasks:
  provisionSeconds: 10
  pendingSeconds: 20
  runSeconds: 30
  stoppingSeconds: 10
  logs: ["migrating", "done"]
  rules:
    - match: {imageTag: fails}
      runSeconds: 5
      exitCode: 2
      exitCodes: {sidecar: 0}
      logs: ["boom"]
    - match: {imageTag: nocapacity}
      outcome: cannot-place
    - match: {imageTag: stuck}
      outcome: never-starts
"""
BACKEND = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend"


def run(ecs, contract, family="alpha-backend_update", **extra):
    return ecs.run_task(
        cluster="alpha-cluster",
        taskDefinition=family,
        launchType="FARGATE",
        networkConfiguration=network(contract),
        **extra,
    )


def test_run_task_without_network_configuration_is_rejected_as_on_aws(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ecs.run_task(cluster="alpha-cluster", taskDefinition="alpha-backend_update", launchType="FARGATE")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "Network Configuration must be provided" in raised.value.response["Error"]["Message"]


def test_run_task_without_security_groups_was_a_500_and_now_starts(sandbox):
    # moto indexed networkConfiguration.awsvpcConfiguration.securityGroups
    # unconditionally; AWS uses the VPC's default group when it is left out.
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    response = ecs.run_task(
        cluster="alpha-cluster",
        taskDefinition="alpha-backend_update",
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": contract["network"]["subnets"]}},
    )
    assert response["failures"] == []
    assert len(response["tasks"]) == 1
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ecs.run_task(
            cluster="alpha-cluster",
            taskDefinition="alpha-backend_update",
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": []}},
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


def test_one_off_task_goes_through_the_lifecycle_and_exits_zero(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    response = run(ecs, contract, startedBy="stackpilot")
    assert response["failures"] == []
    (task,) = response["tasks"]
    assert (task["lastStatus"], task["desiredStatus"]) == ("PROVISIONING", "RUNNING")
    seen = set()

    def stopped():
        current = describe_task(ecs, task["taskArn"])
        seen.add(current["lastStatus"])
        return current if current["lastStatus"] == "STOPPED" else None

    final = wait_until(stopped, interval=0.01)
    assert "RUNNING" in seen and "PENDING" in seen
    assert final["desiredStatus"] == "STOPPED"
    assert final["stopCode"] == "EssentialContainerExited"
    assert final["stoppedReason"] == "Essential container in task exited"
    assert final["containers"][0]["exitCode"] == 0
    assert (
        final["createdAt"]
        <= final["pullStartedAt"]
        <= final["startedAt"]
        <= final["stoppingAt"]
        <= final["stoppedAt"]
    )


def test_exit_codes_come_from_the_scenario_per_container(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    current = ecs.describe_task_definition(taskDefinition="alpha-backend_update")["taskDefinition"]
    main = dict(current["containerDefinitions"][0], image=f"{BACKEND}:fails")
    sidecar = dict(main, name="sidecar", essential=False)
    ecs.register_task_definition(
        family="alpha-backend_update",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=current["executionRoleArn"],
        containerDefinitions=[main, sidecar],
    )
    task = run(ecs, contract)["tasks"][0]
    final = wait_task_stopped(ecs, task["taskArn"])
    codes = {c["name"]: c["exitCode"] for c in final["containers"]}
    assert codes == {"backend_update": 2, "sidecar": 0}


def test_task_that_cannot_be_placed_is_reported_in_failures(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    register_revision(ecs, "alpha-backend_update", f"{BACKEND}:nocapacity")
    response = run(ecs, contract)
    assert response["tasks"] == []
    (failure,) = response["failures"]
    assert failure["reason"].startswith("Capacity is unavailable at this time")


def test_task_that_never_starts_stays_pending(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    register_revision(ecs, "alpha-backend_update", f"{BACKEND}:stuck")
    arn = run(ecs, contract)["tasks"][0]["taskArn"]
    wait_until(lambda: describe_task(ecs, arn)["lastStatus"] == "PENDING")
    time.sleep(0.5)  # 100 AWS seconds at this scale, five times the normal pull
    assert describe_task(ecs, arn)["lastStatus"] == "PENDING"


def test_list_tasks_filters_agree_with_describe_tasks(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    mine = run(ecs, contract, startedBy="migration-42")["tasks"][0]["taskArn"]

    def listed(**filters):
        return ecs.list_tasks(cluster="alpha-cluster", **filters)["taskArns"]

    assert listed(family="alpha-backend_update") == [mine]
    assert listed(startedBy="migration-42") == [mine]
    assert mine not in listed(family="alpha-gunicorn")
    wait_until(lambda: listed(serviceName="alpha-gunicorn"))
    service_task = describe_task(ecs, listed(serviceName="alpha-gunicorn")[0])
    assert service_task["group"] == "service:alpha-gunicorn"
    assert service_task["startedBy"].startswith("ecs-svc/")
    wait_task_stopped(ecs, mine)
    assert mine not in listed()  # the default filter is desiredStatus RUNNING
    assert listed(desiredStatus="STOPPED", family="alpha-backend_update") == [mine]


def test_stop_task_is_user_initiated(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    arn = run(ecs, contract)["tasks"][0]["taskArn"]
    wait_until(lambda: describe_task(ecs, arn)["lastStatus"] == "RUNNING", interval=0.01)
    stopping = ecs.stop_task(cluster="alpha-cluster", task=arn, reason="operator")["task"]
    assert stopping["desiredStatus"] == "STOPPED"
    final = wait_task_stopped(ecs, arn)
    assert (final["stopCode"], final["stoppedReason"]) == ("UserInitiated", "operator")


def test_awslogs_containers_write_to_the_stream_ecs_would_use(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs, logs = sandbox.client("ecs"), sandbox.client("logs")
    arn = run(ecs, contract)["tasks"][0]["taskArn"]
    wait_task_stopped(ecs, arn)
    task_id = arn.rsplit("/", 1)[1]
    events = logs.get_log_events(
        logGroupName="/ecs/alpha-backend_update", logStreamName=f"ecs/backend_update/{task_id}"
    )["events"]
    assert [e["message"] for e in events] == ["migrating", "done"]


def test_missing_log_group_stops_the_task_before_it_starts(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs, logs = sandbox.client("ecs"), sandbox.client("logs")
    logs.delete_log_group(logGroupName="/ecs/alpha-backend_update")
    arn = run(ecs, contract)["tasks"][0]["taskArn"]
    final = wait_task_stopped(ecs, arn)
    assert final["stopCode"] == "TaskFailedToStart"
    assert "ResourceInitializationError" in final["stoppedReason"]
    assert "startedAt" not in final


def test_describe_tasks_reports_unknown_tasks_as_missing(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    arn = run(ecs, contract)["tasks"][0]["taskArn"]
    response = ecs.describe_tasks(cluster="alpha-cluster", tasks=[arn, "0123456789abcdef0123456789abcdef"])
    assert [t["taskArn"] for t in response["tasks"]] == [arn]
    assert response["failures"] == [{"arn": "0123456789abcdef0123456789abcdef", "reason": "MISSING"}]
