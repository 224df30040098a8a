"""ListServiceDeployments and DescribeServiceDeployments, which moto lacks.

Built from each service's deployment history. A circuit-breaker rollback is
part of the failed service deployment (status ROLLBACK_IN_PROGRESS, then
ROLLBACK_SUCCESSFUL), as AWS reports it, not a service deployment of its own.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from .ecs_deployments import Deployment, ServiceRollout, circuit_breaker_threshold


def _arn(rollout: ServiceRollout, kind: str, deployment: Deployment) -> str:
    """`arn:aws:ecs:<region>:<account>:<kind>/<cluster>/<service>/<digits of the deployment id>`."""
    service = rollout.service
    prefix = service.cluster_arn.split(":cluster/", 1)[0]
    return f"{prefix}:{kind}/{service.cluster_name}/{service.name}/{deployment.id.split('/', 1)[1]}"


def _status(deployment: Deployment, is_primary: bool) -> str:
    if deployment.rollout_state == "COMPLETED":
        return "SUCCESSFUL"
    if deployment.rollout_state == "FAILED":
        if deployment.rollback is None:
            return "STOPPED"
        done = deployment.rollback.rollout_state == "COMPLETED"
        return "ROLLBACK_SUCCESSFUL" if done else "ROLLBACK_IN_PROGRESS"
    return "IN_PROGRESS" if is_primary else "STOPPED"


def _revision(rollout: ServiceRollout, deployment: Deployment) -> dict[str, Any]:
    return {
        "arn": _arn(rollout, "service-revision", deployment),
        "requestedTaskCount": deployment.desired_count,
        "runningTaskCount": deployment.running_count,
        "pendingTaskCount": deployment.pending_count,
    }


def _brief(rollout: ServiceRollout, deployment: Deployment) -> dict[str, Any]:
    is_primary = bool(rollout.service.deployments) and rollout.primary is deployment
    return {
        "serviceDeploymentArn": _arn(rollout, "service-deployment", deployment),
        "serviceArn": rollout.service.arn,
        "clusterArn": rollout.service.cluster_arn,
        "createdAt": deployment.created_at,
        "startedAt": deployment.created_at,
        "finishedAt": deployment.finished_at,
        "updatedAt": deployment.updated_at,
        "targetServiceRevisionArn": _arn(rollout, "service-revision", deployment),
        "status": _status(deployment, is_primary),
        "statusReason": deployment.rollout_state_reason,
    }


def _detail(rollout: ServiceRollout, deployment: Deployment) -> dict[str, Any]:
    detail = _brief(rollout, deployment)
    detail.pop("targetServiceRevisionArn")
    breaker = rollout.config.get("deploymentCircuitBreaker") or {}
    if not breaker.get("enable"):
        breaker_status = "DISABLED"
    elif deployment.rollout_state == "FAILED":
        breaker_status = "TRIGGERED"
    else:
        breaker_status = "MONITORING" if deployment.rollout_state == "IN_PROGRESS" else "MONITORING_COMPLETE"
    detail.update(
        sourceServiceRevisions=[_revision(rollout, source) for source in deployment.sources],
        targetServiceRevision=_revision(rollout, deployment),
        deploymentConfiguration=rollout.config,
        deploymentCircuitBreaker={
            "status": breaker_status,
            "failureCount": deployment.failed_tasks,
            "threshold": circuit_breaker_threshold(deployment.desired_count),
        },
    )
    if deployment.rollback is not None:
        detail["rollback"] = {
            "reason": deployment.rollout_state_reason,
            "startedAt": deployment.rollback.created_at,
            "serviceRevisionArn": _arn(rollout, "service-revision", deployment.rollback),
        }
    return detail


def _visible(rollout: ServiceRollout) -> list[Deployment]:
    return [d for d in rollout.history if d.rollback_for is None]


class ServiceDeploymentActions:
    """The two actions, mixed into SandboxEcsResponse (which has `ecs_backend`
    and moto's `_get_param`)."""

    ecs_backend: Any
    _get_param: Any

    def list_service_deployments(self) -> ActionResult:
        backend = self.ecs_backend
        service = backend._get_service(self._get_param("cluster", "default"), self._get_param("service"))
        rollout = backend.rollouts[backend._key(service)]
        wanted = set(self._get_param("status") or [])
        briefs = [_brief(rollout, d) for d in _visible(rollout)]
        briefs = [b for b in briefs if not wanted or b["status"] in wanted]
        return ActionResult({"serviceDeployments": briefs[: int(self._get_param("maxResults") or 20)]})

    def describe_service_deployments(self) -> ActionResult:
        backend = self.ecs_backend
        found, failures = [], []
        index = {
            _arn(rollout, "service-deployment", deployment): (rollout, deployment)
            for rollout in backend.rollouts.values()
            for deployment in _visible(rollout)
        }
        for arn in self._get_param("serviceDeploymentArns") or []:
            if arn in index:
                found.append(_detail(*index[arn]))
            else:
                failures.append({"arn": arn, "reason": "MISSING"})
        return ActionResult({"serviceDeployments": found, "failures": failures})
