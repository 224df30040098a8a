#!/usr/bin/env bash
# Benchmark: `stackpilot update` against the local sandbox with the fixed
# scenario in benchmarks/update/scenario.yaml (migration 30 s, four services
# 60 s each, time scale 0.1). Reports:
#   - wall time of a healthy 4-service update as a ratio to the ideal
#     (migration + slowest service; aim <= 1.10),
#   - ECS/Logs API calls per deploy,
#   - time from the first crashed gunicorn task to the failed verdict (the
#     first UpdateService after the crash: the rollback), in poll intervals
#     (aim <= 2).
# Measures $STACKPILOT_BIN, else the release build (see benchmarks/lib.sh).
# Usage: bash benchmarks/update.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
source benchmarks/lib.sh
stackpilot="$(stackpilot_binary)"
bash sandbox/bootstrap
py=sandbox/.venv/bin/python
scale=0.1
poll=0.2   # seconds: 2 AWS seconds at this time scale, as the default is for real AWS

work="$(mktemp -d)"
SANDBOX_PID=
trap '[[ -z "$SANDBOX_PID" ]] || "$py" -m stackpilot_sandbox stop --pid "$SANDBOX_PID"; rm -rf "$work"' EXIT
# The launcher waits (bounded) until the sandbox is ready, or fails with its log.
started="$("$py" -m stackpilot_sandbox start --port 0 --scenario benchmarks/update/scenario.yaml --log "$work/sandbox.log")"
eval "$started"
export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

control() { "$py" -c 'import sys, urllib.request as u; print(u.urlopen(u.Request(sys.argv[1], method=sys.argv[2])).read().decode())' "$AWS_ENDPOINT_URL/_sandbox/$1" "${2:-GET}"; }
# Every service of the contract with one COMPLETED deployment, within 60 s.
settle() {
  "$py" - "$work/contract.json" <<'PY'
import json, sys, time, boto3
contract = json.load(open(sys.argv[1]))
names = [s["service"] for s in contract["services"]]
ecs = boto3.client("ecs")
deadline = time.monotonic() + 60
while True:
    services = ecs.describe_services(cluster=contract["cluster"], services=names)["services"]
    if all(len(s["deployments"]) == 1 and s["deployments"][0].get("rolloutState") == "COMPLETED" for s in services):
        break
    if time.monotonic() > deadline:
        sys.exit("benchmarks: the seeded services did not settle within 60 s")
    time.sleep(0.1)
PY
}

"$py" -m stackpilot_sandbox seed alpha > "$work/contract.json"
settle
control calls DELETE >/dev/null
start=$(date +%s.%N)
"$stackpilot" update alpha --backend v2 --frontend v2 --contract "$work/contract.json" \
  --poll-interval "$poll" --summary "$work/healthy.md" 2>"$work/healthy.log"
end=$(date +%s.%N)
control calls > "$work/calls.json"
"$py" - "$start" "$end" "$scale" "$work/calls.json" <<'PY'
import json, sys
start, end, scale = map(float, sys.argv[1:4])
ideal = (30 + 60) * scale  # the migration, then the slowest service
calls = json.load(open(sys.argv[4]))["calls"]
by_op = {}
for c in calls:
    by_op[c["operation"]] = by_op.get(c["operation"], 0) + 1
wall = end - start
print(f"healthy 4-service update: {wall:.2f} s wall, ideal {ideal:.2f} s, ratio {wall / ideal:.2f}")
print(f"API calls per deploy: {len(calls)} ({', '.join(f'{k} {v}' for k, v in sorted(by_op.items()))})")
PY

# The crash: gunicorn on `broken` fails; measure first crash -> verdict.
settle
control calls DELETE >/dev/null
set +e
"$stackpilot" update alpha --backend broken --contract "$work/contract.json" \
  --poll-interval "$poll" --summary "$work/crash.md" 2>"$work/crash.log"
code=$?
set -e
control calls > "$work/calls.json"
"$py" - "$work/contract.json" "$work/calls.json" "$poll" "$code" "$scale" <<'PY'
import json, sys, boto3
contract_path, calls_path, poll, code, scale = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
cluster = json.load(open(contract_path))["cluster"]
ecs = boto3.client("ecs")
calls = json.load(open(calls_path))["calls"]
arns = ecs.list_tasks(cluster=cluster, serviceName="alpha-gunicorn", desiredStatus="STOPPED")["taskArns"]
tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
crashed = [t["stoppedAt"].timestamp() for t in tasks
           if any(c.get("exitCode") not in (0, None) for c in t["containers"]) and t.get("stopCode") == "EssentialContainerExited"]
updates = [c["time"] for c in calls if c["operation"] == "UpdateService" and not c["throttled"]]
print(f"crash run: exit {code}")
if not crashed:
    sys.exit("benchmarks: no gunicorn task crashed, so there is no crash latency to measure")
first_crash = min(crashed)
# The rollouts' UpdateService calls come before any task crashed; the first one after is the rollback.
rollouts = [t for t in updates if t < first_crash]
rollbacks = [t for t in updates if t >= first_crash]
print(f"{len(rollouts)} rollouts started, {len(rollbacks)} services rolled back")
if not rollbacks:
    sys.exit("benchmarks: no UpdateService after the crash: stackpilot did not roll back")
latency = min(rollbacks) - first_crash
print(f"first crashed task -> failed verdict: {latency:.2f} s = {latency / poll:.1f} poll intervals of {poll} s ({latency / scale:.0f} AWS s)")
PY
