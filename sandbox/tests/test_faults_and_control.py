"""Throttling, the call log and the control endpoint."""

import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

THROTTLING = """
name: throttled
throttling:
  operations: [DescribeServices]
  share: 0.5
  seed: 11
"""


def throttled_pattern(ecs, calls=40):
    pattern = []
    for _ in range(calls):
        try:
            ecs.describe_services(cluster="alpha-cluster", services=["alpha-gunicorn"])
            pattern.append(False)
        except botocore.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "ThrottlingException"
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            pattern.append(True)
    return pattern


def test_throttling_hits_the_chosen_share_reproducibly(sandbox):
    sandbox.seed()
    ecs = sandbox.client("ecs", attempts=1)  # no retries: see every throttle
    sandbox.load(THROTTLING)
    first = throttled_pattern(ecs)
    assert 10 <= sum(first) <= 30
    ecs.list_services(cluster="alpha-cluster")  # other operations are never throttled
    sandbox.load(THROTTLING)  # same seed, same answers
    assert throttled_pattern(ecs) == first
    calls = [c for c in sandbox.calls() if c["operation"] == "DescribeServices"]
    assert sum(c["throttled"] for c in calls) == 2 * sum(first)


def test_max_consecutive_lets_clients_with_three_attempts_through(sandbox):
    sandbox.seed()
    sandbox.load(THROTTLING.replace("share: 0.5", "share: 0.9\n  maxConsecutive: 2"))
    pattern = throttled_pattern(sandbox.client("ecs", attempts=1), calls=30)
    assert sum(pattern) >= 15
    longest = max(len(run) for run in "".join("T" if t else "." for t in pattern).split("."))
    assert longest == 2


def test_call_log_tells_reads_from_writes(sandbox):
    sandbox.seed()
    sandbox.clear_calls()
    ecs = sandbox.client("ecs")
    ecs.describe_services(cluster="alpha-cluster", services=["alpha-gunicorn"])
    ecs.list_tasks(cluster="alpha-cluster")
    ecs.update_service(cluster="alpha-cluster", service="alpha-gunicorn", forceNewDeployment=True)
    sandbox.client("logs").describe_log_groups()
    calls = [(c["service"], c["operation"], c["mutating"]) for c in sandbox.calls()]
    assert calls == [
        ("ecs", "DescribeServices", False),
        ("ecs", "ListTasks", False),
        ("ecs", "UpdateService", True),
        ("logs", "DescribeLogGroups", False),
    ]
    seqs = [c["seq"] for c in sandbox.calls()]
    since = json.loads(urllib.request.urlopen(f"{sandbox.url}/_sandbox/calls?since={seqs[1]}").read())
    assert [c["operation"] for c in since["calls"]] == ["UpdateService", "DescribeLogGroups"]


def test_control_endpoint_loads_scenarios_rejects_bad_ones_and_resets(sandbox):
    health = json.loads(urllib.request.urlopen(f"{sandbox.url}/_sandbox/health").read())
    assert health["status"] == "ok"
    assert sandbox.load("name: mine\ntimeScale: 0.5\n") == {"loaded": "mine", "timeScale": 0.5}
    with pytest.raises(urllib.error.HTTPError) as raised:
        sandbox.load("tasks: {outcome: explode}\n")
    assert raised.value.code == 400
    assert "outcome" in json.loads(raised.value.read())["error"]
    sandbox.seed()
    request = urllib.request.Request(f"{sandbox.url}/_sandbox/reset", method="POST")
    assert json.loads(urllib.request.urlopen(request).read()) == {"reset": True}
    assert sandbox.client("ecs").list_clusters()["clusterArns"] == []
    assert [c["operation"] for c in sandbox.calls()] == ["ListClusters"]
