"""Correctness of the benchmark suite on a tiny time scale (not the figures).

Runs benchmarks/compare/run with two scenarios (healthy, circuit-breaker) at time scale
0.02 into a temp dir and checks that every available contender ran and that
every figure was produced. Takes about 90 s (the AWS CLI's waiters
poll every 15 real seconds whatever the time scale).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
SCENARIOS = ["healthy", "circuit-breaker"]
CONTENDERS = ["aws-cli", "aws-cli-parallel", "ecs-deploy", "ecspresso", "stackpilot"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    scale = os.environ.get("BENCH_TEST_TIME_SCALE", "0.02")
    subprocess.run([str(BENCH / "run"), "--time-scale", scale, "--scenarios", ",".join(SCENARIOS),
                    "--contenders", ",".join(CONTENDERS), "--out", str(out)], check=True, timeout=600)
    return out, json.loads((out / "results.json").read_text())


def test_every_pair_is_reported(results):
    _, doc = results
    pairs = {(r["scenario"], r["contender"]) for r in doc["results"]}
    assert pairs == {(s, c) for s in SCENARIOS for c in CONTENDERS}


def test_unavailable_contenders_say_why(results):
    _, doc = results
    for r in doc["results"]:
        if r.get("available") is False:
            assert r["verdict"] == "not available"
            assert r["reason"]
            assert doc["unavailable"][r["contender"]] == r["reason"]


def test_every_available_contender_runs_and_every_figure_is_produced(results):
    _, doc = results
    ran = [r for r in doc["results"] if r.get("available", True)]
    assert {r["contender"] for r in ran} >= {"aws-cli", "aws-cli-parallel", "ecs-deploy", "stackpilot"}
    for r in ran:
        where = f"{r['scenario']}/{r['contender']}"
        assert "error" not in r, f"{where}: {r.get('error')}"
        assert not r["timed_out"], f"{where} timed out"
        assert isinstance(r["exit_code"], int), where
        assert r["wall_sandbox_s"] > 0 and r["ratio_to_ideal"] > 0, where
        assert r["verdict"] and r["first_failure_figure"], where
        assert r["ecs_calls_total"] > 0, where
        assert r["ecs_calls_by_operation"].get("UpdateService", 0) >= 1, where
        assert r["ecs_calls_by_operation"].get("RegisterTaskDefinition", 0) >= 1, where
        assert r["peak_rss_kib"] and r["peak_rss_kib"] > 1000, where


def test_healthy_runs_succeed(results):
    _, doc = results
    for r in doc["results"]:
        if r["scenario"] == "healthy" and r.get("available", True):
            assert r["exit_code"] == 0 and r["deployed"], f"{r['contender']}: {r['verdict']}"


def test_crash_scenario_measures_the_failure(results):
    _, doc = results
    for r in doc["results"]:
        if r["scenario"] == "circuit-breaker" and r.get("available", True):
            assert r["failed_tasks"] > 0, r["contender"]
            if r["exit_code"] != 0:
                assert r["first_failed_task_to_exit_sandbox_s"] is not None, r["contender"]
    sp = next(r for r in doc["results"] if r["scenario"] == "circuit-breaker" and r["contender"] == "stackpilot")
    assert sp["exit_code"] != 0 and sp["correct"]


def test_markdown_table(results):
    out, doc = results
    md = (out / "results.md").read_text()
    assert "| scenario | contender | verdict |" in md
    for r in doc["results"]:
        if r.get("available", True):
            assert f"| {r['scenario']} | {r['contender']} |" in md
    assert "not available" in md
