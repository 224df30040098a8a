"""Scenario files: every key is known, every mistake is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import SANDBOX_DIR

from stackpilot_sandbox.scenario import Outcome, ScenarioError, load_scenario_file, load_scenario_text

REPO = SANDBOX_DIR.parent
SHIPPED = sorted(
    path
    for folder in ("sandbox/scenarios", "benchmarks/compare/scenarios", "benchmarks/update", "demo/scenarios",
                   "tests/fixtures/update")
    for path in (REPO / folder).glob("*.yaml")
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(Path(p).relative_to(REPO)))
def test_every_scenario_in_the_repository_is_valid(path):
    load_scenario_file(str(path))


def test_the_repository_has_scenarios_to_check():
    assert len(SHIPPED) >= 15


@pytest.mark.parametrize(
    ("text", "where", "key"),
    [
        ("timescale: 0.1", "the scenario", "timescale"),
        ("tasks: {pendingSecond: 3}", "tasks", "pendingSecond"),
        ("tasks: {rules: [{match: {image: x}}]}", "tasks.rules[0].match", "image"),
        ("tasks: {rules: [{match: {imageTag: x}, exitcode: 1}]}", "tasks.rules[0]", "exitcode"),
        ("throttling: {operations: [UpdateService], share: 0.5, maxConsecutiv: 2}", "throttling", "maxConsecutiv"),
        ("local: [{family: alpha-backend_update, timeout: 60}]", "local[0]", "timeout"),
        ("local: [{family: a}, {family: b, workdir: /tmp}]", "local[1]", "workdir"),
    ],
)
def test_an_unknown_key_is_rejected_and_named(text, where, key):
    with pytest.raises(ScenarioError) as error:
        load_scenario_text(text)
    assert str(error.value).startswith(f"{where}: unknown key(s) `{key}`"), str(error.value)


def test_the_error_lists_the_keys_that_are_known():
    with pytest.raises(ScenarioError, match=r"known: maxConsecutive, operations, seed, share"):
        load_scenario_text("throttling: {shares: 0.5}")


def test_a_local_family_is_required():
    with pytest.raises(ScenarioError, match=r"local\[0\]: `family` is required"):
        load_scenario_text("local: [{cwd: /tmp}]")


def test_sections_of_the_wrong_shape_are_rejected():
    with pytest.raises(ScenarioError, match="throttling must be a mapping"):
        load_scenario_text("throttling: [DescribeServices]")
    with pytest.raises(ScenarioError, match="local must be a list"):
        load_scenario_text("local: {family: x}")


def test_throttling_and_local_are_read():
    scenario = load_scenario_text(
        "throttling: {operations: [DescribeServices], share: 0.3, seed: 7, maxConsecutive: 2}\n"
        "local: [{family: alpha-backend_update, cwd: app, timeoutSeconds: 30}]\n"
    )
    assert scenario.throttling.operations == ("DescribeServices",)
    assert (scenario.throttling.share, scenario.throttling.seed, scenario.throttling.max_consecutive) == (0.3, 7, 2)
    command = scenario.local_command_for("alpha-backend_update")
    assert command is not None and (command.cwd, command.timeout_seconds) == ("app", 30.0)


def test_an_outcome_is_an_enum_member():
    scenario = load_scenario_text("tasks: {rules: [{match: {imageTag: broken}, outcome: never-starts}]}")
    assert scenario.rules[0].overrides["outcome"] is Outcome.NEVER_STARTS


def test_an_unknown_outcome_lists_the_outcomes():
    with pytest.raises(ScenarioError, match="tasks.outcome must be one of run, crash, never-starts, cannot-place"):
        load_scenario_text("tasks: {outcome: explode}")
