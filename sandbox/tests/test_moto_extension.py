"""The sandbox extends moto by subclassing; moto's own classes and registry stay as moto made them."""

from __future__ import annotations

from harness import network

from moto.cloudformation.models import CloudFormationBackend, cloudformation_backends
from moto.cloudformation.parsing import get_model_map
from moto.cloudformation.responses import CloudFormationResponse
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.ecs.models import Service, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.responses import ELBV2Response
from moto.s3.models import FakeBucket

from stackpilot_sandbox.cfn_responses import SandboxCloudFormationResponse
from stackpilot_sandbox.cloudformation import SandboxCloudFormationBackend, sandbox_cloudformation_backends
from stackpilot_sandbox.ecs_backend import SandboxEcsBackend, sandbox_ecs_backends
from stackpilot_sandbox.ecs_responses import SandboxEcsResponse
from stackpilot_sandbox.server import build_server


def test_building_a_server_leaves_moto_as_it_was():
    server = build_server("127.0.0.1", 0)
    try:
        assert ecs_backends.backend is EC2ContainerServiceBackend
        assert all(account.backend is EC2ContainerServiceBackend for account in ecs_backends.values())
        assert not hasattr(EC2ContainerServiceResponse, "list_service_deployments")
        assert not hasattr(NetworkInterface, "private_dns_name")
        assert cloudformation_backends.backend is CloudFormationBackend
        assert all(account.backend is CloudFormationBackend for account in cloudformation_backends.values())
        assert CloudFormationResponse.describe_stack_events is not SandboxCloudFormationResponse.describe_stack_events
        # The sandbox's CloudFormation makes these types itself; moto's models stay registered as they were.
        models = get_model_map()
        assert (models["AWS::S3::Bucket"], models["AWS::ECS::Service"], models["AWS::ECS::TaskDefinition"]) == (
            FakeBucket, Service, TaskDefinition)
        assert ELBV2Response.describe_target_health.__module__ == "moto.elbv2.responses"
    finally:
        server.server_close()


def test_ecs_requests_reach_the_sandbox_backend():
    backend = sandbox_ecs_backends["123456789012"]["us-east-1"]
    assert isinstance(backend, SandboxEcsBackend)
    assert list(backend.flask_paths.values()) == [SandboxEcsResponse.dispatch]


def test_cloudformation_requests_reach_the_sandbox_backend():
    backend = sandbox_cloudformation_backends["123456789012"]["us-east-1"]
    assert isinstance(backend, SandboxCloudFormationBackend)
    assert list(backend.flask_paths.values()) == [SandboxCloudFormationResponse.dispatch]


def test_a_task_runs_in_a_vpc_without_dns_hostnames(sandbox):
    contract = sandbox.seed()
    ec2, ecs = sandbox.client("ec2"), sandbox.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    contract["network"] = {"subnets": [subnet], "securityGroups": []}
    run = ecs.run_task(cluster="alpha-cluster", taskDefinition="alpha-backend_update", launchType="FARGATE",
                       networkConfiguration=network(contract))
    assert run["failures"] == []
    details = {d["name"]: d.get("value") for d in run["tasks"][0]["attachments"][0]["details"]}
    assert details["subnetId"] == subnet
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["PrivateIpAddress"] == details["privateIPv4Address"]
    assert eni["Status"] == "in-use"
