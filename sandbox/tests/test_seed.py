"""Seeding creates the environment the deploy contract describes."""

import json
import subprocess
import sys

from harness import SANDBOX_DIR


def test_seed_command_prints_the_deploy_contract_and_creates_it(sandbox):
    output = subprocess.run(
        [sys.executable, "-m", "stackpilot_sandbox", "seed", "beta", "--endpoint", sandbox.url],
        cwd=SANDBOX_DIR,
        env=sandbox.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    contract = json.loads(output)
    assert list(contract) == ["region", "cluster", "network", "images", "database", "migration", "services"]
    assert contract["cluster"] == "beta-cluster" and contract["database"] == "beta-db"
    assert set(contract["network"]) == {"subnets", "securityGroups", "assignPublicIp"}
    assert len(contract["network"]["subnets"]) == 2 and contract["network"]["assignPublicIp"] is False
    assert contract["images"]["backend"].endswith(".dkr.ecr.us-east-1.amazonaws.com/acme-backend")
    assert contract["migration"] == {
        "taskFamily": "beta-backend_update",
        "container": "backend_update",
        "image": "backend",
        "command": ["python", "manage.py", "pre_update"],
    }
    assert [s["name"] for s in contract["services"]] == ["gunicorn", "default", "beat", "web-ui"]
    assert contract["services"][3] == {
        "name": "web-ui",
        "service": "beta-web-ui",
        "taskFamily": "beta-web-ui",
        "container": "web-ui",
        "image": "frontend",
        "desiredCount": 1,
    }

    ecs = sandbox.client("ecs")
    described = ecs.describe_services(
        cluster="beta-cluster", services=[s["service"] for s in contract["services"]]
    )
    for service in described["services"]:
        breaker = service["deploymentConfiguration"]["deploymentCircuitBreaker"]
        assert breaker == {"enable": True, "rollback": True}
        assert service["launchType"] == "FARGATE"
    definition = ecs.describe_task_definition(taskDefinition="beta-web-ui")["taskDefinition"]
    container = definition["containerDefinitions"][0]
    assert container["image"] == contract["images"]["frontend"] + ":latest"
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/beta-web-ui"
    groups = sandbox.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/beta-")["logGroups"]
    assert len(groups) == 5
