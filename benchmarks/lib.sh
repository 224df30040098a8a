# shellcheck shell=bash
# Shared by the benchmark scripts (sourced, with `repo` set and the working
# directory at the repository root): which stackpilot binary they measure and
# the tools they need. They install nothing; scripts/test is the one place
# that installs, and these say what is missing.

# Prints the stackpilot binary to measure: $STACKPILOT_BIN, else the release
# build in ${CARGO_TARGET_DIR:-target}. Fails, saying how to get one, when it
# is not there.
stackpilot_binary() {
  local bin="${STACKPILOT_BIN:-${CARGO_TARGET_DIR:-target}/release/stackpilot}"
  if [[ ! -x "$bin" ]]; then
    if [[ -n "${STACKPILOT_BIN:-}" ]]; then
      echo "benchmarks: STACKPILOT_BIN=$bin is not an executable file" >&2
    else
      echo "benchmarks: no release build at $bin: run \`cargo build --release --locked\` or set STACKPILOT_BIN" >&2
    fi
    return 2
  fi
  printf '%s\n' "$bin"
}

# Fails, naming every one that is missing, unless each tool is there.
# Arguments: "command:what provides it" (a command name or an absolute path).
require_tools() {
  local missing=() tool
  for tool in "$@"; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool%%:*} (${tool#*:})")
  done
  if (( ${#missing[@]} )); then
    printf 'benchmarks: missing %s\n' "${missing[@]}" >&2
    return 2
  fi
}
