#!/usr/bin/env bash
# Measures candidate release profiles for the `stackpilot` binary: size,
# build time and start-up time. Each candidate is a set of
# `--config profile.release.…` overrides, so Cargo.toml keeps one profile and
# this script stays valid whatever that profile is. Prints a Markdown table.
#
# Usage: bash benchmarks/release-profile.sh [variant...]   (default: all)
#   RUNS        hyperfine runs per command (default 200)
#   BUILD_NICE  niceness of the cargo builds only (default 0), so a shared
#               machine stays usable without slowing the timed runs
#   CARGO_TARGET_DIR  where cargo builds (default target/); the binaries and
#               hyperfine results land in its release-profile/ folder
#
# Build times are the wall time of each `cargo build`: a cold build only when
# that variant's artifacts are not in the target dir yet. Changing `debug`
# rebuilds every crate, but not the machine code: the `no-debug` and `strip`
# variants are the `line-tables` binary run through binutils' `strip`
# (--strip-debug is what `strip = "debuginfo"` does, --strip-all what
# `strip = "symbols"` does), which saves two cold builds of the AWS SDK.
# Needs hyperfine (Debian: apt-get install hyperfine) and binutils.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
runs="${RUNS:-200}"
nice="${BUILD_NICE:-0}"
out="$target/release-profile"
preview="$repo/tests/fixtures/previews/real-update-and-replace.json"

command -v hyperfine >/dev/null || { echo "release-profile: hyperfine not found (Debian: apt-get install hyperfine)" >&2; exit 1; }

# name, then either `build` and debug, strip, lto, codegen-units (TOML
# values), or `strip`, the binutils option and the built variant it strips.
variants=(
  'line-tables        build "line-tables-only"  "none"     false   16'
  'no-debug           strip --strip-debug       line-tables'
  'strip              strip --strip-all         line-tables'
  'strip+thin-lto     build false               "symbols"  "thin"  16'
  'strip+fat-lto+cgu1 build false               "symbols"  "fat"   1'
)

selected=("$@")
if [[ ${#selected[@]} -eq 0 ]]; then
  for v in "${variants[@]}"; do read -r name _ <<< "$v"; selected+=("$name"); done
fi

spec_of() {
  local v name
  for v in "${variants[@]}"; do
    read -r name _ <<< "$v"
    if [[ "$name" == "$1" ]]; then echo "$v"; return; fi
  done
  echo "release-profile: unknown variant '$1'" >&2
  return 1
}

mkdir -p "$out"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# On a machine shared with other work a run sometimes waits for a CPU: the
# minimum is what the binary itself costs, the median what a user sees.
min_median_ms() { # hyperfine JSON -> "min / median" in ms
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{r['min'] * 1000:.1f} / {r['median'] * 1000:.1f}")
EOF
}

rows=()
for name in "${selected[@]}"; do
  read -r _ how a b c d <<< "$(spec_of "$name")"
  bin="$out/$name"
  if [[ "$how" == strip ]]; then
    [[ -x "$out/$b" ]] || { echo "release-profile: $name strips $b: build that variant first" >&2; exit 1; }
    echo "==== $name: strip $a $b" >&2
    strip "$a" -o "$bin" "$out/$b"
    profile="\`strip $a\` of $b"
    build_s="—"
  else
    echo "==== $name: debug=$a strip=$b lto=$c codegen-units=$d" >&2
    # Wall time and the CPU time of cargo and its children: on a shared
    # machine the CPU time is the figure to compare.
    exec 3>&2
    { TIMEFORMAT='%R %U %S'; time nice -n "$nice" cargo build --release --locked --bin stackpilot \
      --config "profile.release.debug=$a" --config "profile.release.strip=$b" \
      --config "profile.release.lto=$c" --config "profile.release.codegen-units=$d" \
      --message-format=json-render-diagnostics > "$scratch/cargo.json" 2>&3; } 2> "$scratch/time"
    read -r wall user sys < "$scratch/time"
    # How many crates this build compiled says whether its time is a cold build.
    crates="$(grep -c '"reason":"compiler-artifact".*"fresh":false' "$scratch/cargo.json" || true)"
    build_s="$(awk -v w="$wall" -v u="$user" -v s="$sys" -v n="$crates" \
      'BEGIN { printf "%.0f (%.0f), %d crates", w, u + s, n }')"
    cp "$target/release/stackpilot" "$bin"
    profile="debug=$a strip=$b lto=$c codegen-units=$d"
  fi
  size="$(stat -c %s "$bin")"

  hyperfine --shell=none --warmup 20 --runs "$runs" --style basic \
    --export-json "$out/$name.version.json" "$bin --version" >&2
  hyperfine --shell=none --warmup 20 --runs "$runs" --style basic \
    --export-json "$out/$name.help.json" "$bin --help" >&2
  hyperfine --shell=none --warmup 5 --runs "$runs" --style basic \
    --export-json "$out/$name.summarize.json" \
    "$bin summarize $preview --summary $scratch/summary.md" >&2
  [[ -s "$scratch/summary.md" ]] || { echo "release-profile: $name wrote no summary" >&2; exit 1; }

  rows+=("| $name | $profile | $size | $(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }') | $build_s | $(min_median_ms "$out/$name.version.json") | $(min_median_ms "$out/$name.help.json") | $(min_median_ms "$out/$name.summarize.json") |")
done

echo
echo "| variant | profile | size (bytes) | size (MiB) | build: wall (CPU) s, crates compiled | \`--version\` min / median ms | \`--help\` min / median ms | \`summarize\` min / median ms |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
