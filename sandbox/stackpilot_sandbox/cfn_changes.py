"""What a change set would do to each resource, worded as DescribeChangeSet
words it: the action, whether the resource is replaced, which properties
change and why, and (with IncludePropertyValues) the values before and after.

moto lists only Add/Modify/Remove per logical id. Here each property of the
old and the new template is compared; whether changing it replaces the
resource comes from a small table of the properties AWS documents as
"Update requires: Replacement" for the types stackpilot's stacks use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ChangeAction(StrEnum):
    ADD = "Add"
    MODIFY = "Modify"
    REMOVE = "Remove"


class Recreation(StrEnum):
    NEVER = "Never"
    CONDITIONALLY = "Conditionally"
    ALWAYS = "Always"


class ChangeSource(StrEnum):
    DIRECT = "DirectModification"
    PARAMETER = "ParameterReference"
    RESOURCE_REFERENCE = "ResourceReference"
    RESOURCE_ATTRIBUTE = "ResourceAttribute"


class Evaluation(StrEnum):
    STATIC = "Static"
    DYNAMIC = "Dynamic"  # depends on a value known only while the change set runs


# Properties whose change replaces the resource (AWS's resource reference,
# "Update requires: Replacement"); every other property updates in place.
REPLACING_PROPERTIES: dict[str, frozenset[str]] = {
    "AWS::S3::Bucket": frozenset({"BucketName"}),
    "AWS::S3::BucketPolicy": frozenset({"Bucket"}),
    "AWS::KMS::Key": frozenset(),
    "AWS::KMS::Alias": frozenset({"AliasName"}),
    "AWS::IAM::Role": frozenset({"RoleName", "Path"}),
    "AWS::IAM::ManagedPolicy": frozenset({"ManagedPolicyName", "Path", "Description"}),
    "AWS::IAM::Policy": frozenset(),
    "AWS::IAM::OIDCProvider": frozenset({"Url"}),
    "AWS::ECS::Cluster": frozenset({"ClusterName"}),
    "AWS::ECS::Service": frozenset(
        {"Cluster", "ServiceName", "LaunchType", "Role", "SchedulingStrategy", "DeploymentController"}
    ),
}
# Task definitions are immutable: every property but Tags makes a new revision.
REPLACED_BY_ANY_CHANGE = frozenset({"AWS::ECS::TaskDefinition"})
TAGS = "Tags"
KNOWN_AFTER_APPLY = "{{changeSet:KNOWN_AFTER_APPLY}}"
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def requires_recreation(resource_type: str, prop: str) -> Recreation:
    if prop == TAGS:
        return Recreation.NEVER
    if resource_type in REPLACED_BY_ANY_CHANGE or prop in REPLACING_PROPERTIES.get(resource_type, ()):
        return Recreation.ALWAYS
    return Recreation.NEVER


def references(value: Any) -> set[str]:
    """Names a value refers to: Ref targets, GetAtt resources, Sub variables."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner.split(".")[0] if isinstance(inner, str) else inner[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found.update(name.split(".")[0] for name in _SUB_VARIABLE.findall(str(text)))
                found.update(references(inner[1:]) if isinstance(inner, list) else set())
            else:
                found.update(references(inner))
    elif isinstance(value, list):
        for item in value:
            found.update(references(item))
    return found


@dataclass(frozen=True)
class PropertyChange:
    name: str
    recreation: Recreation
    source: ChangeSource
    evaluation: Evaluation
    causing_entity: str | None = None


@dataclass(frozen=True)
class ChangeInputs:
    """The stack as it is and as the change set would leave it."""

    old_resources: dict[str, Any]
    new_resources: dict[str, Any]
    old_parameters: dict[str, Any]
    new_parameters: dict[str, Any]
    physical_ids: dict[str, str]
    resolve_before: Callable[[Any], Any]
    resolve_after: Callable[[Any, set[str]], Any]  # (value, logical ids replaced or added)


