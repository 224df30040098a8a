# shellcheck shell=bash
# Shared by the contender scripts that render task definitions with the AWS
# CLI and jq (the AWS CLI pipeline and the official action's workflow).
# Needs CONTRACT, BACKEND_TAG, FRONTEND_TAG, MEMLOG, WORK and `aws` on PATH.

AWS_BIN=$(command -v aws)
# Every `aws` run appends its peak RSS (KiB) to $MEMLOG.
aws() { /usr/bin/time -a -o "$MEMLOG" -f '%M' "$AWS_BIN" "$@"; }

tag_for() { if [[ $1 == frontend ]]; then echo "$FRONTEND_TAG"; else echo "$BACKEND_TAG"; fi; }

# image kind -> repository:tag from the contract
image_for() { echo "$(jq -r --arg k "$1" '.images[$k]' "$CONTRACT"):$(tag_for "$1")"; }

# family container image -> path of the family's current task definition
# with the container's image swapped and the read-only fields dropped (what
# amazon-ecs-render-task-definition hands the deploy action).
render_taskdef() {
  local family=$1 container=$2 image=$3 out="$WORK/td-$1.json"
  aws ecs describe-task-definition --task-definition "$family" --query taskDefinition > "$out"
  jq --arg c "$container" --arg img "$image" '
    del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
        .registeredAt, .registeredBy, .deregisteredAt)
    | .containerDefinitions |= map(if .name == $c then .image = $img else . end)' "$out" > "$out.new"
  echo "$out.new"
}

# The services the tags touch: service, family, container, image kind per line.
tagged_services() {
  jq -r --arg b "$BACKEND_TAG" --arg f "$FRONTEND_TAG" '.services[]
    | select((.image == "frontend" and $f != "") or (.image == "backend" and $b != ""))
    | [.service, .taskFamily, .container, .image] | @tsv' "$CONTRACT"
}
