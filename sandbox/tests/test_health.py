"""Container health checks and the ACTIVATING/DEACTIVATING phases
(issue 11, row 13)."""

from harness import describe_service, describe_task, register_revision, wait_service, wait_steady, wait_until

from stackpilot_sandbox.health import HealthSchedule, HealthStatus, schedule_for

SCENARIO = """
name: health
timeScale: 0.01
tasks:
  provisionSeconds: 5
  pendingSeconds: 10
  stoppingSeconds: 6
  rules:
    - match: {imageTag: sick}
      unhealthyAfterSeconds: 30
    - match: {imageTag: never}
      unhealthyAfterSeconds: 0
    - match: {imageTag: slow}
      activatingSeconds: 60
      deactivatingSeconds: 60
"""
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend:"
CHECK = {"command": ["CMD-SHELL", "curl -f http://localhost:8000/ || exit 1"], "interval": 10, "retries": 2}


def test_health_schedule_follows_interval_retries_and_start_period():
    assert schedule_for({}, None) == HealthSchedule(30.0, None)
    assert schedule_for(CHECK, 30) == HealthSchedule(10.0, 40.0)
    assert schedule_for(CHECK, 0) == HealthSchedule(None, 20.0)  # two failed checks
    assert schedule_for(dict(CHECK, startPeriod=60), 0) == HealthSchedule(None, 70.0)
    assert HealthSchedule(10.0, 40.0).status(5) is HealthStatus.UNKNOWN
    assert HealthSchedule(10.0, 40.0).status(39) is HealthStatus.HEALTHY
    assert HealthSchedule(10.0, 40.0).status(40) is HealthStatus.UNHEALTHY


def roll_out(sandbox, tag: str):
    sandbox.load(SCENARIO)
    sandbox.seed()
    ecs = sandbox.client("ecs")
    wait_steady(ecs, "alpha-gunicorn")
    register_revision(ecs, "alpha-gunicorn", IMAGE + tag, healthCheck=CHECK)
    updated = ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", taskDefinition="alpha-gunicorn")
    return ecs, updated["service"]["deployments"][0]["id"]


def tasks_of(ecs, deployment_id: str, status: str = "RUNNING") -> list[dict]:
    arns = ecs.list_tasks(cluster="alpha-cluster", startedBy=deployment_id, desiredStatus=status)["taskArns"]
    return ecs.describe_tasks(cluster="alpha-cluster", tasks=arns)["tasks"] if arns else []


def test_health_status_stayed_unknown_and_now_passing_checks_make_it_healthy(sandbox):
    ecs, deployment_id = roll_out(sandbox, "ok")
    final = wait_steady(ecs, "alpha-gunicorn")
    assert final["deployments"][0]["id"] == deployment_id
    (task,) = tasks_of(ecs, deployment_id)
    assert (task["healthStatus"], task["containers"][0]["healthStatus"]) == ("HEALTHY", "HEALTHY")


def test_an_unhealthy_essential_container_gets_its_task_replaced(sandbox):
    ecs, deployment_id = roll_out(sandbox, "sick")
    service = wait_service(ecs, "alpha-gunicorn", lambda s: s["deployments"][0]["failedTasks"] >= 1)
    assert service["deployments"][0]["id"] == deployment_id  # it had completed, then one task went bad
    (stopped,) = wait_until(lambda: tasks_of(ecs, deployment_id, "STOPPED"))
    assert stopped["stopCode"] == "ServiceSchedulerInitiated"
    assert stopped["stoppedReason"] == "Task failed container health checks"
    assert stopped["healthStatus"] == "UNHEALTHY"
    task_id = stopped["taskArn"].rsplit("/", 1)[1]
    messages = [e["message"] for e in describe_service(ecs, "alpha-gunicorn")["events"]]
    assert f"(service alpha-gunicorn) (task {task_id}) failed container health checks." in messages
    wait_until(lambda: tasks_of(ecs, deployment_id))  # a replacement was launched


def test_tasks_that_never_pass_their_health_check_trip_the_circuit_breaker(sandbox):
    ecs, deployment_id = roll_out(sandbox, "never")
    service = wait_service(ecs, "alpha-gunicorn", lambda s: s["deployments"][0]["id"] != deployment_id, timeout=30)
    assert service["deployments"][0]["rolloutStateReason"].startswith("ECS deployment circuit breaker: rolling back")
    assert wait_steady(ecs, "alpha-gunicorn")["taskDefinition"].endswith(":1")


def test_activating_and_deactivating_never_appeared_and_now_do(sandbox):
    ecs, deployment_id = roll_out(sandbox, "slow")  # 0.6 real seconds in each phase
    seen = []

    def phases(arn=None):
        arns = [arn] if arn else ecs.list_tasks(cluster="alpha-cluster", startedBy=deployment_id)["taskArns"]
        seen.extend(describe_task(ecs, a)["lastStatus"] for a in arns)
        return seen

    wait_until(lambda: "RUNNING" in phases())
    assert "ACTIVATING" in seen and seen.index("ACTIVATING") < seen.index("RUNNING"), seen
    (arn,) = ecs.list_tasks(cluster="alpha-cluster", startedBy=deployment_id)["taskArns"]
    ecs.stop_task(cluster="alpha-cluster", task=arn)
    seen.clear()
    wait_until(lambda: "STOPPED" in phases(arn))
    assert "DEACTIVATING" in seen and seen.index("DEACTIVATING") < seen.index("STOPPED"), seen
