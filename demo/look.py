"""What the demo shows from the sandbox, read through the AWS API as a person
would with the console or the AWS CLI (boto3, from the sandbox's venv).

    python demo/look.py wait-stable ENV      # until every service has one COMPLETED deployment
    python demo/look.py services ENV         # service -> task definition, image, running/desired
    python demo/look.py migration-log ENV    # the last migration task's CloudWatch log lines

The endpoint is AWS_ENDPOINT_URL, as for every other client in the demo.
"""

from __future__ import annotations

import os
import sys
import time

import boto3

SERVICES = ("gunicorn", "default", "beat", "web-ui")


def client(name: str):
    return boto3.client(
        name,
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    )


def describe(env: str) -> list[dict]:
    names = [f"{env}-{s}" for s in SERVICES]
    return client("ecs").describe_services(cluster=f"{env}-cluster", services=names)["services"]


def wait_stable(env: str, timeout: float = 120.0) -> int:
    # `aws ecs wait services-stable` polls every 15 s; the demo's time is scaled.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services = describe(env)
        if all(
            len(s["deployments"]) == 1
            and s["deployments"][0].get("rolloutState") == "COMPLETED"
            and s["runningCount"] == s["desiredCount"]
            for s in services
        ):
            return 0
        time.sleep(0.5)
    print(f"{env}: services not stable after {timeout:.0f} s", file=sys.stderr)
    return 1


def services(env: str) -> int:
    ecs = client("ecs")
    for s in describe(env):
        family_rev = s["taskDefinition"].rsplit("/", 1)[-1]
        task_def = ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
        image = task_def["containerDefinitions"][0]["image"].rsplit("/", 1)[-1]
        print(f"{s['serviceName']:<16} {family_rev:<20} {image:<24} running {s['runningCount']}/{s['desiredCount']}")
    return 0


def migration_log(env: str) -> int:
    logs = client("logs")
    group = f"/ecs/{env}-backend_update"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    if not streams:
        print(f"(no log stream in {group})")
        return 1
    latest = max(streams, key=lambda s: s.get("lastEventTimestamp") or s.get("creationTime", 0))
    events = logs.get_log_events(logGroupName=group, logStreamName=latest["logStreamName"], startFromHead=True)
    print(f"{group} {latest['logStreamName']}")
    for event in events["events"]:
        print(f"  {event['message']}")
    return 0


def main(argv: list[str]) -> int:
    commands = {"wait-stable": wait_stable, "services": services, "migration-log": migration_log}
    if len(argv) != 3 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[1]](argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