def _property_changes(
    logical_id: str, inputs: ChangeInputs, replaced: set[str]
) -> list[PropertyChange]:
    old, new = inputs.old_resources[logical_id], inputs.new_resources[logical_id]
    resource_type = new["Type"]
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    changed_parameters = {
        name for name in inputs.new_parameters if inputs.old_parameters.get(name) != inputs.new_parameters[name]
    }
    changes = []
    for prop in sorted(set(old_props) | set(new_props)):
        recreation = requires_recreation(resource_type, prop)
        before, after = old_props.get(prop), new_props.get(prop)
        if before != after:
            changes.append(PropertyChange(prop, recreation, ChangeSource.DIRECT, Evaluation.STATIC))
            continue
        refs = references(after)
        for name in sorted(refs & changed_parameters):
            changes.append(PropertyChange(prop, recreation, ChangeSource.PARAMETER, Evaluation.STATIC, name))
        for name in sorted(refs & replaced):
            # A new physical id or attribute of a replaced resource: known only at run time.
            source = ChangeSource.RESOURCE_ATTRIBUTE if '"Fn::GetAtt"' in json.dumps(after) else ChangeSource.RESOURCE_REFERENCE
            dynamic = Recreation.CONDITIONALLY if recreation is Recreation.ALWAYS else recreation
            changes.append(PropertyChange(prop, dynamic, source, Evaluation.DYNAMIC, name))
    return changes


def _replacement(changes: list[PropertyChange]) -> str:
    recreations = {change.recreation for change in changes}
    if Recreation.ALWAYS in recreations:
        return "True"
    if Recreation.CONDITIONALLY in recreations:
        return "Conditional"
    return "False"


def _detail(change: PropertyChange, include_values: bool, before: dict, after: dict) -> dict[str, Any]:
    target: dict[str, Any] = {"Attribute": "Tags" if change.name == TAGS else "Properties"}
    if change.name != TAGS:
        target["Name"] = change.name
    target["RequiresRecreation"] = change.recreation.value
    if include_values:
        target["Path"] = f"/Properties/{change.name}"
        if change.name in before:
            target["BeforeValue"] = _as_text(before[change.name])
        if change.name in after:
            target["AfterValue"] = _as_text(after[change.name])
        target["AttributeChangeType"] = (
            "Add" if change.name not in before else "Remove" if change.name not in after else "Modify"
        )
    detail: dict[str, Any] = {
        "Target": target,
        "Evaluation": change.evaluation.value,
        "ChangeSource": change.source.value,
    }
    if change.causing_entity:
        detail["CausingEntity"] = change.causing_entity
    return detail


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _context(properties: dict[str, Any]) -> str:
    return json.dumps({"Properties": properties}, separators=(",", ":"))


def resource_changes(inputs: ChangeInputs, include_values: bool) -> list[dict[str, Any]]:
    """The ResourceChange members of each change, in template order."""
    old, new = inputs.old_resources, inputs.new_resources
    added = [name for name in new if name not in old]
    removed = [name for name in old if name not in new]
    kept = [name for name in new if name in old]
    direct = {name: _property_changes(name, inputs, set()) for name in kept}
    replaced = {name for name, changes in direct.items() if _replacement(changes) == "True"} | set(added)
    result = []
    for name in added:
        change: dict[str, Any] = {"Action": ChangeAction.ADD.value, "LogicalResourceId": name,
                                  "ResourceType": new[name]["Type"], "Scope": [], "Details": []}
        if include_values:
            change["AfterContext"] = _context(inputs.resolve_after(new[name].get("Properties") or {}, replaced))
        result.append(change)
    for name in kept:
        changes = _property_changes(name, inputs, replaced)
        if not changes:
            continue
        before = inputs.resolve_before(old[name].get("Properties") or {})
        after = inputs.resolve_after(new[name].get("Properties") or {}, replaced)
        replacement = _replacement(changes)
        scope = sorted({"Tags" if c.name == TAGS else "Properties" for c in changes})
        change = {
            "Action": ChangeAction.MODIFY.value,
            "LogicalResourceId": name,
            "PhysicalResourceId": inputs.physical_ids.get(name, ""),
            "ResourceType": new[name]["Type"],
            "Replacement": replacement,
            "Scope": scope,
            "Details": [_detail(c, include_values, before, after) for c in changes],
        }
        if replacement == "True":
            change["PolicyAction"] = "ReplaceAndDelete"
        if include_values:
            change["BeforeContext"], change["AfterContext"] = _context(before), _context(after)
        result.append(change)
    for name in removed:
        retained = old[name].get("DeletionPolicy") == "Retain"
        change = {
            "Action": ChangeAction.REMOVE.value,
            "LogicalResourceId": name,
            "PhysicalResourceId": inputs.physical_ids.get(name, ""),
            "ResourceType": old[name]["Type"],
            "PolicyAction": "Retain" if retained else "Delete",
            "Scope": [],
            "Details": [],
        }
        if include_values:
            change["BeforeContext"] = _context(inputs.resolve_before(old[name].get("Properties") or {}))
        result.append(change)
    return result


