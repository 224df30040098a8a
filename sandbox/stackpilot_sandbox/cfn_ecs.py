"""AWS::ECS::Cluster, AWS::ECS::TaskDefinition and AWS::ECS::Service made
through the sandbox's own ECS backend, the one its ECS API serves: a service
a stack creates rolls, starts tasks and deploys like any other.

moto's CloudFormation models put these in moto's ECS registry (invisible to
the sandbox's API), drop most task-definition and service properties, and
fail a service update that leaves TaskDefinition out. Here every property
is passed as its API member (CloudFormation's PascalCase → camelCase), and
an update without TaskDefinition or DesiredCount leaves the service's task
definition and desired count as they are, as AWS does.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.ecs.exceptions import ClusterNotFoundException, ServiceNotFoundException, TaskDefinitionNotFoundException

from .cfn_resources import ResourceContext, ResourceHandle, ResourceHandler, handles
from .cfn_stacks import ResourceFailed
from .ecs_backend import SandboxEcsBackend, full_deployment_configuration, sandbox_ecs_backends

# Maps whose keys are the user's (log driver options, labels): kept as written.
FREE_FORM = frozenset({"Options", "DockerLabels", "DriverOpts", "Labels"})
# Properties whose API member is not simply the name with a lower-case first letter.
IRREGULAR = {
    "EFSVolumeConfiguration": "efsVolumeConfiguration",
    "FSxWindowsFileServerVolumeConfiguration": "fsxWindowsFileServerVolumeConfiguration",
    "ProxyConfigurationProperties": "properties",
}
# CloudFormation turns template strings into the member's type; so does this.
INTEGER_MEMBERS = frozenset({
    "containerPort", "hostPort", "interval", "timeout", "retries", "startPeriod", "sizeInGiB", "softLimit",
    "hardLimit", "maximumPercent", "minimumHealthyPercent", "weight", "base", "startTimeout", "stopTimeout",
    "memoryReservation", "sharedMemorySize", "maxSwap", "swappiness", "desiredCount",
    "healthCheckGracePeriodSeconds",
})
BOOLEAN_MEMBERS = frozenset({
    "essential", "enable", "rollback", "readonlyRootFilesystem", "privileged", "disableNetworking",
    "initProcessEnabled", "interactive", "pseudoTerminal", "readOnly", "autoprovision", "enableExecuteCommand",
    "enableECSManagedTags",
})
REGISTER_MEMBERS = frozenset({
    "volumes", "networkMode", "tags", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
    "taskRoleArn", "executionRoleArn", "proxyConfiguration", "inferenceAccelerators", "runtimePlatform",
    "ipcMode", "pidMode", "ephemeralStorage",
})
# UpdateService members a template may change in place.
UPDATABLE_MEMBERS = frozenset({
    "taskDefinition", "desiredCount", "networkConfiguration", "capacityProviderStrategy", "loadBalancers",
    "healthCheckGracePeriodSeconds", "enableExecuteCommand", "platformVersion", "propagateTags",
    "enableECSManagedTags", "placementConstraints", "placementStrategy", "serviceRegistries",
})
# A change to one of these replaces the service (AWS's "Update requires: Replacement").
SERVICE_REPLACING = ("cluster", "serviceName", "launchType", "role", "schedulingStrategy", "deploymentController")
CUSTOM_NAME_REPLACED = (
    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
    "Rename {name} and update the stack again."
)


def api_members(value: Any) -> Any:
    """CloudFormation properties → ECS API members, recursively."""
    if isinstance(value, list):
        return [api_members(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, inner in value.items():
        member = IRREGULAR.get(key) or key[:1].lower() + key[1:]
        inner = inner if key in FREE_FORM else api_members(inner)
        if member in INTEGER_MEMBERS and isinstance(inner, str) and inner.lstrip("-").isdigit():
            inner = int(inner)
        elif member in BOOLEAN_MEMBERS and isinstance(inner, str):
            inner = inner.lower() == "true"
        converted[member] = inner
    return converted


def _ecs(ctx: ResourceContext) -> SandboxEcsBackend:
    return sandbox_ecs_backends[ctx.account_id][ctx.region_name]


def _retag(ecs: SandboxEcsBackend, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Tags as the template now has them: dropped keys removed, the rest set."""
    before = {tag["key"]: tag["value"] for tag in old.get("tags") or []}
    after = {tag["key"]: tag["value"] for tag in new.get("tags") or []}
    gone = [key for key in before if key not in after]
    if gone:
        ecs.untag_resource(arn, gone)
    if after:
        ecs.tag_resource(arn, after)


@handles
class ClusterHandler(ResourceHandler):
    resource_type = "AWS::ECS::Cluster"
    name_property = "ClusterName"

    @classmethod
    def create(cls, ctx: ResourceContext, name: str, properties: dict[str, Any]) -> ResourceHandle:
        members = api_members(properties)
        cluster = _ecs(ctx).create_cluster(
            name,
            tags=members.get("tags"),
            cluster_settings=members.get("clusterSettings"),  # CreateCluster's `settings`
            configuration=members.get("configuration"),
            capacity_providers=members.get("capacityProviders"),
            default_capacity_provider_strategy=members.get("defaultCapacityProviderStrategy"),
            service_connect_defaults=members.get("serviceConnectDefaults"),
        )
        return ResourceHandle(cluster.name, {"Arn": cluster.arn})

    @classmethod
    def change(cls, ctx: ResourceContext, handle: ResourceHandle, old: dict[str, Any], new: dict[str, Any]) -> None:
        ecs, members = _ecs(ctx), api_members(new)
        cluster = handle.physical_resource_id
        ecs.update_cluster(cluster, members.get("clusterSettings"), members.get("configuration"),
                           members.get("serviceConnectDefaults"))
        ecs.put_cluster_capacity_providers(cluster, members.get("capacityProviders") or [],
                                           members.get("defaultCapacityProviderStrategy") or [])
        _retag(ecs, handle.attributes["Arn"], api_members(old), members)

    @classmethod
    def delete(cls, ctx: ResourceContext, handle: ResourceHandle, properties: dict[str, Any]) -> None:
        try:
            _ecs(ctx).delete_cluster(handle.physical_resource_id)
        except ClusterNotFoundException:
            pass


