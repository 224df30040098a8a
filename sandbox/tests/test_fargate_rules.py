"""RegisterTaskDefinition refuses a definition ECS would refuse, one rule at
a time (ids as in stackpilot's preflight, docs/preflight.md); the Fargate
rules hold only for a definition that requires FARGATE, as in ECS."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stackpilot_sandbox.fargate_rules import FARGATE_ONLY, Rule, refusal


def valid() -> dict[str, Any]:
    return {
        "family": "alpha-web",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": "arn:aws:iam::123456789012:role/alpha-ecs-execution",
        "ephemeralStorage": {"sizeInGiB": 21},
        "containerDefinitions": [
            {
                "name": "web",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-web:v1",
                "essential": True,
                "portMappings": [{"containerPort": 8000, "hostPort": 8000}],
                "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/t"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/alpha-web"}},
                "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
            },
            {"name": "init", "image": "busybox:1.36", "essential": False},
        ],
    }


def _without_role(d: dict[str, Any], keep: str) -> None:
    del d["executionRoleArn"]
    web = d["containerDefinitions"][0]
    del web["secrets" if keep == "logs" else "logConfiguration"]


# One mutation per rule: (rule, change).
MUTATIONS: list[tuple[Rule, Callable[[dict[str, Any]], None]]] = [
    (Rule.FARGATE_CPU_MEMORY, lambda d: d.update(memory="3072")),
    (Rule.FARGATE_AWSVPC, lambda d: d.update(networkMode="bridge")),
    (Rule.AWSVPC_HOST_PORT, lambda d: d["containerDefinitions"][0]["portMappings"][0].update(hostPort=8080)),
    (Rule.EPHEMERAL_STORAGE, lambda d: d.update(ephemeralStorage={"sizeInGiB": 201})),
    (Rule.ESSENTIAL_CONTAINER, lambda d: d["containerDefinitions"][0].update(essential=False)),
    (Rule.CONTAINER_NAMES, lambda d: d["containerDefinitions"][1].update(name="web") or d["containerDefinitions"][0].pop("dependsOn")),
    (Rule.DEPENDS_ON_TARGET, lambda d: d["containerDefinitions"][0].update(dependsOn=[{"containerName": "db", "condition": "START"}])),
    (Rule.AWSLOGS_EXECUTION_ROLE, lambda d: _without_role(d, keep="logs")),
    (Rule.SECRETS_EXECUTION_ROLE, lambda d: _without_role(d, keep="secrets")),
]


def test_every_rule_has_a_mutation():
    assert {rule for rule, _ in MUTATIONS} == set(Rule)


def test_the_valid_definition_breaks_no_rule():
    assert refusal(valid()) is None


@pytest.mark.parametrize(("rule", "change"), MUTATIONS, ids=[rule.value for rule, _ in MUTATIONS])
def test_one_mutation_breaks_exactly_its_rule(rule, change):
    definition = copy.deepcopy(valid())
    change(definition)
    found = refusal(definition)
    assert found is not None and found[0] is rule, found


def test_register_refuses_what_fargate_would_refuse_and_keeps_the_rest(sandbox):
    ecs = sandbox.client("ecs")
    assert ecs.register_task_definition(**valid())["taskDefinition"]["revision"] == 1
    for rule, change in MUTATIONS:
        definition = copy.deepcopy(valid())
        change(definition)
        with pytest.raises(ClientError) as refused:
            ecs.register_task_definition(**definition)
        assert refused.value.response["Error"]["Code"] == "ClientException", rule
        expected = refusal(definition)
        assert expected is not None and refused.value.response["Error"]["Message"] == expected[1], rule
        # For EC2 alone, ECS registers a definition that breaks only a
        # Fargate rule; stackpilot's preflight, which deploys to Fargate,
        # still stops it.
        definition["requiresCompatibilities"] = ["EC2"]
        if rule in (Rule.FARGATE_CPU_MEMORY, Rule.FARGATE_AWSVPC, Rule.AWSLOGS_EXECUTION_ROLE):
            ecs.register_task_definition(**definition)
        elif rule not in FARGATE_ONLY:
            with pytest.raises(ClientError):
                ecs.register_task_definition(**definition)
    families = ecs.list_task_definitions(familyPrefix="alpha-web")["taskDefinitionArns"]
    assert [arn.rsplit(":", 1)[1] for arn in families] == ["1", "2", "3", "4"]
