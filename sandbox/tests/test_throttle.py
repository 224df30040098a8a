"""The service throttle: ECS slows relaunching only tasks that failed to
start, and says so in a service event (issue 11, rows 5 and 6)."""

from harness import register_revision, wait_service, wait_steady

SCALE = 0.01
SCENARIO = f"""
name: throttle
timeScale: {SCALE}
tasks:
  provisionSeconds: 10
  pendingSeconds: 30
  stoppingSeconds: 10
  rules:
    - match: {{imageTag: broken}}
      outcome: crash
      runSeconds: 2
      exitCode: 3
"""
BROKEN = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-frontend:broken"
CYCLE = 10 + 30 + 2  # AWS seconds from launch to crash
THROTTLED = "(service alpha-web-ui) is unable to consistently start tasks successfully."
NO_BREAKER = {"deploymentCircuitBreaker": {"enable": False, "rollback": False}}


def roll_out(sandbox, image=None):
    sandbox.load(SCENARIO)
    sandbox.seed()
    ecs = sandbox.client("ecs")
    wait_steady(ecs, "alpha-web-ui")
    register_revision(ecs, "alpha-web-ui", image)
    ecs.update_service(
        cluster="alpha-cluster",
        service="alpha-web-ui",
        taskDefinition="alpha-web-ui",
        deploymentConfiguration=NO_BREAKER,
    )
    return ecs


def launch_gaps(ecs, failed: int) -> tuple[list[float], dict]:
    """AWS seconds between the launches of the primary's first `failed` + 1 tasks."""
    service = wait_service(
        ecs, "alpha-web-ui", lambda s: s["deployments"][0]["failedTasks"] >= failed, timeout=30
    )
    started_by = service["deployments"][0]["id"]
    arns = []
    for status in ("STOPPED", "RUNNING"):
        arns += ecs.list_tasks(cluster="alpha-cluster", startedBy=started_by, desiredStatus=status)["taskArns"]
    tasks = ecs.describe_tasks(cluster="alpha-cluster", tasks=arns)["tasks"]
    created = sorted(t["createdAt"].timestamp() for t in tasks)
    return [(b - a) / SCALE for a, b in zip(created, created[1:])], service


def test_tasks_that_ran_then_crashed_were_throttled_and_now_relaunch_at_once(sandbox):
    ecs = roll_out(sandbox, BROKEN)
    gaps, service = launch_gaps(ecs, 4)
    assert len(gaps) >= 3
    # With the old back-off the fourth launch came 10 + 20 + 40 s later than this.
    assert all(gap < CYCLE + 15 for gap in gaps), gaps
    assert not any(e["message"].startswith(THROTTLED) for e in service["events"])


def test_tasks_that_fail_to_start_are_throttled_with_the_ecs_event(sandbox):
    # A missing awslogs group fails every task before it reaches RUNNING.
    ecs = roll_out(sandbox)
    sandbox.client("logs").delete_log_group(logGroupName="/ecs/alpha-web-ui")
    ecs.update_service(cluster="alpha-cluster", service="alpha-web-ui", forceNewDeployment=True)
    gaps, service = launch_gaps(ecs, 3)
    assert gaps[1] > gaps[0] + 5, gaps  # back-off doubles: 10, then 20 AWS seconds
    messages = [e["message"] for e in service["events"]]
    throttled = [m for m in messages if m.startswith(THROTTLED)]
    assert len(throttled) == 1, messages
