# shellcheck shell=bash disable=SC2154,SC2016
# The CDK demo's own steps, sourced by scripts/demo-cdk after demo/steps.sh
# (whose helpers and shared steps it uses). Sets cdk_root.

# A repository whose base and app layers are the CDK app (cdk/), with the
# dev and alpha configs on the sandbox path: what the sandbox's
# CloudFormation cannot create stays out (cdk/README.md).
make_cdk_root() {
  cdk_root="$work/cdk-repo"
  mkdir -p "$cdk_root/stacks/base" "$cdk_root/stacks/app"
  printf 'layers:\n  base: cdk\n  app: cdk\ncdk:\n  app: %s\n' "$repo/cdk" >"$cdk_root/stackpilot.yaml"
  for pair in base/dev app/alpha; do
    "$DEMO_PYTHON" -c 'import json, sys; c = json.load(open(sys.argv[1])); c["sandbox"] = True; print(json.dumps(c, indent=2))' \
      "stacks/$pair.json" >"$cdk_root/stacks/$pair.json"
  done
}

# Shows the lines of a summary that say what happened (headings, counts).
headlines() { # summary-file
  grep -E '^(##|\*\*)' "$1" | sed 's/^/     /'
}

step_cdk_sandbox() {
  section_step "The local AWS sandbox: an empty account; CloudFormation will make every app resource"
  start_sandbox
  make_cdk_root
  say "stackpilot.yaml says both layers are the CDK app in cdk/ (aws-cdk $(cd cdk && node -p 'require("aws-cdk/package.json").version'), run offline):"
  sed 's/^/     /' "$cdk_root/stackpilot.yaml"
}

step_cdk_base() {
  section_step "The base stack from the CDK: cdk synth, a change set, applied (VPC, load balancer, database)"
  # The stack events go to the log; the summary's headlines say what happened.
  printf '   $ stackpilot up base dev --root demo-repo --yes --summary $OUT/cdk-base-dev-up.md\n'
  "$stackpilot" up base dev --root "$cdk_root" --yes --summary "$out/cdk-base-dev-up.md" >"$out/logs/cdk-base-up.log" 2>&1 \
    || die "stackpilot up base dev failed; see $out/logs/cdk-base-up.log"
  headlines "$out/cdk-base-dev-up.md"
}

step_cdk_deploy() { # env tag
  local env="$1" tag="$2"
  section_step "deploy $env: the app stack made by CloudFormation, then the update reads its 'deploy' output"
  say "The app stack creates the cluster, task definitions on :latest and services at desired count 0;"
  say "the update registers $tag revisions, runs the migration (manage.py pre_update against PostgreSQL),"
  say "then raises every service to the contract's count on the new revision."
  show_run "cdk-deploy-$env-$tag" "$stackpilot" deploy "$env" --backend "$tag" --frontend "$tag" \
    --root "$cdk_root" --summary "$out/cdk-deploy-$env-$tag.md"
  [[ $rc -eq 0 ]] || die "stackpilot deploy $env exited $rc; summary: $out/cdk-deploy-$env-$tag.md"
  headlines "$out/cdk-deploy-$env-$tag.md"
  say "the migration task's CloudWatch log:"
  look migration-log "$env"
  say "the services afterwards:"
  look services "$env"
}

step_cdk_config_change() { # env
  local env="$1"
  section_step "A config change to the app stack: gunicorn gets more CPU; the services keep what the update set"
  "$DEMO_PYTHON" - "$cdk_root/stacks/app/$env.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["services"]["gunicorn"].update(cpu=1024, memory=2048)
json.dump(config, open(path, "w"), indent=2)
PY
  say "stacks/app/$env.json: services.gunicorn cpu 512 -> 1024, memory 1024 -> 2048"
  show_run "cdk-preview-$env" "$stackpilot" preview app "$env" --root "$cdk_root" --summary "$out/cdk-preview-app-$env.md"
  [[ $rc -eq 0 ]] || die "stackpilot preview app $env exited $rc"
  grep -E '^(##|\*\*|\| [-+~]|\| <code>)' "$out/cdk-preview-app-$env.md" | sed 's/^/     /'
  say "The task definition is replaced (a new revision the next update starts from); no service is in"
  say "the change set, so applying it leaves each service's revision and count alone:"
  show_run "cdk-up-$env" "$stackpilot" up app "$env" --root "$cdk_root" --yes --summary "$out/cdk-up-app-$env.md"
  [[ $rc -eq 0 ]] || die "stackpilot up app $env exited $rc"
  look services "$env"
}

step_cdk_where_to_look() {
  section_step "The Markdown summaries (kept): $out"
  (cd "$out" && ls -1 ./*.md | sed 's#^\./#     #')
  cat <<EOT
   cdk-preview-app-alpha.md  a CDK change set as a reviewer sees it: resources by action, the
                             properties that force a replacement, before and after values
   cdk-deploy-alpha-v2.md    the app stack's change set and apply, then the update: migration
                             gate and each service's rollout
   Logs of every command: $out/logs/. Demo took $((SECONDS - started)) s.
EOT
}
