# shellcheck shell=bash disable=SC2154,SC2016
# The demo's steps, sourced by scripts/demo (which sets repo, out, work,
# stackpilot, DEMO_PYTHON and the helpers section/say/die).

# A numbered heading: the demo sets DEMO_STEPS, each call takes the next number.
step_index=0
section_step() {
  step_index=$((step_index + 1))
  section "$step_index/$DEMO_STEPS $*"
}

# Shows a command as a person would type it, runs it with its output indented
# and kept in $out/logs, and sets `rc` to its exit code.
show_run() { # log-name command...
  local log="$out/logs/$1.log"
  shift
  printf '   $ %s\n' "$(echo "${@/#$stackpilot/stackpilot}" | sed "s#$out/#\$OUT/#g; s#$work/infra#demo/infra#g; s#$work/cdk-repo#demo-repo#g; s#$repo/##g")"
  set +e
  "$@" 2>&1 | tee "$log" | sed 's/^/     /'
  rc=${PIPESTATUS[0]}
  set -e
}

# The sandbox as the AWS API shows it (demo/look.py), indented like the rest.
look() {
  "$DEMO_PYTHON" demo/look.py "$@" | sed 's/^/     /'
  return "${PIPESTATUS[0]}"
}

step_postgres() {
  section_step "A throwaway PostgreSQL, standing in for the shared RDS instance"
  pg_start "$work/postgres"
  say "$("$(pg_bindir)/postgres" --version) on 127.0.0.1:$PGPORT, run as user '${PG_OS_USER}',"
  say "data in a temp dir, trust auth on loopback only. Both app envs will share it, as they share RDS."
}

step_infrastructure() {
  section_step "Infrastructure pipeline: the real Pulumi CLI ($(pulumi version)), state in the bootstrap bucket"
  say "The real app program (pulumi/app) needs Pulumi's 'aws' provider plugin. This machine is"
  say "offline and cannot download it, so the demo runs a stand-in program with the app stack's"
  say "shape (demo/infra: every resource is a state-only fixture resource) through the same"
  say "stackpilot commands: up (preview, Markdown summary, apply, the 'deploy' output), preview."
  say "No PULUMI_BACKEND_URL and no passphrase: stackpilot finds the bootstrap stack, keeps the"
  say "stacks in its bucket and creates them with its KMS key as secrets provider."
  export PULUMI_HOME="$work/pulumi-home" PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  unset PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE
  # A copy, because Pulumi writes each new stack's encryption salt into its config file.
  cp -r demo/infra "$work/infra"
  for env in alpha beta; do
    # Pulumi's own progress goes to the log; the summary's headings say what happened.
    printf '   $ stackpilot up app %s --root demo/infra --yes --summary $OUT/infra-%s-up.md\n' "$env" "$env"
    "$stackpilot" up app "$env" --root "$work/infra" --yes --summary "$out/infra-$env-up.md" >"$out/logs/infra-$env-up.log" 2>&1 \
      || die "stackpilot up app $env failed; see $out/logs/infra-$env-up.log"
    grep '^##' "$out/infra-$env-up.md" | sed 's/^/     /'
  done
  say "A change for review, as a pull request would bring it: gunicorn gets more CPU."
  printf '   $ pulumi config set gunicornCpu 512 --stack alpha\n'
  (cd "$work/infra/pulumi/app" && PULUMI_BACKEND_URL="$(state_backend_url)" \
    pulumi config set gunicornCpu 512 --stack alpha --non-interactive) \
    || die "pulumi config set failed"
  show_run infra-alpha-preview "$stackpilot" preview app alpha --root "$work/infra" --summary "$out/infra-alpha-preview.md"
  [[ $rc -eq 0 ]] || die "stackpilot preview exited $rc"
  sed -n '1,/^| ~/p' "$out/infra-alpha-preview.md" | grep -v '^$' | sed 's/^/     /'
  say "Where the env's state, secrets, roles and lease are, and whether each answers:"
  show_run doctor "$stackpilot" doctor alpha --root "$work/infra"
  [[ $rc -eq 0 ]] || die "stackpilot doctor alpha exited $rc"
  say "On a machine with internet, the real stacks run the same way against this sandbox:"
  sed 's/^/     /' demo/with-internet.md
}

# Starts the sandbox with the demo's scenario and points AWS clients at it.
start_sandbox() {
  # Started at the repo root: the scenario's `cwd: demo/app` is relative to it.
  # PG* and STATIC_ROOT reach the migration through the sandbox's environment.
  # The launcher waits (bounded) for it and prints AWS_ENDPOINT_URL= and
  # SANDBOX_PID= (which the demo's cleanup stops).
  local started_sandbox
  started_sandbox="$(STATIC_ROOT="$work/static" "$DEMO_PYTHON" -m stackpilot_sandbox start --port 0 \
    --scenario demo/scenarios/demo.yaml --log "$out/logs/sandbox.log")" \
    || die "the sandbox did not start; see $out/logs/sandbox.log"
  eval "$started_sandbox"
  export AWS_ENDPOINT_URL
  # Dummy credentials, and none of the developer's own profiles.
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  # The sandbox's S3 sends no response checksums; Pulumi's Go SDK would warn on every read.
  export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
  unset AWS_PROFILE AWS_SESSION_TOKEN
  say "listening on $AWS_ENDPOINT_URL, scenario demo/scenarios/demo.yaml (time x5 faster)"
}

step_sandbox() {
  section_step "The local AWS sandbox (moto, with an ECS that rolls, crashes and rolls back)"
  start_sandbox
  for env in alpha beta; do
    "$DEMO_PYTHON" -m stackpilot_sandbox seed "$env" >"$out/$env.contract.json"
  done
  say "seeded alpha and beta as the app stack makes them (cluster, 4 services on :latest, the"
  say "migration task family); deploy contracts: \$OUT/alpha.contract.json, \$OUT/beta.contract.json"
  say "the <env>-backend_update family really runs 'python manage.py pre_update' in demo/app here"
  if ! { look wait-stable alpha && look wait-stable beta; }; then
    die "the seeded services did not settle; see $out/logs/sandbox.log"
  fi
  look services alpha
}

step_bootstrap() {
  section_step "The account made ready: stackpilot bootstrap (CloudFormation in the sandbox)"
  show_run bootstrap "$stackpilot" bootstrap --github-repo acme/ublog --env dev --env alpha --env beta \
    --yes --summary "$out/bootstrap.md"
  [[ $rc -eq 0 ]] || die "stackpilot bootstrap exited $rc; see $out/logs/bootstrap.log"
  sed -n '/^### What the account has/,/^Repository/p' "$out/bootstrap.md" | grep '^|' | sed 's/^/     /'
  say "Run again, it finds nothing to change (and leaves no change set behind):"
  show_run bootstrap-again "$stackpilot" bootstrap --yes --summary "$out/bootstrap-again.md"
  [[ $rc -eq 0 ]] || die "the second stackpilot bootstrap exited $rc"
}

# The bootstrap bucket as a Pulumi backend URL, for calling pulumi itself.
state_backend_url() {
  printf 's3://stackpilot-bootstrap-123456789012-us-east-1?region=us-east-1&endpoint=%s&s3ForcePathStyle=true' "$AWS_ENDPOINT_URL"
}

step_update() { # env tag
  local env="$1" tag="$2"
  section_step "App update: $env to backend $tag (migration gate, then every backend service at once)"
  show_run "update-$env-$tag" "$stackpilot" update "$env" --backend "$tag" \
    --contract "$out/$env.contract.json" --summary "$out/update-$env-$tag.md"
  [[ $rc -eq 0 ]] || die "stackpilot update $env exited $rc (expected 0); summary: $out/update-$env-$tag.md, log: $out/logs/update-$env-$tag.log"
  say "the migration task's CloudWatch log (written by demo/app/manage.py):"
  look migration-log "$env"
  say "the services afterwards:"
  look services "$env"
}

step_show_databases() { # env...
  section "What the migrations did to the one shared PostgreSQL server"
  printf '   $ psql -c "SELECT datname FROM pg_database WHERE NOT datistemplate"\n'
  psql -X -At -c "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1" | sed 's/^/     /'
  for env in "$@"; do
    local db="$env-db"
    printf '   $ psql -d %s -c "SELECT app, name, applied FROM django_migrations"\n' "$db"
    psql -X -At -F ' | ' -d "$db" -c "SELECT app, name, to_char(applied, 'HH24:MI:SS') FROM django_migrations ORDER BY id" \
      | sed 's/^/     /'
  done
  say "blog_post columns in alpha-db: $(psql -X -At -d alpha-db -c "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'blog_post'")"
}

step_bad_image() { # env tag: `update` with the seeded contract, or in the CDK demo (cdk_root set) `deploy`
  local env="$1" tag="$2"
  local run=(update "$env" --backend "$tag" --contract "$out/$env.contract.json")
  [[ -z "${cdk_root:-}" ]] || run=(deploy "$env" --backend "$tag" --root "$cdk_root")
  section_step "A bad image: ${run[0]} $env --backend $tag (gunicorn crashes on start), rolled back as a unit"
  show_run "${run[0]}-$env-$tag" "$stackpilot" "${run[@]}" --summary "$out/${run[0]}-$env-$tag.md"
  [[ $rc -eq 3 ]] || die "stackpilot ${run[0]} $env --backend $tag exited $rc (expected 3: failed and rolled back); summary: $out/${run[0]}-$env-$tag.md"
  say "exit code $rc: failed and rolled back. The services afterwards (back on the revision before):"
  look services "$env"
}

step_where_to_look() {
  section_step "The Markdown summaries (kept): $out"
  (cd "$out" && ls -1 ./*.md | sed 's#^\./#     #')
  cat <<EOF
   What a person looks at (in GitHub Actions these are the job summaries):
     update-alpha-v3-broken.md  why it failed: the crashed tasks' stopped reason and log lines,
                                which services were rolled back, old -> new revision per service
     update-alpha-v2.md         the migration gate (command, result, database) and each service's
                                rollout: revision, image, running/desired, time taken
     infra-alpha-preview.md     what a reviewer sees on a pull request that touches a stack
   Logs of every command: $out/logs/. Demo took $((SECONDS - started)) s.
EOF
}
