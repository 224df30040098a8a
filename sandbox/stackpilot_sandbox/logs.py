"""Container output into CloudWatch Logs, where the awslogs driver puts it.

ECS's awslogs driver writes to the group in `awslogs-group` and the stream
`<awslogs-stream-prefix>/<container name>/<task id>`. A missing group stops
the task before it starts, unless `awslogs-create-group` is "true".
"""

from __future__ import annotations

from typing import Any

from moto.logs.models import logs_backends

from .clock import as_millis

MISSING_GROUP_REASON = (
    "ResourceInitializationError: failed to validate logger args: create "
    "stream has been retried 1 times: failed to create Cloudwatch log stream: "
    "ResourceNotFoundException: The specified log group does not exist. : "
    "exit status 1"
)


class AwslogsTarget:
    """Where one container's output goes, or None if it does not use awslogs."""

    def __init__(self, account_id: str, region: str, group: str, stream: str, create_group: bool):
        self.account_id = account_id
        self.region = region
        self.group = group
        self.stream = stream
        self.create_group = create_group

    @classmethod
    def for_container(
        cls, container_def: dict[str, Any], task_id: str, account_id: str, default_region: str
    ) -> AwslogsTarget | None:
        config = container_def.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            return None
        options = config.get("options") or {}
        group = options.get("awslogs-group")
        if not group:
            return None
        prefix = options.get("awslogs-stream-prefix")
        name = container_def.get("name", "")
        stream = f"{prefix}/{name}/{task_id}" if prefix else task_id
        return cls(
            account_id,
            options.get("awslogs-region", default_region),
            group,
            stream,
            str(options.get("awslogs-create-group", "")).lower() == "true",
        )

    def _backend(self):
        return logs_backends[self.account_id][self.region]

    def open(self) -> bool:
        """Create the stream; False when the group is missing and may not be created."""
        backend = self._backend()
        if self.group not in backend.groups:
            if not self.create_group:
                return False
            backend.create_log_group(self.group, {})
        if self.stream not in backend.groups[self.group].streams:
            backend.create_log_stream(self.group, self.stream)
        return True

    def write(self, lines: list[str], timestamp: float) -> None:
        if not lines:
            return
        backend = self._backend()
        group = backend.groups.get(self.group)
        if group is None or self.stream not in group.streams:
            return
        millis = as_millis(timestamp)
        events = [{"timestamp": millis, "message": line} for line in lines]
        backend.put_log_events(self.group, self.stream, events)
