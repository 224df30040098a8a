"""The scenario: what the simulated world does, read from a YAML file.

A scenario decides, for every task the sandbox starts, how long each lifecycle
phase takes, whether and how it exits, what it logs, and whether it can be
placed at all. It also says which API calls are throttled and which task
families run as real local processes, and which CloudFormation resources
fail (`cloudformation.failures`). Durations are AWS seconds; `timeScale`
turns them into real seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml



class Outcome(StrEnum):
    """How a task ends (the scenario's `outcome`)."""

    RUN = "run"  # a service task stays up; a one-off task exits after runSeconds
    CRASH = "crash"  # exits with exitCode (default 1) runSeconds after it started
    NEVER_STARTS = "never-starts"  # stays PENDING
    CANNOT_PLACE = "cannot-place"  # never gets a task


DEFAULT_PLACEMENT_FAILURE = (
    "Capacity is unavailable at this time. Please try again later or in a different availability zone"
)


class ScenarioError(ValueError):
    """The scenario file is not valid; the message says which key is wrong."""


@dataclass(frozen=True)
class TaskPlan:
    """How one task behaves. Service tasks with outcome `run` never exit;
    one-off tasks (RunTask) exit after `runSeconds` with `exitCode`. A service
    task counts as healthy (for draining old tasks and for completing the
    deployment) once it has been RUNNING for `healthySeconds`."""

    outcome: Outcome = Outcome.RUN
    provision_seconds: float = 5.0
    pending_seconds: float = 15.0
    run_seconds: float = 20.0
    healthy_seconds: float = 10.0
    stopping_seconds: float = 6.0
    # ACTIVATING (after PENDING) and DEACTIVATING (before STOPPING, for a
    # stop that was asked for): 0 skips the phase.
    activating_seconds: float = 0.0
    deactivating_seconds: float = 0.0
    # Container health check commands fail from this many seconds after start.
    unhealthy_after_seconds: float | None = None
    exit_code: int | None = None
    exit_codes: dict[str, int] = field(default_factory=dict)
    logs: tuple[str, ...] = ()
    placement_failure: str = DEFAULT_PLACEMENT_FAILURE

    def exit_code_for(self, container: str) -> int:
        if container in self.exit_codes:
            return self.exit_codes[container]
        if self.exit_code is not None:
            return self.exit_code
        return 1 if self.outcome is Outcome.CRASH else 0


@dataclass(frozen=True)
class Match:
    """Selects tasks; every key given must match (empty matches all)."""

    service: str | None = None
    family: str | None = None
    image_tag: str | None = None
    container: str | None = None
    started_by: str | None = None

    def matches(self, task: TaskFacts) -> bool:
        checks = (
            (self.service, [task.service] if task.service else []),
            (self.family, [task.family]),
            (self.image_tag, task.image_tags),
            (self.container, task.containers),
            (self.started_by, [task.started_by]),
        )
        return all(want is None or want in have for want, have in checks)


@dataclass(frozen=True)
class TaskFacts:
    """What a rule can match a task on."""

    family: str
    service: str | None
    image_tags: list[str]
    containers: list[str]
    started_by: str = ""


@dataclass(frozen=True)
class Rule:
    match: Match
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Throttling:
    operations: tuple[str, ...] = ()
    share: float = 0.0
    seed: int = 0
    max_consecutive: int | None = None


@dataclass(frozen=True)
class LocalCommand:
    """A task family whose tasks really run on this machine."""

    family: str
    cwd: str | None = None
    timeout_seconds: float = 600.0


class StackOperation(StrEnum):
    """What CloudFormation is doing to a resource when a failure rule hits it."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


DEFAULT_RESOURCE_FAILURE = "Resource handler returned message: \"Internal Failure\" (HandlerErrorCode: InternalFailure)"


@dataclass(frozen=True)
class ResourceFailure:
    """Makes a CloudFormation resource fail (the scenario's
    `cloudformation.failures`); every key given must match."""

    reason: str = DEFAULT_RESOURCE_FAILURE
    logical_id: str | None = None
    resource_type: str | None = None
    stack: str | None = None
    operation: StackOperation | None = None  # None: any

    def matches(self, stack: str, logical_id: str, resource_type: str, operation: StackOperation) -> bool:
        checks = (
            (self.logical_id, logical_id),
            (self.resource_type, resource_type),
            (self.stack, stack),
            (self.operation, operation),
        )
        return all(want is None or want == have for want, have in checks)


@dataclass(frozen=True)
class Scenario:
    name: str = "default"
    time_scale: float = 0.01
    defaults: TaskPlan = TaskPlan()
    rules: tuple[Rule, ...] = ()
    throttling: Throttling = Throttling()
    local: tuple[LocalCommand, ...] = ()
    resource_failures: tuple[ResourceFailure, ...] = ()

    def resource_failure(
        self, stack: str, logical_id: str, resource_type: str, operation: StackOperation
    ) -> str | None:
        """The reason the first matching failure rule gives, or None."""
        for failure in self.resource_failures:
            if failure.matches(stack, logical_id, resource_type, operation):
                return failure.reason
        return None

    def plan_for(self, task: TaskFacts) -> TaskPlan:
        """First matching rule wins over the defaults."""
        for rule in self.rules:
            if rule.match.matches(task):
                return dataclasses.replace(self.defaults, **rule.overrides)
        return self.defaults

    def local_command_for(self, family: str) -> LocalCommand | None:
        return next((entry for entry in self.local if entry.family == family), None)


# YAML key -> TaskPlan field, and how to convert it.
_PLAN_KEYS = {
    "outcome": ("outcome", Outcome),
    "provisionSeconds": ("provision_seconds", float),
    "pendingSeconds": ("pending_seconds", float),
    "runSeconds": ("run_seconds", float),
    "stoppingSeconds": ("stopping_seconds", float),
    "healthySeconds": ("healthy_seconds", float),
    "activatingSeconds": ("activating_seconds", float),
    "deactivatingSeconds": ("deactivating_seconds", float),
    "unhealthyAfterSeconds": ("unhealthy_after_seconds", float),
    "exitCode": ("exit_code", int),
    "exitCodes": ("exit_codes", lambda v: {str(k): int(c) for k, c in dict(v).items()}),
    "logs": ("logs", lambda v: tuple(str(line) for line in v)),
    "placementFailure": ("placement_failure", str),
}
_MATCH_KEYS = {
    "service": "service",
    "family": "family",
    "imageTag": "image_tag",
    "container": "container",
    "startedBy": "started_by",
}


def _plan_overrides(raw: dict[str, Any], where: str) -> dict[str, Any]:
    _reject_unknown(raw, set(_PLAN_KEYS), where)
    overrides = {}
    for key, value in raw.items():
        name, convert = _PLAN_KEYS[key]
        if convert is Outcome and value not in set(Outcome):
            raise ScenarioError(f"{where}.outcome must be one of {', '.join(Outcome)}")
        try:
            overrides[name] = convert(value)
        except (TypeError, ValueError) as err:
            raise ScenarioError(f"{where}.{key}: {err}") from err
    return overrides


def _rule(raw: dict[str, Any], index: int) -> Rule:
    where = f"tasks.rules[{index}]"
    raw = _mapping(raw, where)
    match_raw = _mapping(raw.pop("match", None), f"{where}.match")
    _reject_unknown(match_raw, set(_MATCH_KEYS), f"{where}.match")
    match = Match(**{_MATCH_KEYS[k]: str(v) for k, v in match_raw.items()})
    return Rule(match=match, overrides=_plan_overrides(raw, where))


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a mapping")
    return dict(value)


def _reject_unknown(raw: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        listed = ", ".join(f"`{key}`" for key in unknown)
        raise ScenarioError(f"{where}: unknown key(s) {listed} (known: {', '.join(sorted(known))})")


def _throttling(raw: dict[str, Any]) -> Throttling:
    _reject_unknown(raw, {"operations", "share", "seed", "maxConsecutive"}, "throttling")
    try:
        max_consecutive = raw.get("maxConsecutive")
        return Throttling(
            operations=tuple(str(op) for op in raw.get("operations", ())),
            share=float(raw.get("share", 0.0)),
            seed=int(raw.get("seed", 0)),
            max_consecutive=None if max_consecutive is None else int(max_consecutive),
        )
    except (TypeError, ValueError) as err:
        raise ScenarioError(f"throttling: {err}") from err


def _local_command(raw: Any, index: int) -> LocalCommand:
    where = f"local[{index}]"
    entry = _mapping(raw, where)
    _reject_unknown(entry, {"family", "cwd", "timeoutSeconds"}, where)
    if "family" not in entry:
        raise ScenarioError(f"{where}: `family` is required")
    try:
        return LocalCommand(
            family=str(entry["family"]),
            cwd=None if entry.get("cwd") is None else str(entry["cwd"]),
            timeout_seconds=float(entry.get("timeoutSeconds", 600)),
        )
    except (TypeError, ValueError) as err:
        raise ScenarioError(f"{where}: {err}") from err


_FAILURE_KEYS = {"logicalId": "logical_id", "type": "resource_type", "stack": "stack"}


def _resource_failure(raw: Any, index: int) -> ResourceFailure:
    where = f"cloudformation.failures[{index}]"
    entry = _mapping(raw, where)
    _reject_unknown(entry, {"match", "operation", "reason"}, where)
    match = _mapping(entry.get("match"), f"{where}.match")
    _reject_unknown(match, set(_FAILURE_KEYS), f"{where}.match")
    if not match:
        raise ScenarioError(f"{where}.match needs logicalId, type or stack")
    operation = entry.get("operation")
    if operation is not None and operation not in set(StackOperation):
        raise ScenarioError(f"{where}.operation must be one of {', '.join(StackOperation)}")
    return ResourceFailure(
        reason=str(entry.get("reason", DEFAULT_RESOURCE_FAILURE)),
        operation=None if operation is None else StackOperation(operation),
        **{_FAILURE_KEYS[k]: str(v) for k, v in match.items()},
    )


def _resource_failures(raw: dict[str, Any]) -> tuple[ResourceFailure, ...]:
    _reject_unknown(raw, {"failures"}, "cloudformation")
    failures = raw.get("failures") or []
    if not isinstance(failures, list):
        raise ScenarioError("cloudformation.failures must be a list of {match, operation, reason}")
    return tuple(_resource_failure(entry, i) for i, entry in enumerate(failures))


def parse_scenario(raw: dict[str, Any] | None) -> Scenario:
    raw = _mapping(raw, "the scenario")
    _reject_unknown(raw, {"name", "timeScale", "tasks", "throttling", "local", "cloudformation"}, "the scenario")
    tasks = _mapping(raw.get("tasks"), "tasks")
    rules_raw = tasks.pop("rules", []) or []
    defaults = dataclasses.replace(TaskPlan(), **_plan_overrides(tasks, "tasks"))
    throttling = _throttling(_mapping(raw.get("throttling"), "throttling"))
    local_raw = raw.get("local") or []
    if not isinstance(local_raw, list):
        raise ScenarioError("local must be a list of {family, cwd, timeoutSeconds}")
    local = tuple(_local_command(entry, i) for i, entry in enumerate(local_raw))
    time_scale = float(raw.get("timeScale", 0.01))
    if time_scale <= 0:
        raise ScenarioError("timeScale must be greater than 0")
    return Scenario(
        name=str(raw.get("name", "unnamed")),
        time_scale=time_scale,
        defaults=defaults,
        rules=tuple(_rule(r, i) for i, r in enumerate(rules_raw)),
        throttling=throttling,
        local=local,
        resource_failures=_resource_failures(_mapping(raw.get("cloudformation"), "cloudformation")),
    )


def load_scenario_text(text: str) -> Scenario:
    try:
        return parse_scenario(yaml.safe_load(text))
    except yaml.YAMLError as err:
        raise ScenarioError(f"not valid YAML: {err}") from err


def load_scenario_file(path: str) -> Scenario:
    with open(path, encoding="utf-8") as handle:
        return load_scenario_text(handle.read())
