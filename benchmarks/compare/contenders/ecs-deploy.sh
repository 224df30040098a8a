#!/usr/bin/env bash
# The app update with ecs-deploy (PyPI `ecs-deploy`, command `ecs`), its
# defaults otherwise (--sleep-time 1, --timeout 300, --no-rollback):
#   `ecs update <migration family> --tag T` (new revision with the new
#   image), `ecs run` of that revision with the migration command, then
#   `ecs deploy <cluster> <service> --tag T` for each service in turn.
# Below time scale 1 it runs through scaled_sleep.py (its sleeps scaled) with
# --timeout scaled to match.
# Note: `ecs run` only starts the task and returns; ecs-deploy has no way to
# wait for a one-off task, so the migration does not gate the rollout.
# Env: CONTRACT, BACKEND_TAG, FRONTEND_TAG, MEMLOG, TIME_SCALE, plus AWS_*.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
c="$CONTRACT"
PY_BIN=$(command -v python)
timeout=$(python3 -c 'import sys; print(max(1, round(300 * min(float(sys.argv[1]), 1))))' "$TIME_SCALE")
ecs() { /usr/bin/time -a -o "$MEMLOG" -f '%M' "$PY_BIN" "$here/scaled_sleep.py" "$@"; }
cluster=$(jq -r .cluster "$c")
tag_for() { if [[ $1 == frontend ]]; then echo "$FRONTEND_TAG"; else echo "$BACKEND_TAG"; fi; }

m_family=$(jq -r .migration.taskFamily "$c"); m_container=$(jq -r .migration.container "$c")
m_tag=$(tag_for "$(jq -r .migration.image "$c")")
net=()
for s in $(jq -r '.network.subnets[]' "$c"); do net+=(--subnet "$s"); done
for g in $(jq -r '.network.securityGroups[]' "$c"); do net+=(--securitygroup "$g"); done
ecs update "$m_family" --tag "$m_tag" --no-diff
ecs run "$cluster" "$m_family" -c "$m_container" "$(jq -r '.migration.command | join(" ")' "$c")" \
  --launchtype FARGATE "${net[@]}" --no-diff

while IFS=$'\t' read -r svc kind; do
  tag=$(tag_for "$kind"); [[ -n "$tag" ]] || continue
  ecs deploy "$cluster" "$svc" --tag "$tag" --no-diff --timeout "$timeout"
done < <(jq -r '.services[] | [.service, .image] | @tsv' "$c")
