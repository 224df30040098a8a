"""The sandbox's ECS routes: moto's hosts, the sandbox's response class.

moto builds a service's routes from the `urls` module its backend names
(`_url_module`); SandboxEcsBackend names this one, so every ECS request is
answered by SandboxEcsResponse.
"""

from moto.ecs.urls import url_bases  # noqa: F401  (the same hosts as moto's ECS)

from .ecs_responses import SandboxEcsResponse

url_paths = {"{0}/$": SandboxEcsResponse.dispatch}
