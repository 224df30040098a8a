#!/usr/bin/env bash
# The app update as a GitHub workflow built on
# aws-actions/amazon-ecs-deploy-task-definition does it, with the AWS CLI:
#   migration: register a revision with the new image, run-task,
#              `aws ecs wait tasks-stopped`, describe-tasks for the exit code;
#   each service: describe-task-definition, strip the read-only fields, swap
#              the image, register-task-definition, update-service,
#              `aws ecs wait services-stable` (stock waiter: 15 s, 40 polls).
# Usage: awscli.sh seq|par   (par: every service as its own parallel process,
# the workflow's matrix). Env: CONTRACT, BACKEND_TAG, FRONTEND_TAG, MEMLOG,
# WORK, plus the AWS_* variables. Each `aws` run appends its peak RSS (KiB)
# to $MEMLOG.
set -euo pipefail
mode="${1:-seq}"
c="$CONTRACT"
AWS_BIN=$(command -v aws)
aws() { /usr/bin/time -a -o "$MEMLOG" -f '%M' "$AWS_BIN" "$@"; }
cluster=$(jq -r .cluster "$c")

# family container repo tag -> new task definition ARN
register() {
  local family=$1 container=$2 image=$3 out="$WORK/td-$1.json"
  aws ecs describe-task-definition --task-definition "$family" --query taskDefinition > "$out"
  jq --arg c "$container" --arg img "$image" '
    del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
        .registeredAt, .registeredBy, .deregisteredAt)
    | .containerDefinitions |= map(if .name == $c then .image = $img else . end)' "$out" > "$out.new"
  aws ecs register-task-definition --cli-input-json "file://$out.new" \
    --query taskDefinition.taskDefinitionArn --output text
}

tag_for() { if [[ $1 == frontend ]]; then echo "$FRONTEND_TAG"; else echo "$BACKEND_TAG"; fi; }

# migration gate
m_family=$(jq -r .migration.taskFamily "$c"); m_container=$(jq -r .migration.container "$c")
m_kind=$(jq -r .migration.image "$c")
m_image="$(jq -r --arg k "$m_kind" '.images[$k]' "$c"):$(tag_for "$m_kind")"
td=$(register "$m_family" "$m_container" "$m_image")
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
  local svc=$1 family=$2 container=$3 kind=$4 image td
  image="$(jq -r --arg k "$kind" '.images[$k]' "$c"):$(tag_for "$kind")"
  td=$(register "$family" "$container" "$image")
  aws ecs update-service --cluster "$cluster" --service "$svc" --task-definition "$td" \
    --query service.serviceName --output text >/dev/null
  aws ecs wait services-stable --cluster "$cluster" --services "$svc"
  echo "$svc stable"
}

pids=()
while IFS=$'\t' read -r svc family container kind tagged; do
  [[ "$tagged" == yes ]] || continue
  if [[ "$mode" == par ]]; then
    deploy_service "$svc" "$family" "$container" "$kind" & pids+=($!)
  else
    deploy_service "$svc" "$family" "$container" "$kind"
  fi
done < <(jq -r --arg b "$BACKEND_TAG" --arg f "$FRONTEND_TAG" '.services[]
  | [.service, .taskFamily, .container, .image,
     (if (.image == "frontend" and $f != "") or (.image == "backend" and $b != "") then "yes" else "no" end)]
  | @tsv' "$c")
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