_NO_VALUE = object()  # a property whose Fn::If chose AWS::NoValue: absent


def condition_values(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, bool]:
    """Each of the template's Conditions, evaluated with `parameters` as
    AWS evaluates them when it makes a change set. A condition built from
    something other than parameters and literals is left out (unknown)."""
    conditions = template.get("Conditions") or {}
    values: dict[str, bool] = {}

    def operand(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
            return str(parameters[value["Ref"]])
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    def evaluate(expression: Any) -> bool:
        if not (isinstance(expression, dict) and len(expression) == 1):
            raise ValueError(expression)
        ((function, argument),) = expression.items()
        if function == "Condition":
            return named(argument)
        if function == "Fn::Equals":
            return operand(argument[0]) == operand(argument[1])
        if function == "Fn::Not":
            return not evaluate(argument[0])
        if function == "Fn::And":
            return all(evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(evaluate(item) for item in argument)
        raise ValueError(expression)

    def named(name: str) -> bool:
        if name not in values:
            values[name] = evaluate(conditions[name])
        return values[name]

    for name in conditions:
        try:
            named(name)
        except (ValueError, KeyError, IndexError, TypeError):
            values.pop(name, None)
    return values


def with_conditions(properties: dict[str, Any], conditions: dict[str, bool]) -> dict[str, Any]:
    """Properties with every Fn::If on a known condition replaced by the
    branch it takes; a property that takes AWS::NoValue is absent."""

    def choose(value: Any) -> Any:
        if isinstance(value, list):
            return [chosen for chosen in (choose(item) for item in value) if chosen is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if value == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        branches = value.get("Fn::If")
        if len(value) == 1 and isinstance(branches, list) and len(branches) == 3 and branches[0] in conditions:
            return choose(branches[1] if conditions[branches[0]] else branches[2])
        chosen = {key: choose(inner) for key, inner in value.items()}
        return {key: inner for key, inner in chosen.items() if inner is not _NO_VALUE}

    result = choose(properties)
    return result if isinstance(result, dict) else {}


def resolve_value(value: Any, lookup: Callable[[str, str | None], Any]) -> Any:
    """A property value with Ref, Fn::GetAtt and Fn::Sub filled in as far as
    `lookup(name, attribute)` knows them (it answers KNOWN_AFTER_APPLY for
    what exists only once the change set runs). Other intrinsics stay as written."""
    if isinstance(value, list):
        return [resolve_value(item, lookup) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return lookup(value["Ref"], None)
    if set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        name, attribute = target.split(".", 1) if isinstance(target, str) else target
        return lookup(name, attribute)
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        def substitute(match: re.Match[str]) -> str:
            name, _, attribute = match.group(1).partition(".")
            return str(lookup(name, attribute or None))

        return _SUB_VARIABLE.sub(substitute, value["Fn::Sub"])
    return {key: resolve_value(inner, lookup) for key, inner in value.items()}
