#!/usr/bin/env bash
# Benchmark: `stackpilot summarize` on a synthetic 20,000-resource preview.
# Reports wall time (hyperfine, several runs) and peak memory (GNU time).
# Usage: bash benchmarks/summarize.sh [resources]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
n="${1:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time; }

cargo build --release --locked --quiet --bin stackpilot --example synthetic-preview
target/release/examples/synthetic-preview "$n" > "$work/preview.json"
echo "input: $n resources, $(du -h "$work/preview.json" | cut -f1) of preview JSON" >&2

hyperfine --warmup 2 --runs 10 --export-json "$work/hyperfine.json" \
  "target/release/stackpilot summarize $work/preview.json --summary $work/summary.md" >&2
/usr/bin/time -f "%M" -o "$work/rss" target/release/stackpilot summarize "$work/preview.json" --summary "$work/summary.md"
mean_ms="$(python3 -c "import json;print(round(json.load(open('$work/hyperfine.json'))['results'][0]['mean']*1000,1))")"
echo "summarize, $n resources: mean ${mean_ms} ms, peak RSS $(( $(cat "$work/rss") / 1024 )) MiB, summary $(stat -c %s "$work/summary.md") bytes"