@handles
class TaskDefinitionHandler(ResourceHandler):
    """Task definitions are immutable: any change but Tags registers a new
    revision (a new physical id) and deregisters the old one."""

    resource_type = "AWS::ECS::TaskDefinition"
    name_property = "Family"

    @classmethod
    def create(cls, ctx: ResourceContext, name: str, properties: dict[str, Any]) -> ResourceHandle:
        members = api_members(properties)
        containers = members.get("containerDefinitions") or []
        for container in containers:
            for member in ("cpu", "memory"):  # integers in a container, strings for the task
                if isinstance(container.get(member), str):
                    container[member] = int(container[member])
        for member in ("cpu", "memory"):
            if members.get(member) is not None:
                members[member] = str(members[member])
        registration = {camelcase_to_underscores(k): v for k, v in members.items() if k in REGISTER_MEMBERS}
        task_definition = _ecs(ctx).register_task_definition(name, containers, **registration)
        return ResourceHandle(task_definition.arn, {"TaskDefinitionArn": task_definition.arn})

    @classmethod
    def replaces(cls, old: dict[str, Any], new: dict[str, Any]) -> bool:
        untagged = [{k: v for k, v in props.items() if k != "Tags"} for props in (old, new)]
        return untagged[0] != untagged[1]

    @classmethod
    def change(cls, ctx: ResourceContext, handle: ResourceHandle, old: dict[str, Any], new: dict[str, Any]) -> None:
        _retag(_ecs(ctx), handle.physical_resource_id, api_members(old), api_members(new))

    @classmethod
    def delete(cls, ctx: ResourceContext, handle: ResourceHandle, properties: dict[str, Any]) -> None:
        try:
            _ecs(ctx).deregister_task_definition(handle.physical_resource_id)
        except TaskDefinitionNotFoundException:
            pass


def _network(members: dict[str, Any]) -> dict[str, Any] | None:
    network = members.get("networkConfiguration")
    if network and "awsvpcConfiguration" in network:
        # AWS puts a task without security groups in the VPC's default group.
        network["awsvpcConfiguration"].setdefault("securityGroups", [])
    return network


@handles
class ServiceHandler(ResourceHandler):
    resource_type = "AWS::ECS::Service"
    name_property = "ServiceName"

    @classmethod
    def create(cls, ctx: ResourceContext, name: str, properties: dict[str, Any]) -> ResourceHandle:
        members = api_members(properties)
        service = _ecs(ctx).create_service(
            members.get("cluster") or "default",
            name,
            members.get("desiredCount", 1),  # CloudFormation's default for a new service
            members.get("taskDefinition"),
            members.get("loadBalancers"),
            members.get("schedulingStrategy"),
            members.get("tags"),
            members.get("deploymentController"),
            members.get("launchType"),
            deployment_configuration=members.get("deploymentConfiguration"),
            settings={camelcase_to_underscores(k): v for k, v in members.items()},
            network_configuration=_network(members),
            service_registries=members.get("serviceRegistries"),
            platform_version=members.get("platformVersion"),
            propagate_tags=members.get("propagateTags") or "NONE",
            role_arn=members.get("role"),
        )
        return ResourceHandle(service.arn, {"Name": service.name, "ServiceArn": service.arn})

    @classmethod
    def replaces(cls, old: dict[str, Any], new: dict[str, Any]) -> bool:
        before, after = api_members(old), api_members(new)
        if all(before.get(member) == after.get(member) for member in SERVICE_REPLACING):
            return False
        if before.get("serviceName") and before.get("serviceName") == after.get("serviceName"):
            # Two services of one name cannot exist side by side.
            raise ResourceFailed(CUSTOM_NAME_REPLACED.format(name=after["serviceName"]))
        return True

    @classmethod
    def change(cls, ctx: ResourceContext, handle: ResourceHandle, old: dict[str, Any], new: dict[str, Any]) -> None:
        ecs, before, after = _ecs(ctx), api_members(old), api_members(new)
        changes: dict[str, Any] = {
            camelcase_to_underscores(member): value for member, value in after.items() if member in UPDATABLE_MEMBERS
        }
        # TaskDefinition and DesiredCount left out keep what the service has.
        if "deploymentConfiguration" in after:
            changes["deployment_configuration"] = full_deployment_configuration(after["deploymentConfiguration"])
        if "network_configuration" in changes:
            changes["network_configuration"] = _network(after)
        changes.update(cluster=after.get("cluster") or "default", service=handle.attributes["Name"])
        ecs.update_service(changes)
        _retag(ecs, handle.physical_resource_id, before, after)

    @classmethod
    def delete(cls, ctx: ResourceContext, handle: ResourceHandle, properties: dict[str, Any]) -> None:
        cluster = api_members(properties).get("cluster") or "default"
        try:
            # CloudFormation scales the service to 0 and deletes it.
            _ecs(ctx).delete_service(cluster, handle.attributes["Name"], force=True)
        except (ServiceNotFoundException, ClusterNotFoundException):
            pass
