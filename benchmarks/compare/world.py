"""The scenarios and the sandbox world each pair runs in: seeding, the
scenario's adjustments (breaker off, health checks, more services and
clusters), waiting until it is steady, and reading the end state.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field

from stackpilot_sandbox.launcher import Sandbox

# Tries per boto3 call: the throttled scenario throttles the harness's own calls too.
ATTEMPTS = 21


class Clock:
    REAL = "real"  # the --time-scale run (1.0: real seconds)
    SCALED = "scaled"  # the long ones, at --long-time-scale with every wait scaled


@dataclass(frozen=True)
class HealthCheck:
    """A container health check the harness adds to some services' task
    definitions before the run (the contenders keep it in the revisions they
    register), and the services' grace period."""

    services: tuple[str, ...]
    interval: int
    grace: int = 0


@dataclass(frozen=True)
class Scenario:
    file: str
    expect: str  # "success" or "failure"
    ideal_s: float  # migration + slowest service, sandbox seconds
    cap_s: float  # the harness's hard limit, sandbox seconds
    clock: str = Clock.REAL
    backend: str = "v2"
    frontend: str = "v2"
    breaker: bool = True
    envs: tuple[str, ...] = ("alpha",)
    extra_services: int = 0  # more backend services per env
    health: HealthCheck | None = None
    # Keep watching this long (sandbox s from the start) before reading the
    # end state: failures that come after a tool exited count too.
    observe_s: float = 0.0
    what: str = ""


SCENARIOS = {
    "healthy": Scenario("healthy.yaml", "success", 120, 600,
                        what="migration 30 s, gunicorn / default / beat 60 s, web-ui 90 s to stabilise"),
    "slow-healthy": Scenario("slow-healthy.yaml", "success", 166, 900,
                             health=HealthCheck(("gunicorn", "default", "beat"), interval=90, grace=120),
                             what="backend tasks healthy only at their first health check, 90 s after "
                                  "start (grace period 120 s): 136 s per backend service"),
    "crash-loop": Scenario("crash-loop.yaml", "failure", 120, 360, backend="broken", breaker=False,
                           what="gunicorn's new image crashes 20 s after start; circuit breaker off"),
    "circuit-breaker": Scenario("circuit-breaker.yaml", "failure", 120, 900, backend="broken",
                                what="the same crash, breaker and rollback on"),
    "late-fail": Scenario("late-fail.yaml", "failure", 120, 600, observe_s=260,
                          health=HealthCheck(("gunicorn",), interval=10),
                          what="gunicorn's new tasks pass their health check, then fail it from 2 minutes "
                               "after start (unhealthy at 140 s); the deployment completes before that"),
    "throttled": Scenario("throttled.yaml", "success", 120, 900,
                          what="healthy + 30 % of DescribeServices, DescribeTasks, UpdateService throttled"),
    "scale": Scenario("scale.yaml", "success", 120, 4000, clock=Clock.SCALED, extra_services=16,
                      what="healthy + 16 more backend services: 20 in one cluster"),
    "fleet": Scenario("fleet.yaml", "success", 120, 4000, clock=Clock.SCALED, extra_services=6,
                      envs=("alpha", "beta", "gamma", "delta", "epsilon"),
                      what="5 environments (clusters) of 10 services, 50 in all, one run per cluster at once"),
}


@dataclass
class World:
    contracts: list[dict] = field(default_factory=list)

    @property
    def service_count(self) -> int:
        return sum(len(c["services"]) for c in self.contracts)


def prepare(sb: Sandbox, sc: Scenario, python: str, scale: float) -> World:
    world = World()
    ecs = sb.client("ecs", ATTEMPTS)
    for env in sc.envs:
        seeded = subprocess.run([python, "-m", "stackpilot_sandbox", "seed", env, "--endpoint", sb.url],
                                capture_output=True, text=True, timeout=120, check=True)
        contract = json.loads(seeded.stdout)
        contract["env"] = env
        if not sc.breaker:
            for s in contract["services"]:
                ecs.update_service(cluster=contract["cluster"], service=s["service"], deploymentConfiguration={
                    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
                    "maximumPercent": 200, "minimumHealthyPercent": 100})
        if sc.extra_services:
            add_services(sb, contract, sc.extra_services)
        if sc.health:
            add_health_checks(ecs, contract, sc.health)
        world.contracts.append(contract)
    settle(sb, world, limit=max(60.0, 600 * scale))
    return world


