"""RegisterTaskDefinition's validation, as ECS answers it: 400 ClientException.

moto registers whatever it is given; ECS refuses a Fargate definition whose
task-level cpu/memory pair Fargate does not offer, awsvpc port mappings whose
hostPort differs from the containerPort, ephemeral storage outside 21–200
GiB, definitions without an essential container, `dependsOn` naming a
container that is not there, duplicate container names, and awslogs on
Fargate without an execution role (the agent needs it to write logs).
Messages follow ECS's where we know them; the others are ours.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.exceptions import EcsClientException

# Fargate's task sizes: cpu units -> the memory (MiB) each allows.
FARGATE_SIZES: dict[int, range] = {
    256: range(512, 2048 + 1, 512),  # 512, 1024, 2048 (1536 is not offered)
    512: range(1024, 4096 + 1, 1024),
    1024: range(2048, 8192 + 1, 1024),
    2048: range(4096, 16384 + 1, 1024),
    4096: range(8192, 30720 + 1, 1024),
    8192: range(16384, 61440 + 1, 4096),
    16384: range(32768, 122880 + 1, 8192),
}
EPHEMERAL_GIB = range(21, 200 + 1)


def _units(value: Any, unit: str) -> int | None:
    """"1 vCPU" / "2 GB" / "512" as cpu units or MiB."""
    if value is None:
        return None
    text = str(value).strip()
    for suffix in (unit, unit.lower()):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * 1024)
    return int(text)


def _fargate_size(cpu: Any, memory: Any) -> None:
    try:
        cpu_units, memory_mib = _units(cpu, "vCPU"), _units(memory, "GB")
    except ValueError as err:
        raise EcsClientException(f"Invalid cpu or memory value: {err}") from err
    if cpu_units is None:
        raise EcsClientException("Fargate requires that 'cpu' be defined at the task level.")
    if memory_mib is None:
        raise EcsClientException("Fargate requires that 'memory' be defined at the task level.")
    allowed = FARGATE_SIZES.get(cpu_units)
    if allowed is None or memory_mib not in allowed or cpu_units == 256 and memory_mib == 1536:
        raise EcsClientException(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values."
        )


def check_registration(
    containers: list[dict[str, Any]],
    *,
    network_mode: str | None,
    requires_compatibilities: list[str] | None,
    cpu: Any,
    memory: Any,
    execution_role_arn: str | None,
    ephemeral_storage: dict[str, Any] | None,
) -> None:
    """Raise ClientException for the first rule the registration breaks."""
    fargate = "FARGATE" in (requires_compatibilities or [])
    if fargate:
        _fargate_size(cpu, memory)
    names = [c.get("name") for c in containers]
    duplicates = sorted({n for n in names if names.count(n) > 1 and n is not None})
    if duplicates:
        raise EcsClientException(f"Duplicate container names are not allowed: {', '.join(duplicates)}.")
    if not any(c.get("essential", True) for c in containers):
        raise EcsClientException("A task definition must have at least one essential container.")
    for container in containers:
        for dependency in container.get("dependsOn") or []:
            if dependency.get("containerName") not in names:
                raise EcsClientException(
                    f"Container {container.get('name')} depends on {dependency.get('containerName')}, "
                    "which is not in the task definition."
                )
    if network_mode == "awsvpc" or fargate:
        for container in containers:
            for mapping in container.get("portMappings") or []:
                host = mapping.get("hostPort")
                if host is not None and host != mapping.get("containerPort"):
                    raise EcsClientException(
                        "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
                    )
    size = (ephemeral_storage or {}).get("sizeInGiB")
    if size is not None and int(size) not in EPHEMERAL_GIB:
        raise EcsClientException(
            f"The ephemeral storage size must be between 21 GiB and 200 GiB; {size} GiB was given."
        )
    drivers = {(c.get("logConfiguration") or {}).get("logDriver") for c in containers}
    if fargate and "awslogs" in drivers and not execution_role_arn:
        raise EcsClientException(
            "Fargate requires task definition to have execution role ARN to support log driver awslogs."
        )
