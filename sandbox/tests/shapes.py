"""Checks a JSON response body against botocore's output shape: no member
the model lacks, every value of the model's type (and enum), and the members
AWS always returns present (botocore marks few output members required, so
ALWAYS lists the ones real responses carry, per shape name)."""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

ALWAYS: dict[str, set[str]] = {
    # ECS
    "Cluster": {
        "clusterArn", "clusterName", "status", "registeredContainerInstancesCount", "runningTasksCount",
        "pendingTasksCount", "activeServicesCount", "statistics", "settings", "capacityProviders",
        "defaultCapacityProviderStrategy",
    },
    "Service": {
        "serviceArn", "serviceName", "clusterArn", "status", "desiredCount", "runningCount", "pendingCount",
        "taskDefinition", "deploymentConfiguration", "deployments", "events", "createdAt", "createdBy",
        "placementConstraints", "placementStrategy", "schedulingStrategy", "deploymentController",
        "enableECSManagedTags", "propagateTags", "enableExecuteCommand", "loadBalancers", "serviceRegistries",
        "platformVersion", "platformFamily", "launchType", "networkConfiguration",
    },
    "Deployment": {
        "id", "status", "taskDefinition", "desiredCount", "pendingCount", "runningCount", "failedTasks",
        "createdAt", "updatedAt", "launchType", "platformVersion", "platformFamily", "networkConfiguration",
        "rolloutState", "rolloutStateReason",
    },
    "ServiceEvent": {"id", "createdAt", "message"},
    "Task": {
        "attachments", "attributes", "availabilityZone", "clusterArn", "containers", "cpu", "createdAt",
        "desiredStatus", "enableExecuteCommand", "group", "healthStatus", "lastStatus", "launchType", "memory",
        "overrides", "platformVersion", "platformFamily", "taskArn", "taskDefinitionArn", "version",
        "ephemeralStorage",
    },
    "Container": {
        "containerArn", "taskArn", "name", "image", "lastStatus", "networkInterfaces", "healthStatus", "cpu",
        "networkBindings",
    },
    "Attachment": {"id", "type", "status", "details"},
    "TaskDefinition": {
        "taskDefinitionArn", "containerDefinitions", "family", "revision", "volumes", "status",
        "requiresAttributes", "placementConstraints", "compatibilities", "registeredAt", "registeredBy",
        "networkMode", "cpu", "memory", "requiresCompatibilities",
    },
    "ContainerDefinition": {"name", "image", "cpu", "portMappings", "essential", "environment", "mountPoints",
                            "volumesFrom"},
    "Failure": {"arn", "reason"},
    # CloudWatch Logs
    "OutputLogEvent": {"timestamp", "message", "ingestionTime"},
    "FilteredLogEvent": {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"},
    "LogGroup": {"logGroupName", "creationTime", "metricFilterCount", "arn", "storedBytes"},
    "LogStream": {"logStreamName", "creationTime", "arn"},
}


def problems(shape: Shape | None, value: Any, path: str = "$") -> list[str]:
    """Every way `value` differs from `shape`, as "path: what" lines."""
    if shape is None:
        return [] if value in ({}, None) else [f"{path}: the operation has no output, got {value!r}"]
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object ({shape.name}), got {type(value).__name__}"]
        found = []
        members = shape.members
        for key in sorted(set(value) - set(members)):
            found.append(f"{path}.{key}: not a member of {shape.name}")
        wanted = set(shape.required_members) | ALWAYS.get(shape.name, set())
        for key in sorted(wanted & set(members) - set(value)):
            found.append(f"{path}.{key}: missing from {shape.name} (AWS always returns it)")
        for key, member in members.items():
            if key in value and value[key] is not None:
                found += problems(member, value[key], f"{path}.{key}")
            elif key in value:
                found.append(f"{path}.{key}: null (AWS leaves the member out)")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in problems(shape.member, item, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map, got {type(value).__name__}"]
        return [p for k, v in value.items() for p in problems(shape.value, v, f"{path}[{k!r}]")]
    return _scalar(shape, value, path)


def _scalar(shape: Shape, value: Any, path: str) -> list[str]:
    kind = shape.type_name
    ok = {
        "string": lambda v: isinstance(v, str),
        "blob": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "timestamp": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }[kind]
    if not ok(value):
        return [f"{path}: expected {kind} ({shape.name}), got {value!r}"]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} is not one of {shape.name}'s values"]
    return []
