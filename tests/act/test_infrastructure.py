"""The infrastructure pipeline (infrastructure.yml → build-stackpilot.yml →
stackpilot.yml → action.yml), run by act: the plan job previews with the
preview role and saves the plan, the apply job applies exactly that plan with
the deploy role, or nothing and exit 6."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workflows import DEPLOY_ROLE, PASSPHRASE, PREVIEW_ROLE, Checkout

STACK_FILE = "stacks/base/Pulumi.dev.yaml"
UP = {"layer": "base", "env": "dev", "action": "up"}


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    """A repository whose `dev` base stack exists (README: someone holding
    the deploy role creates a new env's stack before its first plan job),
    at value v1, and whose latest commit changes the value to v2."""
    checkout = Checkout(tmp_path)
    created = checkout.stackpilot("up", "base", "dev", "--yes")
    assert created.returncode == 0, created.stderr
    edit(checkout.repo, "fixture-base:value: v1", "fixture-base:value: v2")
    checkout.commit("dev: value v2")
    return checkout


def edit(repo: Path, old: str, new: str) -> None:
    path = repo / STACK_FILE
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))


def deployed_url(checkout: Checkout) -> str:
    outputs = checkout.stackpilot("outputs", "base", "dev", "--json")
    assert outputs.returncode == 0, outputs.stderr
    return json.loads(outputs.stdout)["url"]


def test_the_apply_job_applies_the_plan_the_plan_job_summarised(checkout: Checkout) -> None:
    run = checkout.act("infrastructure.yml", UP)

    assert run.code == 0, run.log[-6000:]
    assert run.roles == [("plan", PREVIEW_ROLE), ("apply", DEPLOY_ROLE)]
    plan = run.job("plan")
    assert plan.result == "success"
    # What the reviewer reads before approving: the preview, and the plan saved.
    assert "Preview · base stack `dev`" in plan.summary, plan.summary
    assert "Plan saved to" in plan.summary
    assert re.search(r"\| ~ \| update \| .*\| web \|", plan.summary), plan.summary
    assert "https://v2.example.test" in plan.summary
    assert plan.output("stackpilot", "has_changes") == "true"
    assert plan.output("stackpilot", "update") == "2"
    assert plan.output("stackpilot", "exit_code") == "0"
    assert plan.output("name", "plan_artifact") == "stackpilot-plan-1-1"

    apply = run.job("apply")
    assert apply.result == "success"
    assert apply.output("stackpilot", "exit_code") == "0"
    assert "## ✅ Update · base stack `dev`" in apply.summary, apply.summary
    assert "This matches the approved plan" in apply.summary
    assert "### ✅ Applied in" in apply.summary
    assert deployed_url(checkout) == "https://v2.example.test"
    assert PASSPHRASE not in run.log


def test_a_config_edited_after_the_plan_makes_the_apply_job_refuse_with_exit_6(
    checkout: Checkout, tmp_path: Path
) -> None:
    # Someone changes the value while the apply job waits for its approval.
    meanwhile = tmp_path / "meanwhile.sh"
    meanwhile.write_text(f"sed -i 's/fixture-base:value: v2/fixture-base:value: v3/' {STACK_FILE}\n")

    run = checkout.act("infrastructure.yml", UP, meanwhile=meanwhile)

    assert run.code != 0, run.log[-6000:]
    assert run.job("plan").result == "success"
    assert "https://v2.example.test" in run.job("plan").summary
    apply = run.job("apply")
    assert apply.result == "failure"
    assert apply.output("stackpilot", "exit_code") == "6"
    assert "Changed since it was approved" in apply.summary, apply.summary
    assert "nothing applied" in apply.summary
    # The difference is named: the stack's config file, approved vs now.
    row = re.search(r"^\| stack config Pulumi\.dev\.yaml \| sha256 (\w+) \| sha256 (\w+) \|$", apply.summary, re.M)
    assert row and row[1] != row[2], apply.summary
    assert deployed_url(checkout) == "https://v1.example.test", "something was applied"
