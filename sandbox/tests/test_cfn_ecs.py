"""ECS resources made by the sandbox's CloudFormation are the sandbox's ECS
resources: the ECS API describes them, their services deploy and start
tasks, and an update that leaves TaskDefinition and DesiredCount out keeps
what UpdateService set (as on AWS)."""

import copy

from cfn_templates import body, stack
from harness import register_revision, wait_service

EXECUTION_ROLE = "arn:aws:iam::123456789012:role/web-execution"
TASK_ROLE = "arn:aws:iam::123456789012:role/web-task"
CREATE, UPDATE = [{"ParameterKey": "Phase", "ParameterValue": "create"}], [{"ParameterKey": "Phase", "ParameterValue": "update"}]


def only_on_create(value):
    return {"Fn::If": ["Creating", value, {"Ref": "AWS::NoValue"}]}


def web_template(subnets: list[str], security_group: str) -> dict:
    container = {
        "Name": "web", "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest", "Essential": True,
        "PortMappings": [{"ContainerPort": 8000, "Protocol": "tcp"}],
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {
            "awslogs-group": {"Ref": "Logs"}, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}},
    }
    return {
        "Parameters": {"Phase": {"Type": "String", "Default": "update"}},
        "Conditions": {"Creating": {"Fn::Equals": [{"Ref": "Phase"}, "create"]}},
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/ecs/web"}},
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {
                "ClusterName": "web-cluster", "CapacityProviders": ["FARGATE"],
                "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}]}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
                "Family": "web", "Cpu": "256", "Memory": "512", "NetworkMode": "awsvpc",
                "RequiresCompatibilities": ["FARGATE"], "ExecutionRoleArn": EXECUTION_ROLE, "TaskRoleArn": TASK_ROLE,
                "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
                "ContainerDefinitions": [container]}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {
                "ServiceName": "web", "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": only_on_create({"Ref": "Task"}), "DesiredCount": only_on_create(1),
                "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
                "DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                                            "MaximumPercent": 200, "MinimumHealthyPercent": 100},
                "HealthCheckGracePeriodSeconds": 60,
                "NetworkConfiguration": {"AwsvpcConfiguration": {
                    "AssignPublicIp": "DISABLED", "Subnets": subnets, "SecurityGroups": [security_group]}},
                "PropagateTags": "SERVICE", "Tags": [{"Key": "env", "Value": "alpha"}]}},
        },
        "Outputs": {
            "ClusterName": {"Value": {"Ref": "Cluster"}},
            "ClusterArn": {"Value": {"Fn::GetAtt": ["Cluster", "Arn"]}},
            "TaskDefinition": {"Value": {"Ref": "Task"}},
            "ServiceArn": {"Value": {"Ref": "Service"}},
            "ServiceName": {"Value": {"Fn::GetAtt": ["Service", "Name"]}},
        },
    }


def network(sandbox) -> tuple[list[str], str]:
    ec2 = sandbox.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    return [subnet], group


def completed_with_a_running_task(service) -> bool:
    deployments = service["deployments"]
    return len(deployments) == 1 and deployments[0]["rolloutState"] == "COMPLETED" and service["runningCount"] == service["desiredCount"]


