"""Bucket policies whose conditions the sandbox can answer.

moto evaluates a bucket policy's statements without their `Condition`, so a
statement such as "deny everything when aws:SecureTransport is false" (the
usual TLS-only policy) denies every request. The sandbox stands in for AWS's
HTTPS endpoints, so it answers that key as AWS would for a client that uses
them: `aws:SecureTransport` is true. A statement whose conditions name only
keys the sandbox knows is kept when they hold and dropped when they do not;
one with any other condition is kept, as moto would (documented in
sandbox/README.md).

Installed per bucket (an attribute of the bucket object), so moto's classes
stay as they are.
"""

from __future__ import annotations

import json
from typing import Any

# What every request to the sandbox is taken to carry.
REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _holds(operator: str, conditions: dict[str, Any]) -> bool | None:
    """True/False when every key is one the sandbox knows; None otherwise."""
    base = operator.removesuffix("IfExists")
    if base not in ("Bool", "StringEquals", "StringNotEquals"):
        return None
    for key, wanted in conditions.items():
        have = REQUEST_CONTEXT.get(key.lower())
        if have is None:
            return None
        values = [str(v).lower() for v in (wanted if isinstance(wanted, list) else [wanted])]
        matched = have in values
        if (base == "StringNotEquals") == matched:
            return False
    return True


def _applies(statement: dict[str, Any]) -> bool:
    """False when a condition the sandbox can answer does not hold."""
    return all(_holds(op, c) is not False for op, c in (statement.get("Condition") or {}).items())


def effective_policy(text: str) -> str:
    """The policy without the statements whose conditions do not hold."""
    document = json.loads(text)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return json.dumps({**document, "Statement": [s for s in statements if _applies(s)]})


def answer_conditions(bucket: Any) -> None:
    """Makes `bucket` evaluate its policy with the sandbox's request context."""

    def get_permission(action: str, resource: str) -> Any:
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(effective_policy(bucket.policy.decode())).is_action_permitted(action, resource)

    bucket.get_permission = get_permission
