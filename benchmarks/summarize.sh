#!/usr/bin/env bash
# Benchmark: `stackpilot summarize` on a synthetic 20,000-resource preview.
# Reports wall time (hyperfine, several runs) and peak memory (GNU time).
# Measures $STACKPILOT_BIN, else the release build (see benchmarks/lib.sh);
# the preview comes from the synthetic-preview example built beside it
# (`cargo build --release --locked --example synthetic-preview`).
# Usage: bash benchmarks/summarize.sh [resources]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
source benchmarks/lib.sh
n="${1:-20000}"
require_tools "hyperfine:Debian package hyperfine" "/usr/bin/time:GNU time, Debian package time"
stackpilot="$(stackpilot_binary)"
generator="$(dirname "$stackpilot")/examples/synthetic-preview"
if [[ ! -x "$generator" ]]; then
  echo "benchmarks: no preview generator at $generator: run \`cargo build --release --locked --example synthetic-preview\`" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$generator" "$n" > "$work/preview.json"
echo "input: $n resources, $(du -h "$work/preview.json" | cut -f1) of preview JSON" >&2

hyperfine --warmup 2 --runs 10 --export-json "$work/hyperfine.json" \
  "$(printf '%q ' "$stackpilot" summarize "$work/preview.json" --summary "$work/summary.md")" >&2
/usr/bin/time -f "%M" -o "$work/rss" "$stackpilot" summarize "$work/preview.json" --summary "$work/summary.md"
mean_ms="$(python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["results"][0]["mean"] * 1000, 1))' "$work/hyperfine.json")"
echo "summarize, $n resources: mean ${mean_ms} ms, peak RSS $(( $(cat "$work/rss") / 1024 )) MiB, summary $(stat -c %s "$work/summary.md") bytes"
