"""What ECS refuses at RegisterTaskDefinition.

moto registers almost anything; ECS answers a ClientException when a
definition breaks one of these rules (some hold only for a definition that
requires FARGATE). The rule ids are
those of stackpilot's preflight (docs/preflight.md), so that a test can show
the two agree: what the preflight stops, the sandbox refuses too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Rule(StrEnum):
    FARGATE_CPU_MEMORY = "fargate-cpu-memory"
    FARGATE_AWSVPC = "fargate-awsvpc"
    AWSVPC_HOST_PORT = "awsvpc-host-port"
    EPHEMERAL_STORAGE = "ephemeral-storage"
    ESSENTIAL_CONTAINER = "essential-container"
    CONTAINER_NAMES = "container-names"
    DEPENDS_ON_TARGET = "depends-on-target"
    AWSLOGS_EXECUTION_ROLE = "awslogs-execution-role"
    SECRETS_EXECUTION_ROLE = "secrets-execution-role"


# Rules of Fargate alone: an EC2-only definition may break them.
FARGATE_ONLY = frozenset(
    {Rule.FARGATE_CPU_MEMORY, Rule.FARGATE_AWSVPC, Rule.EPHEMERAL_STORAGE, Rule.AWSLOGS_EXECUTION_ROLE}
)

GIB = 1024
# CPU units -> the memory (MiB) Fargate offers with them.
FARGATE_SIZES: dict[int, set[int]] = {
    256: {512, GIB, 2 * GIB},
    512: set(range(GIB, 4 * GIB + 1, GIB)),
    1024: set(range(2 * GIB, 8 * GIB + 1, GIB)),
    2048: set(range(4 * GIB, 16 * GIB + 1, GIB)),
    4096: set(range(8 * GIB, 30 * GIB + 1, GIB)),
    8192: set(range(16 * GIB, 60 * GIB + 1, 4 * GIB)),
    16384: set(range(32 * GIB, 120 * GIB + 1, 8 * GIB)),
}


def _units(raw: Any, suffix: str, per_unit: int) -> int | None:
    text = str(raw).strip().lower()
    try:
        if text.endswith(suffix):
            value = float(text[: -len(suffix)]) * per_unit
            return int(value) if value.is_integer() else None
        return int(text)
    except ValueError:
        return None


def refusal(definition: dict[str, Any]) -> tuple[Rule, str] | None:
    """The first rule a definition breaks, with ECS's sort of message, or
    None. The Fargate rules hold only when it requires FARGATE."""
    fargate = "FARGATE" in (definition.get("requiresCompatibilities") or [])
    for rule, check in _CHECKS:
        if rule in FARGATE_ONLY and not fargate:
            continue
        message = check(definition)
        if message:
            return rule, message
    return None


def _size(d: dict[str, Any]) -> str | None:
    cpu, memory = d.get("cpu"), d.get("memory")
    if cpu is None or memory is None:
        return "Fargate requires that 'cpu' be defined at the task level."
    units, mib = _units(cpu, "vcpu", 1024), _units(memory, "gb", GIB)
    if units not in FARGATE_SIZES or mib not in FARGATE_SIZES[units]:
        return "No Fargate configuration exists for given values."
    return None


def _network_mode(d: dict[str, Any]) -> str | None:
    if d.get("networkMode") != "awsvpc":
        return "Fargate only supports network mode 'awsvpc'."
    return None


def _host_ports(d: dict[str, Any]) -> str | None:
    if d.get("networkMode") != "awsvpc":
        return None
    for container in d.get("containerDefinitions") or []:
        for mapping in container.get("portMappings") or []:
            host = mapping.get("hostPort")
            if host is not None and host != mapping.get("containerPort"):
                return "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
    return None


def _ephemeral_storage(d: dict[str, Any]) -> str | None:
    size = (d.get("ephemeralStorage") or {}).get("sizeInGiB")
    if size is not None and not 21 <= int(size) <= 200:
        return "The ephemeral storage size must be between 21 GiB and 200 GiB."
    return None


def _essential(d: dict[str, Any]) -> str | None:
    if not any(c.get("essential", True) for c in d.get("containerDefinitions") or []):
        return "Task definition does not have any essential container."
    return None


def _names(d: dict[str, Any]) -> str | None:
    names = [c.get("name") for c in d.get("containerDefinitions") or []]
    if len(set(names)) != len(names):
        return "Container names must be unique within a task definition."
    return None


def _depends_on(d: dict[str, Any]) -> str | None:
    containers = d.get("containerDefinitions") or []
    names = {c.get("name") for c in containers}
    for container in containers:
        for dependency in container.get("dependsOn") or []:
            target = dependency.get("containerName")
            if target not in names or target == container.get("name"):
                return f"Dependency container {target} is not defined in the task definition."
    return None


def _awslogs(d: dict[str, Any]) -> str | None:
    if d.get("executionRoleArn"):
        return None
    for container in d.get("containerDefinitions") or []:
        if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
            return "Fargate requires task definition to have execution role ARN to support log driver awslogs."
    return None


def _secrets(d: dict[str, Any]) -> str | None:
    if d.get("executionRoleArn"):
        return None
    for container in d.get("containerDefinitions") or []:
        log = container.get("logConfiguration") or {}
        if container.get("secrets") or log.get("secretOptions") or container.get("repositoryCredentials"):
            return "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
    return None


# In the order ECS is assumed to check them: the first one broken is named.
_CHECKS = (
    (Rule.FARGATE_CPU_MEMORY, _size),
    (Rule.FARGATE_AWSVPC, _network_mode),
    (Rule.AWSVPC_HOST_PORT, _host_ports),
    (Rule.EPHEMERAL_STORAGE, _ephemeral_storage),
    (Rule.ESSENTIAL_CONTAINER, _essential),
    (Rule.CONTAINER_NAMES, _names),
    (Rule.DEPENDS_ON_TARGET, _depends_on),
    (Rule.AWSLOGS_EXECUTION_ROLE, _awslogs),
    (Rule.SECRETS_EXECUTION_ROLE, _secrets),
)
