#!/usr/bin/env bash
# The app update as the reference pipeline runs it with the official action,
# aws-actions/amazon-ecs-deploy-task-definition (its dist/index.js under
# node, inputs as the INPUT_* variables a runner sets):
#   migration job: render the migration's task definition with the new
#              image, then the action with run-task and wait-for-task-stopped
#              (it registers the revision, runs the task, waits, checks the
#              exit codes);
#   service jobs, in parallel (the workflow's matrix): render, then the action
#              with service, cluster and wait-for-service-stability.
# Rendering (describe-task-definition + an image swap with jq) stands in for
# aws-actions/amazon-ecs-render-task-definition.
# Env: ECS_DEPLOY_ACTION (the action's checkout), TIME_SCALE, plus lib.sh's.
# Below time scale 1 node preloads scaled-timers.js, so that the action's
# waiter delays (15 s up to 120 s) and SDK retry backoffs scale with the
# sandbox's clock.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/lib.sh"
c="$CONTRACT"
cluster=$(jq -r .cluster "$c")
node_args=()
if python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= 1)' "$TIME_SCALE"; then
  node_args=(--require "$here/scaled-timers.js")
fi

# The action once, as a job step: name=value inputs.
action() {
  local job="$WORK/job-$1" input; shift
  mkdir -p "$job"
  local env_args=(GITHUB_WORKSPACE="$WORK" GITHUB_OUTPUT="$job/output" GITHUB_ENV="$job/env"
                  GITHUB_STATE="$job/state" GITHUB_STEP_SUMMARY="$job/summary" RUNNER_TEMP="$job")
  for input in "$@"; do env_args+=("INPUT_${input%%=*}=${input#*=}"); done
  touch "$job/output" "$job/env" "$job/state" "$job/summary"
  env "${env_args[@]}" /usr/bin/time -a -o "$MEMLOG" -f '%M' \
    node "${node_args[@]}" "$ECS_DEPLOY_ACTION/dist/index.js"
}

m_family=$(jq -r .migration.taskFamily "$c")
m_td=$(render_taskdef "$m_family" "$(jq -r .migration.container "$c")" "$(image_for "$(jq -r .migration.image "$c")")")
action migration TASK-DEFINITION="$m_td" CLUSTER="$cluster" RUN-TASK=true WAIT-FOR-TASK-STOPPED=true \
  RUN-TASK-LAUNCH-TYPE=FARGATE \
  RUN-TASK-SUBNETS="$(jq -r '.network.subnets | join(",")' "$c")" \
  RUN-TASK-SECURITY-GROUPS="$(jq -r '.network.securityGroups | join(",")' "$c")" \
  RUN-TASK-CONTAINER-OVERRIDES="$(jq -c '[{name: .migration.container, command: .migration.command}]' "$c")"
echo "migration passed"

# one matrix job: render, then the action
deploy_service() {
  local svc=$1 family=$2 container=$3 kind=$4 td
  td=$(render_taskdef "$family" "$container" "$(image_for "$kind")")
  action "$svc" TASK-DEFINITION="$td" SERVICE="$svc" CLUSTER="$cluster" WAIT-FOR-SERVICE-STABILITY=true
}

pids=()
while IFS=$'\t' read -r svc family container kind; do
  deploy_service "$svc" "$family" "$container" "$kind" & pids+=($!)
done < <(tagged_services)
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
