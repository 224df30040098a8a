#!/usr/bin/env bash
# Benchmark: `stackpilot update` against the local sandbox with the fixed
# scenario in benchmarks/update/scenario.yaml (migration 30 s, four services
# 60 s each, time scale 0.1). Reports:
#   - wall time of a healthy 4-service update as a ratio to the ideal
#     (migration + slowest service; aim <= 1.10),
#   - ECS/Logs API calls per deploy,
#   - time from the first crashed gunicorn task to the failed verdict (the
#     first rollback UpdateService), in poll intervals (aim <= 2).
# Usage: bash benchmarks/update.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
work="$(mktemp -d)"
scale=0.1
poll=0.2   # seconds: 2 AWS seconds at this time scale, as the default is for real AWS
ideal=$(python3 -c "print((30 + 60) * $scale)")

bash sandbox/bootstrap
cargo build --release --locked --quiet --bin stackpilot
py=sandbox/.venv/bin/python
"$py" -m stackpilot_sandbox serve --port 0 --scenario benchmarks/update/scenario.yaml > "$work/ready" 2>"$work/sandbox.log" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s "$work/ready" ]] && break; sleep 0.1; done
endpoint="$(sed -n 's/^sandbox listening on //p' "$work/ready")"
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

control() { "$py" -c 'import json,sys,urllib.request as u; r=u.Request(sys.argv[1], method=sys.argv[2]); print(u.urlopen(r).read().decode())' "$endpoint/_sandbox/$1" "${2:-GET}"; }
settle() {
  "$py" - "$endpoint" <<'PY'
import sys, time, boto3
ecs = boto3.client("ecs", endpoint_url=sys.argv[1])
names = ["alpha-gunicorn", "alpha-default", "alpha-beat", "alpha-web-ui"]
for _ in range(600):
    s = ecs.describe_services(cluster="alpha-cluster", services=names)["services"]
    if all(len(x["deployments"]) == 1 and x["deployments"][0].get("rolloutState") == "COMPLETED" for x in s):
        break
    time.sleep(0.1)
PY
}

"$py" -m stackpilot_sandbox seed alpha > "$work/contract.json"
settle
control calls DELETE >/dev/null
start=$(date +%s.%N)
target/release/stackpilot update alpha --backend v2 --frontend v2 --contract "$work/contract.json" \
  --poll-interval "$poll" --summary "$work/healthy.md" 2>"$work/healthy.log"
end=$(date +%s.%N)
control calls > "$work/calls.json"
python3 - "$start" "$end" "$ideal" "$work/calls.json" <<'PY'
import json, sys
start, end, ideal = map(float, sys.argv[1:4])
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
target/release/stackpilot update alpha --backend broken --contract "$work/contract.json" \
  --poll-interval "$poll" --summary "$work/crash.md" 2>"$work/crash.log"
code=$?
set -e
control calls > "$work/calls.json"
"$py" - "$endpoint" "$work/calls.json" "$poll" "$code" "$scale" <<'PY'
import json, sys, boto3
endpoint, calls_path, poll, code, scale = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
ecs = boto3.client("ecs", endpoint_url=endpoint)
calls = json.load(open(calls_path))["calls"]
updates = [c for c in calls if c["operation"] == "UpdateService" and not c["throttled"]]
# The first UpdateService calls start the rollouts; the next ones are the rollback.
rollback = updates[3]["time"] if len(updates) > 3 else None
arns = ecs.list_tasks(cluster="alpha-cluster", serviceName="alpha-gunicorn", desiredStatus="STOPPED")["taskArns"]
tasks = ecs.describe_tasks(cluster="alpha-cluster", tasks=arns)["tasks"] if arns else []
crashed = [t["stoppedAt"].timestamp() for t in tasks
           if any(c.get("exitCode") not in (0, None) for c in t["containers"]) and t.get("stopCode") == "EssentialContainerExited"]
print(f"crash run: exit {code}")
if rollback and crashed:
    latency = rollback - min(crashed)
    print(f"first crashed task -> failed verdict: {latency:.2f} s = {latency / poll:.1f} poll intervals of {poll} s ({latency / scale:.0f} AWS s)")
else:
    print("could not measure the crash latency (no crashed task or no rollback call)")
PY
