"""The app-update pipeline (app-update.yml → build-stackpilot.yml →
stackpilot.yml → action.yml), run by act against the local AWS sandbox: the
plan job saves the update plan (`update --dry-run --save-plan`), the apply
job registers and rolls exactly that, or nothing and exit 6 when ECS changed
in between."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from stackpilot_sandbox.launcher import Sandbox, start

from workflows import DEPLOY_ROLE, PREVIEW_ROLE, REPO, Checkout

UPDATE = {"env": "alpha", "backend": "v2"}
CLUSTER = "alpha-cluster"

@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with start(REPO / "tests/fixtures/update/healthy.yaml", log=tmp_path / "sandbox.log") as sandbox:
        yield sandbox


@pytest.fixture
def checkout(tmp_path: Path, sandbox: Sandbox) -> Checkout:
    checkout = Checkout(tmp_path / "run")
    contract = sandbox.seed("alpha")
    wait_stable(sandbox)
    # `update` in the workflow reads the contract from the app stack's
    # `deploy` output (it passes no --contract).
    shutil.copy(REPO / "tests/fixtures/deploy-output/Pulumi.yaml", checkout.repo / "pulumi/app/Pulumi.yaml")
    # A JSON string is a YAML scalar: the contract goes in as one.
    config = json.dumps(json.dumps(contract))
    (checkout.repo / "stacks/app/Pulumi.alpha.yaml").write_text(f"config:\n  fixture-app:deployJson: {config}\n")
    created = checkout.stackpilot("up", "app", "alpha", "--yes")
    assert created.returncode == 0, created.stderr
    checkout.commit("the alpha app stack")
    return checkout


def wait_stable(sandbox: Sandbox, service: str | None = None) -> None:
    """Polls (60 s at most) until the services have one completed deployment."""
    ecs = sandbox.client("ecs")
    names = [service] if service else [s.split("/")[-1] for s in ecs.list_services(cluster=CLUSTER)["serviceArns"]]
    deadline = time.monotonic() + 60
    while True:
        services = ecs.describe_services(cluster=CLUSTER, services=names)["services"]
        if all(len(s["deployments"]) == 1 and s["deployments"][0].get("rolloutState") == "COMPLETED" for s in services):
            return
        assert time.monotonic() < deadline, f"{names} did not settle in 60 s"
        time.sleep(0.1)


def images(sandbox: Sandbox) -> dict[str, str]:
    """Service -> the image of its task definition's first container."""
    ecs = sandbox.client("ecs")
    arns = ecs.list_services(cluster=CLUSTER)["serviceArns"]
    found = {}
    for service in ecs.describe_services(cluster=CLUSTER, services=arns)["services"]:
        td = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        found[service["serviceName"]] = td["containerDefinitions"][0]["image"]
    return found


def roll_another_revision(url: str, family: str) -> None:
    """Someone rolls a copy of `family`'s latest revision; then the call log
    starts afresh, so that what stackpilot writes after is all it holds."""
    sandbox = Sandbox(url, pid=0, log=Path("/dev/null"))
    ecs = sandbox.client("ecs")
    td = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    keep = ["family", "containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities",
            "executionRoleArn", "taskRoleArn"]  # fmt: skip
    new = ecs.register_task_definition(**{k: td[k] for k in keep if k in td})["taskDefinition"]
    ecs.update_service(cluster=CLUSTER, service=family, taskDefinition=new["taskDefinitionArn"])
    wait_stable(sandbox, family)
    sandbox.clear_calls()


def test_the_update_job_rolls_the_plan_the_plan_job_summarised(checkout: Checkout, sandbox: Sandbox) -> None:
    before = images(sandbox)
    run = checkout.act("app-update.yml", UPDATE, aws_endpoint=sandbox.url)

    assert run.code == 0, run.log[-6000:]
    assert run.roles == [("plan", PREVIEW_ROLE), ("apply", DEPLOY_ROLE)]
    plan = run.job("plan")
    assert "Plan saved to" in plan.summary, plan.summary
    assert plan.output("stackpilot", "exit_code") == "0"
    apply = run.job("apply")
    assert apply.output("stackpilot", "exit_code") == "0", apply.summary
    after = images(sandbox)
    assert after.keys() == before.keys()
    for service, image in after.items():
        if "acme-backend" in before[service]:
            assert image.endswith("acme-backend:v2"), (service, image)
        else:  # no front-end tag given: the front end keeps its image
            assert image == before[service], (service, image)
    assert any(image.endswith("acme-backend:v2") for image in after.values()), after


def test_a_revision_rolled_after_the_plan_makes_the_update_job_refuse_with_exit_6(
    checkout: Checkout, sandbox: Sandbox, tmp_path: Path
) -> None:
    meanwhile = tmp_path / "meanwhile.sh"
    here = Path(__file__).parent
    meanwhile.write_text(
        f"cd {here} && {sys.executable} -c "
        f"'from test_app_update import roll_another_revision; roll_another_revision(\"{sandbox.url}\", \"alpha-gunicorn\")'\n"
    )
    before = images(sandbox)

    run = checkout.act("app-update.yml", UPDATE, meanwhile=meanwhile, aws_endpoint=sandbox.url)

    assert run.code != 0, run.log[-6000:]
    assert run.job("plan").result == "success"
    apply = run.job("apply")
    assert apply.output("stackpilot", "exit_code") == "6", run.log[-6000:]
    assert "Changed since it was approved" in apply.summary, apply.summary
    # The difference is named: the family and the service that moved on.
    assert "| task family alpha-gunicorn |" in apply.summary, apply.summary
    assert "| service alpha-gunicorn |" in apply.summary
    calls = sandbox.calls()
    assert calls, "stackpilot asked ECS nothing after the roll"
    writes = [call for call in calls if call["mutating"]]
    assert writes == [], f"wrote after a refused plan: {writes}"
    assert images(sandbox) == before, "something was registered"
