"""Elastic Load Balancing answers from moto's backend, with the health of the
targets ECS registered as their timing says (target_health.py): moto calls
every registered target healthy at once. `HealthCheckPort` is the port
checked, as AWS gives it (moto: "traffic-port").

ELB (classic) and ELBv2 share one host; the API version in the request tells
them apart, as in moto's own routing.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.elb.urls import api_version_elb_backend
from moto.elbv2.models import FakeHealthStatus
from moto.elbv2.responses import ELBV2Response

from .ecs_backend import sandbox_ecs_backends
from .runtime import RUNTIME
from .target_health import REASONS, TargetState

ELBV2_API_VERSION = "2015-12-01"


class SandboxElbv2Response(ELBV2Response):
    def describe_target_health(self) -> ActionResult:
        result = super().describe_target_health()
        arn = self._get_param("TargetGroupArn")
        book = sandbox_ecs_backends[self.current_account][self.region].targets
        now = RUNTIME.clock.now()
        descriptions: list[FakeHealthStatus] = result.result["TargetHealthDescriptions"]
        if not self._get_param("Targets"):
            # Deregistered targets are listed while they drain.
            listed = {d.instance_id for d in descriptions}
            descriptions.extend(
                FakeHealthStatus(ip, port, None, TargetState.DRAINING)
                for ip, port in book.draining(arn) if ip not in listed
            )
        for description in descriptions:
            if description.health_check_port in (None, "traffic-port"):
                description.health_check_port = str(description.port)  # AWS names the port it checks
            state = book.state(arn, description.instance_id, now)
            if state is not None:
                description.status = state.value
                description.reason, description.description = REASONS.get(state, (None, None))
        return result


def dispatch(request: Any, *args: Any, **kwargs: Any) -> Any:
    if request.values.get("Version") == ELBV2_API_VERSION:
        return SandboxElbv2Response.dispatch(request, *args, **kwargs)
    return api_version_elb_backend(request, *args, **kwargs)
