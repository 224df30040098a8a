# shellcheck shell=bash disable=SC2034
# What both demos (scripts/demo, scripts/demo-cdk) start with, sourced after
# they set repo (the repository, the current folder) and demo_name: the
# output helpers, the install (each part skips work already done), a work
# folder, and a cleanup that stops the servers however the demo ends.
# Sets out, work, stackpilot, DEMO_PYTHON and PATH.

out="${STACKPILOT_DEMO_OUT:-$repo/target/$demo_name}"

# Bold headings on a terminal only, so a saved log stays plain text.
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

# ---- install (quiet when everything is already there)
echo "demo: checking what it needs (stackpilot release build, Pulumi CLI, CDK packages, sandbox venv, PostgreSQL)" >&2
command -v cargo >/dev/null || die "Rust is required (https://rustup.rs)"
# cargo builds into CARGO_TARGET_DIR when it is set.
stackpilot="${CARGO_TARGET_DIR:-$repo/target}/release/stackpilot"
[[ -x "$stackpilot" ]] || echo "demo: building stackpilot (release; the first build takes several minutes)" >&2
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT # replaced by the full cleanup below, which removes it too
cargo build --release --locked >"$build_log" 2>&1 || { cat "$build_log" >&2; die "cargo build failed"; }
rm -f "$build_log"
tools_bin="$(scripts/install-tools 2> >(grep -v '^v[0-9]' >&2) | tail -n1)"
bash sandbox/bootstrap
bash cdk/install
DEMO_PYTHON="$repo/sandbox/.venv/bin/python"
source demo/postgres.sh
pg_install
pg_bin="$(pg_bindir)"
export PATH="$tools_bin:$repo/sandbox/.venv/bin:$pg_bin:$PATH"

# ---- a place for everything, and a cleanup that runs however the demo ends
work="$(mktemp -d -t stackpilot-demo.XXXXXX)"
chmod 755 "$work" # the PostgreSQL server runs as another user
# Only what an earlier demo wrote: $out may be a folder of the user's.
mkdir -p "$out" && rm -rf "$out/logs" "$out"/*.md "$out"/*.contract.json && mkdir "$out/logs"
SANDBOX_PID= # set by step_sandbox
cleanup() {
  [[ -z "$SANDBOX_PID" ]] || "$DEMO_PYTHON" -m stackpilot_sandbox stop --pid "$SANDBOX_PID"
  pg_stop
  rm -rf "$work" "$build_log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

