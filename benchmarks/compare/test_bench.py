"""Correctness of the benchmark suite on a tiny time scale (not the figures).

Runs benchmarks/compare/run with two scenarios (healthy, circuit-breaker) at
time scale 0.02 (every contender's waits scaled with it) into a temp dir and
checks that every contender ran and every figure was produced. Two may be
"not available", each with its reason: ecspresso, which cannot be built here,
and the official action when no checkout of it is on this machine (GitHub is
not reachable from every machine, and its code is never copied into this
repository); with a checkout, the action must run like the rest. Then
healthy and late-fail with stackpilot and its `--bake` variant: the variant
runs in late-fail only and fails it (exit 3) where plain stackpilot exits 0.
About 110 s on 2 cores.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from contenders import action_checkout  # noqa: E402

SCENARIOS = ["healthy", "circuit-breaker"]
CONTENDERS = ["aws-cli", "aws-cli-parallel", "ecs-deploy", "ecs-deploy-action", "ecspresso", "stackpilot"]
ACTION_PRESENT = (action_checkout() / "dist" / "index.js").is_file()
MAY_BE_MISSING = {"ecspresso"} | (set() if ACTION_PRESENT else {"ecs-deploy-action"})
MUST_RUN = set(CONTENDERS) - MAY_BE_MISSING


def run_suite(out: Path, scenarios: list[str], contenders: list[str]) -> tuple[Path, dict]:
    scale = os.environ.get("BENCH_TEST_TIME_SCALE", "0.02")
    subprocess.run([str(BENCH / "run"), "--time-scale", scale, "--long-time-scale", scale,
                    "--scenarios", ",".join(scenarios), "--contenders", ",".join(contenders),
                    "--out", str(out)], check=True, timeout=600)
    return out, json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_suite(tmp_path_factory.mktemp("bench"), SCENARIOS, CONTENDERS)


def test_every_pair_is_reported(results):
    _, doc = results
    pairs = {(r["scenario"], r["contender"]) for r in doc["results"]}
    assert pairs == {(s, c) for s in SCENARIOS for c in CONTENDERS}


def test_every_contender_that_can_run_here_runs(results):
    _, doc = results
    assert set(doc["unavailable"]) == MAY_BE_MISSING, (
        f"contenders missing: {doc['unavailable']} (benchmarks/compare/README.md says how to get them)")
    if ACTION_PRESENT:
        assert doc["action_version"], "the official action's version is not recorded"
    else:
        assert "no checkout of aws-actions/amazon-ecs-deploy-task-definition" in doc["unavailable"]["ecs-deploy-action"]


def test_unavailable_contenders_say_why(results):
    _, doc = results
    for r in doc["results"]:
        if r.get("available") is False:
            assert r["verdict"] == "not available"
            assert r["reason"]
            assert doc["unavailable"][r["contender"]] == r["reason"]


def test_every_figure_is_produced(results):
    _, doc = results
    ran = [r for r in doc["results"] if r.get("available", True)]
    assert {r["contender"] for r in ran} == MUST_RUN
    assert doc["loadavg_start"] and doc["loadavg_end"] and doc["machine"]["cores"]
    for r in ran:
        where = f"{r['scenario']}/{r['contender']}"
        assert "error" not in r, f"{where}: {r.get('error')}"
        assert not r["timed_out"], f"{where} timed out"
        assert isinstance(r["exit_code"], int), where
        assert r["wall_sandbox_s"] > 0 and r["ratio_to_ideal"] > 0, where
        assert r["verdict"] and r["waits"] and r["time_scale"] > 0, where
        assert r["ecs_calls_total"] > 0 and r["ecs_calls_per_service"] > 0, where
        assert r["ecs_calls_by_operation"].get("UpdateService", 0) >= 1, where
        assert r["ecs_calls_by_operation"].get("RegisterTaskDefinition", 0) >= 1, where
        assert isinstance(r["ecs_calls_throttled"], int), where
        assert r["peak_rss_kib"] and r["peak_rss_kib"] > 1000, where
        assert len(r["loadavg_start"]) == 3 and len(r["loadavg_end"]) == 3, where
        assert "false_success" in r, where


def test_healthy_runs_succeed(results):
    _, doc = results
    for r in doc["results"]:
        if r["scenario"] == "healthy" and r.get("available", True):
            assert r["exit_code"] == 0 and r["deployed"] and r["correct"], f"{r['contender']}: {r['verdict']}"
            assert r["failed_tasks"] == 0 and r["detection_sandbox_s"] is None, r["contender"]


def test_crash_scenario_measures_detection_and_exit(results):
    _, doc = results
    for r in doc["results"]:
        if r["scenario"] == "circuit-breaker" and r.get("available", True):
            assert r["failed_tasks"] > 0, r["contender"]
            if r["exit_code"] != 0:
                assert r["detection_sandbox_s"] is not None, r["contender"]
                assert r["failure_to_exit_sandbox_s"] >= r["detection_sandbox_s"], r["contender"]
            else:
                assert r["false_success"], r["contender"]
    by = {r["contender"]: r for r in doc["results"] if r["scenario"] == "circuit-breaker"}
    assert by["stackpilot"]["exit_code"] != 0 and by["stackpilot"]["correct"]
    if ACTION_PRESENT:
        # the official action has detected the rollback since v2.6.2
        assert by["ecs-deploy-action"]["exit_code"] != 0 and by["ecs-deploy-action"]["correct"]


def test_markdown_table(results):
    out, doc = results
    md = (out / "results.md").read_text()
    assert "| scenario | contender | waits | verdict | wall | × ideal | detection | exit |" in md
    for r in doc["results"]:
        if r.get("available", True):
            assert f"| {r['scenario']} | {r['contender']} |" in md
    assert "not available" in md
    assert "load average" in md


@pytest.fixture(scope="module")
def late_fail(tmp_path_factory):
    """healthy and late-fail with plain stackpilot and its `--bake` variant
    (which runs in late-fail only)."""
    return run_suite(tmp_path_factory.mktemp("bench-late"), ["healthy", "late-fail"],
                     ["stackpilot", "stackpilot-bake"])


def test_the_bake_variant_runs_in_late_fail_only_and_sees_the_late_failure(late_fail):
    out, doc = late_fail
    pairs = {(r["scenario"], r["contender"]) for r in doc["results"]}
    assert pairs == {("healthy", "stackpilot"), ("late-fail", "stackpilot"), ("late-fail", "stackpilot-bake")}
    by = {r["contender"]: r for r in doc["results"] if r["scenario"] == "late-fail"}
    assert by["stackpilot"]["exit_code"] == 0 and by["stackpilot"]["false_success"], by["stackpilot"]["verdict"]
    baked = by["stackpilot-bake"]
    assert baked["exit_code"] == 3 and baked["correct"], baked["verdict"]
    assert baked["detection_sandbox_s"] is not None
    md = (out / "results.md").read_text()
    assert "| late-fail | stackpilot --bake 300 (an option, not the default) |" in md
