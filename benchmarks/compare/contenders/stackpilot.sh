#!/usr/bin/env bash
# `stackpilot update` with the deploy contract from a file. Its poll
# interval (hidden --poll-interval, 2 s on AWS) is scaled to the sandbox's
# time scale so that it polls every 2 sandbox seconds, as it would on AWS.
# Env: CONTRACT, ENV_NAME, BACKEND_TAG, FRONTEND_TAG, MEMLOG, WORK, TIME_SCALE,
# STACKPILOT (the binary), plus AWS_*.
set -euo pipefail
poll=$(python3 -c 'import sys; print(max(2.0 * min(float(sys.argv[1]), 1), 0.01))' "$TIME_SCALE")
args=(update "$ENV_NAME" --contract "$CONTRACT" --poll-interval "$poll" --summary "$WORK/summary.md")
[[ -n "$BACKEND_TAG" ]] && args+=(--backend "$BACKEND_TAG")
[[ -n "$FRONTEND_TAG" ]] && args+=(--frontend "$FRONTEND_TAG")
exec /usr/bin/time -a -o "$MEMLOG" -f '%M' "$STACKPILOT" "${args[@]}"
