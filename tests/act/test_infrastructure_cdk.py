"""The infrastructure pipeline for a layer the CDK builds, run by act against
the local sandbox's CloudFormation: the action asks stackpilot which engine
builds the layer, installs the CDK app's packages (`npm ci`, from the npm
cache cdk/install filled) instead of the Pulumi CLI, the plan job previews
the change set and saves the plan, and the apply job applies exactly that
plan with the deploy role, or nothing and exit 6."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from stackpilot_sandbox.launcher import Sandbox, start

from workflows import DEPLOY_ROLE, PREVIEW_ROLE, REPO, Checkout, stackpilot_bin

UP = {"layer": "base", "env": "dev", "action": "up"}
CONFIG = "stacks/base/dev.json"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with start(REPO / "tests/fixtures/update/healthy.yaml", log=tmp_path / "sandbox.log") as sandbox:
        yield sandbox


def set_database_storage(repo: Path, gib: int) -> None:
    path = repo / CONFIG
    config = json.loads(path.read_text())
    config["database"]["allocatedStorage"] = gib
    path.write_text(json.dumps(config, indent=2))


@pytest.fixture
def checkout(tmp_path: Path, sandbox: Sandbox) -> Checkout:
    """A repository whose base layer is the CDK app (its sources, and the
    Pulumi rule modules it shares; no node_modules: the action installs
    them), with `dev` created at 20 GiB of database storage and a latest
    commit that asks for 30."""
    checkout = Checkout(tmp_path / "run")
    repo = checkout.repo
    shutil.copytree(REPO / "cdk", repo / "cdk", ignore=shutil.ignore_patterns("node_modules"))
    for layer in ("base", "app"):
        shutil.copytree(REPO / "pulumi" / layer / "src", repo / "pulumi" / layer / "src")
    (repo / "stackpilot.yaml").write_text("layers:\n  base: cdk\ncdk:\n  app: cdk\n")
    config = json.loads((REPO / CONFIG).read_text()) | {"sandbox": True}
    (repo / CONFIG).write_text(json.dumps(config, indent=2))
    # Someone holding the deploy role created the stack, from a checkout
    # with the packages installed.
    install = subprocess.run(["bash", str(repo / "cdk/install")], env=checkout.env() | sandbox_env(sandbox),
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    created = run_stackpilot(checkout, sandbox, "up", "base", "dev", "--yes")
    assert created.returncode == 0, created.stderr
    shutil.rmtree(repo / "cdk/node_modules")
    set_database_storage(repo, 30)
    checkout.commit("dev: 30 GiB of database storage")
    return checkout


def run_stackpilot(checkout: Checkout, sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    env = checkout.env() | sandbox_env(sandbox) | {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    return subprocess.run(
        [str(stackpilot_bin()), "--root", str(checkout.repo), *args], env=env, capture_output=True, text=True
    )


def sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": sandbox.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        # The npm cache cdk/install filled, as setup-node's cache would be.
        "npm_config_cache": os.path.expanduser("~/.npm"),
    }


def storage(sandbox: Sandbox) -> int:
    """The database storage in the template CloudFormation last applied to
    `dev-base` (the sandbox's RDS does not model a storage change)."""
    cfn = sandbox.client("cloudformation")
    assert cfn.describe_stacks(StackName="dev-base")["Stacks"][0]["StackStatus"].endswith("_COMPLETE")
    template = cfn.get_template(StackName="dev-base")["TemplateBody"]
    template = json.loads(template) if isinstance(template, str) else template
    (database,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance"]
    return int(database["Properties"]["AllocatedStorage"])


def test_the_apply_job_applies_the_cdk_change_set_the_plan_job_summarised(checkout: Checkout, sandbox: Sandbox) -> None:
    assert storage(sandbox) == 20
    run = checkout.act("infrastructure.yml", UP, aws_endpoint=sandbox.url, extra_env=sandbox_env(sandbox))

    assert run.code == 0, run.log[-6000:]
    assert run.roles == [("plan", PREVIEW_ROLE), ("apply", DEPLOY_ROLE)]
    plan = run.job("plan")
    assert plan.output("stackpilot", "exit_code") == "0"
    assert "Preview · base stack `dev`" in plan.summary, plan.summary
    assert "Plan saved to" in plan.summary
    assert "AllocatedStorage" in plan.summary and "| 20 | 30 |" in plan.summary, plan.summary
    apply = run.job("apply")
    assert apply.output("stackpilot", "exit_code") == "0"
    assert "This matches the approved plan" in apply.summary, apply.summary
    assert storage(sandbox) == 30


def test_a_cdk_config_edited_after_the_plan_makes_the_apply_job_refuse_with_exit_6(
    checkout: Checkout, sandbox: Sandbox, tmp_path: Path
) -> None:
    meanwhile = tmp_path / "meanwhile.sh"
    meanwhile.write_text(f"sed -i 's/\"allocatedStorage\": 30/\"allocatedStorage\": 40/' {CONFIG}\n")

    run = checkout.act("infrastructure.yml", UP, meanwhile=meanwhile, aws_endpoint=sandbox.url, extra_env=sandbox_env(sandbox))

    assert run.code != 0
    apply = run.job("apply")
    assert apply.output("stackpilot", "exit_code") == "6", run.log[-6000:]
    assert "dev.json" in apply.summary, apply.summary
    assert storage(sandbox) == 20
