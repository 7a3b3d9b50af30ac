#!/usr/bin/env bash
# Measures newsdesk on synthetic archives: wall time and peak RSS of whole
# commands, as a user would run them. Usage:
#   bench/run.sh [N ...]          (default: 1000 10000 100000)
# Needs GNU time (/usr/bin/time). Prints a table and writes bench/results.json.
# The archive for each N is generated once (deterministic, seed 1) and cached
# under ${BENCH_DIR:-/tmp/newsdesk-bench}.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
work=${BENCH_DIR:-/tmp/newsdesk-bench}
mkdir -p "$work"

cargo build --release --quiet --bin newsdesk --example gen_archive
bin=$PWD/target/release/newsdesk
gen=$PWD/target/release/examples/gen_archive

results=()
# measure NAME N CMD...: runs CMD under GNU time, records seconds and peak RSS.
measure() {
  local name=$1 n=$2; shift 2
  local t
  t=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$t.err" || {
    echo "bench: $name (N=$n) failed:" >&2; cat "$t.err" >&2; exit 1; }
  read -r secs kb < "$t"
  rm -f "$t" "$t.err"
  printf '%-28s %8s %10.2f s %8.1f MB\n' "$name" "$n" "$secs" "$(awk -v k="$kb" 'BEGIN{print k/1024}')"
  results+=("{\"step\":\"$name\",\"n\":$n,\"seconds\":$secs,\"peak_rss_kb\":$kb}")
}

printf '%-28s %8s %12s %11s\n' step N wall "peak RSS"
for n in "${sizes[@]}"; do
  arch="$work/archive-$n"
  if [ ! -f "$arch/labels.csv" ]; then
    rm -rf "$arch"
    "$gen" --count "$n" --seed 1 --out "$arch" >/dev/null
  fi
  site="$work/site-$n"
  rm -rf "$site"
  mkdir -p "$site"
  cat > "$site/newsdesk.toml" <<TOML
[site]
title = "Bench Review"
base_url = "https://bench.example.org/"
author = "Bench Review"
[archive]
dirs = ["$arch"]
include = ["**/*.txt", "**/*.md", "**/*.html"]
[feeds]
tag_authority = "bench.example.org,2026-01-01"
TOML
  export NEWSDESK_CONFIG="$site/newsdesk.toml"
  measure "cold ingest" "$n" "$bin" ingest -q
  measure "cold run (after ingest)" "$n" "$bin" run -q
  measure "no-op run" "$n" "$bin" run -q
  # Ten new articles: a second generator run with another seed, copied in.
  extra="$work/extra-10"
  [ -d "$extra" ] || "$gen" --count 10 --seed 99 --out "$extra" >/dev/null
  mkdir -p "$arch/zz-new"
  find "$extra" -type f ! -name labels.csv -exec cp {} "$arch/zz-new/" \;
  measure "run after adding 10" "$n" "$bin" run -q
  rm -rf "$arch/zz-new"
  measure "feeds alone (forced)" "$n" "$bin" feeds --force
  measure "classify alone (forced)" "$n" "$bin" themes --force
  rm -rf "$site"
done
unset NEWSDESK_CONFIG
printf '[%s]\n' "$(IFS=,; echo "${results[*]}")" > bench/results.json
echo "wrote bench/results.json"
