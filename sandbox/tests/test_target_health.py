"""A service behind a load balancer: ECS registers its tasks in the target
group, the target is `initial` until HealthyThresholdCount checks
HealthCheckIntervalSeconds apart have passed, and the deployment completes
only then; a stopped task's target drains for the deregistration delay."""

from harness import describe_service, describe_task, network, wait_service, wait_until

SCALE = 0.01
SCENARIO = f"""
name: behind-a-load-balancer
timeScale: {SCALE}
tasks:
  provisionSeconds: 5
  pendingSeconds: 5
  healthySeconds: 10
  stoppingSeconds: 5
"""
INTERVAL, THRESHOLD, DEREGISTRATION_DELAY = 30, 5, 60


def target_health(elbv2, group: str) -> list[dict]:
    return elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]


def test_a_deployment_behind_a_target_group_completes_only_once_its_target_is_healthy(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ec2, elbv2, ecs = sandbox.client("ec2"), sandbox.client("elbv2"), sandbox.client("ecs")
    vpc = ec2.describe_subnets(SubnetIds=contract["network"]["subnets"][:1])["Subnets"][0]["VpcId"]
    group = elbv2.create_target_group(
        Name="alpha-web", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip",
        HealthCheckIntervalSeconds=INTERVAL, HealthyThresholdCount=THRESHOLD,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(DEREGISTRATION_DELAY)}])
    ecs.create_service(
        cluster="alpha-cluster", serviceName="alpha-web", taskDefinition="alpha-gunicorn", desiredCount=1,
        launchType="FARGATE", networkConfiguration=network(contract),
        loadBalancers=[{"targetGroupArn": group, "containerName": "gunicorn", "containerPort": 8000}])

    (initial,) = wait_until(lambda: target_health(elbv2, group))
    in_progress = describe_service(ecs, "alpha-web")["deployments"][0]["rolloutState"]
    (task_arn,) = ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-web")["taskArns"]
    task = describe_task(ecs, task_arn)
    ip = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}["privateIPv4Address"]
    assert initial == {"Target": {"Id": ip, "Port": 8000}, "HealthCheckPort": "8000", "TargetHealth": {
        "State": "initial", "Reason": "Elb.RegistrationInProgress", "Description": "Target registration is in progress"}}
    assert (task["lastStatus"], in_progress) == ("RUNNING", "IN_PROGRESS")

    def completed(service):
        return service["deployments"][0]["rolloutState"] == "COMPLETED"

    done = wait_service(ecs, "alpha-web", completed)
    assert [t["TargetHealth"] for t in target_health(elbv2, group)] == [{"State": "healthy"}]
    waited = (done["deployments"][0]["updatedAt"] - task["startedAt"]).total_seconds()
    assert waited >= INTERVAL * THRESHOLD * SCALE  # not before the target group said healthy

    ecs.update_service(cluster="alpha-cluster", service="alpha-web", desiredCount=0)
    (draining,) = wait_until(lambda: [t for t in target_health(elbv2, group) if t["TargetHealth"]["State"] == "draining"])
    assert draining["Target"]["Id"] == ip
    assert draining["TargetHealth"]["Reason"] == "Target.DeregistrationInProgress"
    wait_until(lambda: target_health(elbv2, group) == [])


def test_a_target_group_that_does_not_exist_holds_no_deployment_up(sandbox):
    sandbox.load(SCENARIO)
    contract = sandbox.seed()
    ecs = sandbox.client("ecs")
    gone = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef"
    ecs.create_service(
        cluster="alpha-cluster", serviceName="alpha-web", taskDefinition="alpha-gunicorn", desiredCount=1,
        launchType="FARGATE", networkConfiguration=network(contract),
        loadBalancers=[{"targetGroupArn": gone, "containerName": "gunicorn", "containerPort": 8000}])
    done = wait_service(ecs, "alpha-web", lambda s: s["deployments"][0]["rolloutState"] == "COMPLETED")
    assert done["runningCount"] == 1
