"""RegisterTaskDefinition refuses what ECS refuses (issue 11, row 3): each
rule is a 400 ClientException, and a valid registration still passes."""

import botocore.exceptions
import pytest

ROLE = "arn:aws:iam::123456789012:role/alpha-ecs-execution"
AWSLOGS = {
    "logDriver": "awslogs",
    "options": {"awslogs-group": "/ecs/x", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"},
}


def container(name="web", **extra):
    return {"name": name, "image": "nginx:1", "essential": True, "logConfiguration": AWSLOGS, **extra}


def registration(**changes):
    request = {
        "family": "rules",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": ROLE,
        "containerDefinitions": [container()],
    }
    request.update(changes)
    return {k: v for k, v in request.items() if v is not None}


@pytest.fixture
def ecs(sandbox):
    return sandbox.client("ecs", attempts=1)


def refused(ecs, **changes) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ecs.register_task_definition(**registration(**changes))
    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (400, "ClientException")
    assert ecs.list_task_definitions(familyPrefix="rules")["taskDefinitionArns"] == []
    return error["Error"]["Message"]


def test_a_valid_fargate_registration_passes(ecs):
    ecs.register_task_definition(**registration(cpu="1 vCPU", memory="2 GB", ephemeralStorage={"sizeInGiB": 21}))
    ecs.register_task_definition(**registration(cpu="4096", memory="30720"))
    assert len(ecs.list_task_definitions(familyPrefix="rules")["taskDefinitionArns"]) == 2


def test_fargate_cpu_memory_pair_fargate_does_not_offer_was_accepted(ecs):
    assert refused(ecs, cpu="256", memory="4096").startswith("No Fargate configuration exists for given values")
    assert "No Fargate configuration" in refused(ecs, cpu="256", memory="1536")
    assert "'cpu' be defined at the task level" in refused(ecs, cpu=None)


def test_awsvpc_host_port_other_than_container_port_was_accepted(ecs):
    mapping = [{"containerPort": 8000, "hostPort": 80}]
    message = refused(ecs, containerDefinitions=[container(portMappings=mapping)])
    assert message == "When networkMode=awsvpc, the host ports and container ports in port mappings must match."


def test_ephemeral_storage_outside_21_to_200_gib_was_accepted(ecs):
    assert "between 21 GiB and 200 GiB" in refused(ecs, ephemeralStorage={"sizeInGiB": 20})
    assert "between 21 GiB and 200 GiB" in refused(ecs, ephemeralStorage={"sizeInGiB": 201})


def test_no_essential_container_was_accepted(ecs):
    assert "essential" in refused(ecs, containerDefinitions=[container(essential=False)])


def test_depends_on_a_missing_container_was_accepted(ecs):
    depends = [{"containerName": "db", "condition": "START"}]
    assert "db" in refused(ecs, containerDefinitions=[container(dependsOn=depends)])


def test_duplicate_container_names_were_accepted(ecs):
    assert "web" in refused(ecs, containerDefinitions=[container(), container(essential=False)])


def test_awslogs_on_fargate_without_execution_role_was_accepted(ecs):
    message = refused(ecs, executionRoleArn=None)
    assert message == "Fargate requires task definition to have execution role ARN to support log driver awslogs."
