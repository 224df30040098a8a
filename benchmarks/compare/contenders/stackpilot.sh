#!/usr/bin/env bash
# `stackpilot update` with the deploy contract from a file. Its poll
# interval (hidden --poll-interval, 2 s on AWS) is scaled to the sandbox's
# time scale so that it polls every 2 sandbox seconds, as it would on AWS.
# An optional argument is a bake window in sandbox seconds (`--bake`, an
# option, off by default), scaled the same way (whole seconds, at least 1).
# Env: CONTRACT, ENV_NAME, BACKEND_TAG, FRONTEND_TAG, MEMLOG, WORK, TIME_SCALE,
# STACKPILOT (the binary), plus AWS_*.
set -euo pipefail
scaled() { python3 -c 'import sys; print(max(float(sys.argv[1]) * min(float(sys.argv[2]), 1), float(sys.argv[3])))' "$@"; }
poll=$(scaled 2.0 "$TIME_SCALE" 0.01)
args=(update "$ENV_NAME" --contract "$CONTRACT" --poll-interval "$poll" --summary "$WORK/summary.md")
if [[ $# -gt 0 ]]; then
  bake=$(scaled "$1" "$TIME_SCALE" 1)
  args+=(--bake "$(printf '%.0f' "$bake")")
fi
[[ -n "$BACKEND_TAG" ]] && args+=(--backend "$BACKEND_TAG")
[[ -n "$FRONTEND_TAG" ]] && args+=(--frontend "$FRONTEND_TAG")
exec /usr/bin/time -a -o "$MEMLOG" -f '%M' "$STACKPILOT" "${args[@]}"
