#!/usr/bin/env bash
# The app update as a GitHub workflow built on
# aws-actions/amazon-ecs-deploy-task-definition does it, with the AWS CLI:
#   migration: register a revision with the new image, run-task,
#              `aws ecs wait tasks-stopped`, describe-tasks for the exit code;
#   each service: describe-task-definition, strip the read-only fields, swap
#              the image, register-task-definition, update-service,
#              `aws ecs wait services-stable` (stock waiter: 15 s, 40 polls;
#              the harness scales its delays through AWS_DATA_PATH when the
#              sandbox runs faster than real time).
# Usage: awscli.sh seq|par   (par: every service as its own parallel process,
# the workflow's matrix). Env: see lib.sh, plus the AWS_* variables.
set -euo pipefail
mode="${1:-seq}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
c="$CONTRACT"
cluster=$(jq -r .cluster "$c")

register() {
  aws ecs register-task-definition --cli-input-json "file://$(render_taskdef "$@")" \
    --query taskDefinition.taskDefinitionArn --output text
}

# migration gate
m_container=$(jq -r .migration.container "$c")
td=$(register "$(jq -r .migration.taskFamily "$c")" "$m_container" "$(image_for "$(jq -r .migration.image "$c")")")
net=$(jq -c '{awsvpcConfiguration: {subnets: .network.subnets, securityGroups: .network.securityGroups, assignPublicIp: "DISABLED"}}' "$c")
ovr=$(jq -c '{containerOverrides: [{name: .migration.container, command: .migration.command}]}' "$c")
arn=$(aws ecs run-task --cluster "$cluster" --task-definition "$td" --launch-type FARGATE \
  --network-configuration "$net" --overrides "$ovr" --query 'tasks[0].taskArn' --output text)
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$arn"
code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$arn" \
  --query "tasks[0].containers[?name=='$m_container'].exitCode | [0]" --output text)
if [[ "$code" != 0 ]]; then echo "migration failed: exit code $code" >&2; exit 1; fi
echo "migration passed"

deploy_service() {
  local svc=$1 family=$2 container=$3 kind=$4 td
  td=$(register "$family" "$container" "$(image_for "$kind")")
  aws ecs update-service --cluster "$cluster" --service "$svc" --task-definition "$td" \
    --query service.serviceName --output text >/dev/null
  aws ecs wait services-stable --cluster "$cluster" --services "$svc"
  echo "$svc stable"
}

pids=()
while IFS=$'\t' read -r svc family container kind; do
  if [[ "$mode" == par ]]; then
    deploy_service "$svc" "$family" "$container" "$kind" & pids+=($!)
  else
    deploy_service "$svc" "$family" "$container" "$kind"
  fi
done < <(tagged_services)
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