def test_a_service_created_by_cloudformation_deploys_through_the_ecs_api(sandbox):
    cfn, ecs = sandbox.client("cloudformation"), sandbox.client("ecs")
    cfn.create_stack(StackName="web", TemplateBody=body(web_template(*network(sandbox))), Parameters=CREATE)
    created = stack(cfn, "web")
    assert created["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    arn = "arn:aws:ecs:us-east-1:123456789012"
    assert outputs == {"ClusterName": "web-cluster", "ClusterArn": f"{arn}:cluster/web-cluster",
                       "TaskDefinition": f"{arn}:task-definition/web:1",
                       "ServiceArn": f"{arn}:service/web-cluster/web", "ServiceName": "web"}
    task_definition = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert {k: task_definition[k] for k in ("cpu", "memory", "networkMode", "requiresCompatibilities",
                                            "executionRoleArn", "taskRoleArn", "runtimePlatform")} == {
        "cpu": "256", "memory": "512", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": EXECUTION_ROLE, "taskRoleArn": TASK_ROLE,
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}}
    container = task_definition["containerDefinitions"][0]
    assert container["portMappings"] == [{"containerPort": 8000, "protocol": "tcp"}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/web"

    service = wait_service(ecs, "web", completed_with_a_running_task, cluster="web-cluster")
    assert service["desiredCount"] == 1 and service["taskDefinition"] == outputs["TaskDefinition"]
    assert service["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1}]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    tasks = ecs.list_tasks(cluster="web-cluster", serviceName="web")["taskArns"]
    assert [t["lastStatus"] for t in ecs.describe_tasks(cluster="web-cluster", tasks=tasks)["tasks"]] == ["RUNNING"]
    assert ecs.describe_clusters(clusters=["web-cluster"])["clusters"][0]["activeServicesCount"] == 1


def test_an_update_without_task_definition_and_desired_count_keeps_what_update_service_set(sandbox):
    cfn, ecs = sandbox.client("cloudformation"), sandbox.client("ecs")
    template = web_template(*network(sandbox))
    cfn.create_stack(StackName="web", TemplateBody=body(template), Parameters=CREATE)
    wait_service(ecs, "web", completed_with_a_running_task, cluster="web-cluster")
    revision = register_revision(ecs, "web", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2")
    ecs.update_service(cluster="web-cluster", service="web", taskDefinition=revision, desiredCount=2)
    rolled = wait_service(ecs, "web", completed_with_a_running_task, cluster="web-cluster")
    assert (rolled["taskDefinition"], rolled["desiredCount"]) == (revision, 2)

    changed = copy.deepcopy(template)
    service = changed["Resources"]["Service"]["Properties"]
    service["Tags"] = [{"Key": "env", "Value": "alpha"}, {"Key": "team", "Value": "web"}]
    service["DeploymentConfiguration"]["MinimumHealthyPercent"] = 50
    cfn.update_stack(StackName="web", TemplateBody=body(changed), Parameters=UPDATE)
    assert stack(cfn, "web")["StackStatus"] == "UPDATE_COMPLETE"
    after = ecs.describe_services(cluster="web-cluster", services=["web"], include=["TAGS"])["services"][0]
    assert (after["taskDefinition"], after["desiredCount"]) == (revision, 2)
    assert [d["id"] for d in after["deployments"]] == [d["id"] for d in rolled["deployments"]]  # nothing redeployed
    assert after["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    assert sorted((t["key"], t["value"]) for t in after["tags"]) == [("env", "alpha"), ("team", "web")]

    cfn.delete_stack(StackName="web")
    assert ecs.describe_services(cluster="web-cluster", services=["web"])["services"][0]["status"] == "INACTIVE"
    assert ecs.describe_task_definition(taskDefinition="web:1")["taskDefinition"]["status"] == "INACTIVE"


def test_replacing_a_custom_named_service_fails_the_update_and_rolls_back(sandbox):
    cfn, ecs = sandbox.client("cloudformation"), sandbox.client("ecs")
    template = web_template(*network(sandbox))
    cfn.create_stack(StackName="web", TemplateBody=body(template), Parameters=CREATE)
    replaced = copy.deepcopy(template)
    service = replaced["Resources"]["Service"]["Properties"]
    del service["CapacityProviderStrategy"]
    service["LaunchType"] = "FARGATE"  # "Update requires: Replacement"
    cfn.update_stack(StackName="web", TemplateBody=body(replaced), Parameters=UPDATE)
    assert stack(cfn, "web")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = [e for e in cfn.describe_stack_events(StackName="web")["StackEvents"] if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in failed] == [("Service", (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename web and update the stack again."))]
    assert ecs.describe_services(cluster="web-cluster", services=["web"])["services"][0]["status"] == "ACTIVE"
