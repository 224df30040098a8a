"""An environment shaped like the app stack, made through the AWS API.

`seed(env, endpoint)` creates what the Pulumi app stack would: a VPC with two
subnets and a security group, the `<env>-cluster`, one log group and task
definition per service plus the `backend_update` migration task, and the
services running `latest` with the circuit breaker (and rollback) on. It
returns the deploy contract as docs/deploy-contract.md describes it.
"""

from __future__ import annotations

from typing import Any

import boto3

ACCOUNT = "123456789012"
REGION = "us-east-1"
REPOSITORIES = {
    "backend": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme-backend",
    "frontend": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme-frontend",
}
MIGRATION_COMMAND = ["python", "manage.py", "pre_update"]
# name -> (image, command) of each long-running service.
SERVICES = {
    "gunicorn": ("backend", ["gunicorn", "ublog.wsgi", "--bind", "0.0.0.0:8000"]),
    "default": ("backend", ["celery", "-A", "ublog", "worker", "-Q", "default"]),
    "beat": ("backend", ["celery", "-A", "ublog", "beat"]),
    "web-ui": ("frontend", ["node", ".output/server/index.mjs"]),
}


def _client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _network(ec2, env: str) -> tuple[list[str], list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=f"{env}-tasks", Description=f"{env} app tasks", VpcId=vpc)
    return subnets, [group["GroupId"]]


def _register(ecs, logs, env: str, name: str, image: str, command: list[str]) -> str:
    family = f"{env}-{name}"
    group = f"/ecs/{family}"
    logs.create_log_group(logGroupName=group)
    ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{env}-ecs-execution",
        containerDefinitions=[
            {
                "name": name,
                "image": f"{REPOSITORIES[image]}:latest",
                "essential": True,
                "command": command,
                "environment": [{"name": "DATABASE_NAME", "value": f"{env}-db"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": group,
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )
    return family


def seed(env: str, endpoint: str, desired_count: int = 1) -> dict[str, Any]:
    ecs, logs = _client("ecs", endpoint), _client("logs", endpoint)
    subnets, groups = _network(_client("ec2", endpoint), env)
    cluster = f"{env}-cluster"
    ecs.create_cluster(clusterName=cluster)
    network = {"subnets": subnets, "securityGroups": groups, "assignPublicIp": False}
    migration_family = _register(ecs, logs, env, "backend_update", "backend", MIGRATION_COMMAND)
    services = []
    for name, (image, command) in SERVICES.items():
        family = _register(ecs, logs, env, name, image, command)
        ecs.create_service(
            cluster=cluster,
            serviceName=family,
            taskDefinition=family,
            desiredCount=desired_count,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": groups,
                    "assignPublicIp": "DISABLED",
                }
            },
            deploymentConfiguration={
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
        )
        services.append(
            {
                "name": name,
                "service": family,
                "taskFamily": family,
                "container": name,
                "image": image,
                "desiredCount": desired_count,
            }
        )
    return {
        "region": REGION,
        "cluster": cluster,
        "network": network,
        "images": dict(REPOSITORIES),
        "database": f"{env}-db",
        "migration": {
            "taskFamily": migration_family,
            "container": "backend_update",
            "image": "backend",
            "command": list(MIGRATION_COMMAND),
        },
        "services": services,
    }