def add_services(sb: Sandbox, contract: dict, count: int) -> None:
    """Seed `count` more backend services shaped like the seed's own."""
    from stackpilot_sandbox.seed import _register  # the seed's helper

    ecs, logs = sb.client("ecs", ATTEMPTS), sb.client("logs", ATTEMPTS)
    net, env = contract["network"], contract["env"]
    for i in range(1, count + 1):
        name = f"worker-{i:02d}"
        family = _register(ecs, logs, env, name, "backend", ["celery", "-A", "ublog", "worker", "-Q", name])
        ecs.create_service(
            cluster=contract["cluster"], serviceName=family, taskDefinition=family, desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"],
                                                          "securityGroups": net["securityGroups"],
                                                          "assignPublicIp": "DISABLED"}},
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                     "maximumPercent": 200, "minimumHealthyPercent": 100})
        contract["services"].append({"name": name, "service": family, "taskFamily": family,
                                     "container": name, "image": "backend", "desiredCount": 1})


READ_ONLY = ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
             "registeredAt", "registeredBy", "deregisteredAt")


def add_health_checks(ecs, contract: dict, health: HealthCheck) -> None:
    """A new revision with a container health check for each named service,
    rolled out (and settled) before the run, plus the grace period."""
    for s in contract["services"]:
        if s["name"] not in health.services:
            continue
        td = ecs.describe_task_definition(taskDefinition=s["taskFamily"])["taskDefinition"]
        for key in READ_ONLY:
            td.pop(key, None)
        for c in td["containerDefinitions"]:
            c["healthCheck"] = {"command": ["CMD-SHELL", "curl -fs localhost:8000/health || exit 1"],
                                "interval": health.interval, "timeout": 5, "retries": 3}
        arn = ecs.register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]
        extra = {"healthCheckGracePeriodSeconds": health.grace} if health.grace else {}
        ecs.update_service(cluster=contract["cluster"], service=s["service"], taskDefinition=arn, **extra)


def describe_all(ecs, cluster: str, names: list[str]) -> list[dict]:
    out = []
    for i in range(0, len(names), 10):
        out += ecs.describe_services(cluster=cluster, services=names[i:i + 10])["services"]
    return out


def settle(sb: Sandbox, world: World, limit: float) -> None:
    ecs = sb.client("ecs", ATTEMPTS)
    deadline = time.time() + limit
    while time.time() < deadline:
        if all(len(s["deployments"]) == 1 and s["deployments"][0].get("rolloutState") == "COMPLETED"
               and s["runningCount"] == s["desiredCount"]
               for c in world.contracts
               for s in describe_all(ecs, c["cluster"], [x["service"] for x in c["services"]])):
            return
        time.sleep(0.5)
    raise RuntimeError("services did not settle after seeding")


def failed_tasks(ecs, cluster: str) -> list[dict]:
    arns, token = [], None
    while True:
        kw = {"cluster": cluster, "desiredStatus": "STOPPED"}
        if token:
            kw["nextToken"] = token
        page = ecs.list_tasks(**kw)
        arns += page["taskArns"]
        token = page.get("nextToken")
        if not token:
            break
    tasks = []
    for i in range(0, len(arns), 100):
        tasks += ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])["tasks"]
    return [t for t in tasks
            if t.get("stopCode") == "TaskFailedToStart"
            or "health checks" in (t.get("stoppedReason") or "")
            or any(c.get("exitCode") not in (0, None) for c in t.get("containers", []))]


def end_state(sb: Sandbox, world: World, sc: Scenario, started: float) -> dict:
    """Whether every tagged service runs the new image and is steady, whether
    ECS rolled one back during the run, and the failed tasks (with when the
    first one stopped)."""
    ecs = sb.client("ecs", ATTEMPTS)
    tags = {"backend": sc.backend, "frontend": sc.frontend}
    deployed, rolled_back, not_deployed, fails = True, False, [], []
    for contract in world.contracts:
        by_name = {s["service"]: s for s in contract["services"]}
        for svc in describe_all(ecs, contract["cluster"], list(by_name)):
            want = tags.get(by_name[svc["serviceName"]]["image"])
            if not want:
                continue
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
            images = [c["image"] for c in td["containerDefinitions"]]
            steady = len(svc["deployments"]) == 1 and svc["runningCount"] == svc["desiredCount"]
            if not all(i.endswith(":" + want) for i in images) or not steady:
                deployed = False
                not_deployed.append(svc["serviceName"])
            for ev in svc.get("events", []):
                if "rolling back" in ev["message"] and ev["createdAt"].timestamp() >= started - 1:
                    rolled_back = True
        fails += [t for t in failed_tasks(ecs, contract["cluster"])
                  if t.get("stoppedAt") and t["stoppedAt"].timestamp() >= started - 1]
    first_fail = min((t["stoppedAt"].timestamp() for t in fails), default=None)
    return {"deployed": deployed, "rolled_back": rolled_back, "not_deployed": not_deployed,
            "failed_tasks": len(fails), "first_fail": first_fail}
