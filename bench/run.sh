#!/usr/bin/env bash
# Measures newsdesk on synthetic archives: wall time and peak RSS of whole
# commands, as a user would run them, and Hugo building the equivalent feeds
# from the same articles in the same run. Usage:
#   bench/run.sh [N ...]          (default: 1000 10000 100000)
# Prints a table (machine line first) and writes bench/results.json.
#
# Needs GNU time (/usr/bin/time). Optional, each row skipped with a message
# when missing:
#   smtp-sink   the SMTP row (Debian: apt-get install postfix; only the
#               smtp-sink tool is used, the postfix daemon need not run)
#   hugo        the Hugo comparison (Debian: apt-get install hugo)
#
# The archive for each N is generated once (deterministic, seed 1) and cached
# under ${BENCH_DIR:-/tmp/newsdesk-bench} as archive-N, the same articles as
# Hugo content as hugo-N; sites, stores and feeds are made in a fresh
# directory per N and removed afterwards, rendered messages in a temporary
# directory under ${BENCH_EML_TMP:-/dev/shm} (tmpfs) when it is writable.
#
# Steps per N (see the README's Performance section for what each includes):
#   cold ingest, cold run, no-op run, run after adding 10, feeds alone,
#   classify alone; then with 10,000 subscribers (CSV import, a mix of theme
#   choices): import, digest render for 10,000 (`digest --send --dry-run`:
#   every message rendered and built, written as .eml to tmpfs), SMTP send
#   of 5,000 (`digest --send` to smtp-sink on 127.0.0.1, 4 sessions); then
#   Hugo cold, and again with nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
work=${BENCH_DIR:-/tmp/newsdesk-bench}
mkdir -p "$work"
started=$(date +%s)

cargo build --release --quiet --bin newsdesk --example gen_archive
bin=$PWD/target/release/newsdesk
gen=$PWD/target/release/examples/gen_archive
hugo_site=$PWD/bench/hugo

# --- the machine ------------------------------------------------------------
json_str() { # JSON string literal of $1
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)
cores=$(nproc)
ram_gib=$(awk '/^MemTotal:/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
kernel=$(uname -sr)
rustc_v=$(rustc --version 2>/dev/null || echo "rustc unknown")
hugo_v=""
if command -v hugo >/dev/null; then
  hugo_v=$(hugo version | awk '{print $1, $2}')
fi
sink_bin=$(command -v smtp-sink || { [ -x /usr/sbin/smtp-sink ] && echo /usr/sbin/smtp-sink; } || true)
machine="$cpu, $cores cores, $ram_gib GiB RAM, $kernel, $rustc_v${hugo_v:+, $hugo_v}"
machine_json="{\"cpu\":$(json_str "$cpu"),\"cores\":$cores,\"ram_gib\":$ram_gib,\"kernel\":$(json_str "$kernel"),\"rustc\":$(json_str "$rustc_v"),\"hugo\":$(json_str "$hugo_v"),\"load_at_start\":$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")}"

# --- measuring --------------------------------------------------------------
results=()
tmp_files=()
sink_pid=""
cleanup() {
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi
  if [ -n "${run_dir:-}" ]; then rm -rf "$run_dir"; fi
  if [ -n "${eml:-}" ]; then rm -rf "$eml"; fi
  # The ten extra articles, if interrupted while they were in the archive.
  if [ -n "${arch:-}" ]; then rm -rf "$arch/zz-new"; fi
  if [ ${#tmp_files[@]} -gt 0 ]; then rm -f "${tmp_files[@]}"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# timed NAME N CMD...: runs CMD under GNU time; sets secs (wall), cpu
# (user + sys seconds), kb (peak RSS) and out (its stdout). A failure stops the script with the command's stderr.
timed() {
  local name=$1 n=$2; shift 2
  local t
  t=$(mktemp)
  tmp_files+=("$t" "$t.out" "$t.err")
  /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >"$t.out" 2>"$t.err" || {
    echo "bench: $name (N=$n) failed:" >&2; cat "$t.err" >&2; exit 1; }
  local user sys
  read -r secs kb user sys < "$t"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')
  out=$(cat "$t.out")
  rm -f "$t" "$t.out" "$t.err"
}

# record NAME N [NOTE [EXTRA_JSON]]: prints a table row for the last timed
# command and adds it to the JSON (EXTRA_JSON: more fields, `"k":v,...`).
record() {
  local name=$1 n=$2 note=${3:-} extra=${4:-}
  printf '%-34s %7s %9.2f s %9.2f s %8.1f MB  %s\n' "$name" "$n" "$secs" "$cpu" \
    "$(awk -v k="$kb" 'BEGIN{print k/1024}')" "$note"
  results+=("{\"step\":$(json_str "$name"),\"n\":$n,\"seconds\":$secs,\"cpu_seconds\":$cpu,\"peak_rss_kb\":$kb${extra:+,$extra}}")
}

measure() { timed "$@"; record "$1" "$2"; }

skip() { # NAME N WHY
  printf '%-34s %7s %11s %11s %11s  skipped: %s\n' "$1" "$2" - - - "$3"
  results+=("{\"step\":$(json_str "$1"),\"n\":$2,\"skipped\":$(json_str "$3")}")
}

json_field() { # KEY JSON -> the number after "KEY":
  sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"
}

# start_sink: smtp-sink on a free 127.0.0.1 port; sets sink_port.
start_sink() {
  local port try
  for try in 1 2 3 4 5; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    # A port someone already listens on answers; try another.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    local args=()
    # smtp-sink refuses to run as root without dropping privileges.
    [ "$(id -u)" -eq 0 ] && args+=(-u nobody)
    "$sink_bin" "${args[@]}" "127.0.0.1:$port" 256 >/dev/null 2>&1 &
    sink_pid=$!
    local i
    for i in $(seq 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then sink_port=$port; return 0; fi
      kill -0 "$sink_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=""
  done
  return 1
}
stop_sink() {
  kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=""
}

# subscribers_csv FIRST LAST: addresses readerFIRST..readerLAST with a mix of
# theme choices: 40% every theme (empty field), 30% Caucasus cinema, 20%
# festivals, 10% both.
subscribers_csv() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    print "email,name,themes"
    for (i = a; i <= b; i++) {
      m = i % 10
      t = m < 4 ? "" : m < 7 ? "caucasus-cinema" : m < 9 ? "festivals" : "\"caucasus-cinema;festivals\""
      printf "reader%05d@bench.example.org,Reader %d,%s\n", i, i, t
    }
  }'
}

# Fixed clock for the subscriber/edition steps: who gets an edition depends on
# when they subscribed (subscribers added after an edition do not get it).
clock_base=$(( $(date +%s) + 60 ))
at() { date -u -d "@$(( clock_base + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }

echo "machine: $machine"
printf '%-34s %7s %11s %11s %11s  %s\n' step N wall "user+sys" "peak RSS" note
for n in "${sizes[@]}"; do
  arch="$work/archive-$n"
  if [ ! -f "$arch/labels.csv" ]; then
    rm -rf "$arch"
    "$gen" --count "$n" --seed 1 --out "$arch" 2>/dev/null
  fi
  run_dir=$(mktemp -d "$work/run-$n.XXXXXX")
  site="$run_dir/site"
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
[digest]
from = "Bench Review <digest@bench.example.org>"
footer_address = "1 Bench Street, Example City"
unsubscribe_url = "https://bench.example.org/unsubscribe?token={token}"
TOML
  export NEWSDESK_CONFIG="$site/newsdesk.toml"
  timed "cold ingest" "$n" "$bin" ingest -q
  record "cold ingest" "$n"
  ingest_secs=$secs ingest_kb=$kb ingest_cpu=$cpu
  timed "cold run (after ingest)" "$n" "$bin" run -q
  record "cold run (after ingest)" "$n"
  cold_secs=$(awk -v a="$ingest_secs" -v b="$secs" 'BEGIN{printf "%.2f", a + b}')
  cold_kb=$(( ingest_kb > kb ? ingest_kb : kb ))
  # The first-run total: every feed (all + each theme, so classified) and
  # every archive page, from an empty store. The two rows above, summed.
  secs=$cold_secs kb=$cold_kb
  cpu=$(awk -v a="$ingest_cpu" -v b="$cpu" 'BEGIN{printf "%.2f", a + b}')
  record "cold ingest + cold run (all feeds)" "$n" "sum of the two rows above"
  measure "no-op run" "$n" "$bin" run -q
  noop_secs=$secs
  # Ten new articles: a second generator run with another seed, copied in.
  extra="$work/extra-10"
  [ -d "$extra" ] || "$gen" --count 10 --seed 99 --out "$extra" 2>/dev/null
  mkdir -p "$arch/zz-new"
  find "$extra" -type f ! -name labels.csv -exec cp {} "$arch/zz-new/" \;
  measure "run after adding 10" "$n" "$bin" run -q
  rm -rf "$arch/zz-new"
  measure "feeds alone (forced)" "$n" "$bin" feeds --force
  measure "classify alone (forced)" "$n" "$bin" themes --force

  # Subscribers and editions. Edition 1 (the 30 oldest articles) goes to the
  # first 5,000 subscribers, edition 2 (the next 30) to all 10,000.
  if [ "$n" -lt 60 ]; then
    for step in "import 5,000 subscribers" "digest render, 10,000 subscribers" "SMTP send 5,000, 4 sessions"; do
      skip "$step" "$n" "needs N >= 60 (two 30-article editions)"
    done
  else
    subscribers_csv 1 5000 > "$run_dir/subs-a.csv"
    subscribers_csv 5001 10000 > "$run_dir/subs-b.csv"
    NEWSDESK_NOW=$(at 0) "$bin" subscribers import -q "$run_dir/subs-a.csv" >/dev/null
    NEWSDESK_NOW=$(at 1) "$bin" digest -q >/dev/null
    timed "import 5,000 subscribers" "$n" env NEWSDESK_NOW="$(at 2)" "$bin" subscribers import -q "$run_dir/subs-b.csv"
    record "import 5,000 subscribers" "$n" "CSV, to a store holding 5,000"
    NEWSDESK_NOW=$(at 3) "$bin" digest -q >/dev/null
    # Messages go to tmpfs when there is one: the row is about rendering, and a
    # shared disk's writeback of ~350 MB added seconds of noise.
    if [ -d "${BENCH_EML_TMP:-/dev/shm}" ] && [ -w "${BENCH_EML_TMP:-/dev/shm}" ]; then
      eml=$(mktemp -d "${BENCH_EML_TMP:-/dev/shm}/newsdesk-bench-eml.XXXXXX")
    else
      eml="$run_dir/eml"
    fi
    eml_fs=$(df --output=fstype "$(dirname "$eml")" | tail -n1)
    timed "digest render, 10,000 subscribers" "$n" env NEWSDESK_NOW="$(at 4)" \
      "$bin" digest --send --dry-run "$eml" --edition 2 --json
    written=$(json_field written "$out")
    skipped=$(json_field skipped "$out")
    mb=$(du -sm "$eml" | cut -f1)
    record "digest render, 10,000 subscribers" "$n" \
      "$written messages rendered and written as .eml ($mb MB, $eml_fs), $skipped skipped" \
      "\"messages\":$written,\"skipped\":$skipped,\"eml_mb\":$mb,\"eml_fs\":$(json_str "$eml_fs")"
    rm -rf "$eml"
    eml=""

    if [ -z "$sink_bin" ]; then
      skip "SMTP send 5,000, 4 sessions" "$n" "smtp-sink not found (Debian: apt-get install postfix)"
    elif ! start_sink; then
      skip "SMTP send 5,000, 4 sessions" "$n" "smtp-sink did not start on 127.0.0.1"
    else
      cat >> "$site/newsdesk.toml" <<TOML
[smtp]
host = "127.0.0.1"
port = $sink_port
security = "none"
concurrency = 4
TOML
      timed "SMTP send 5,000, 4 sessions" "$n" env NEWSDESK_NOW="$(at 5)" \
        "$bin" digest --send --edition 1 --json
      stop_sink
      sent=$(json_field sent "$out")
      engine_rate=$(json_field messages_per_sec "$out")
      rate=$(awk -v m="$sent" -v s="$secs" 'BEGIN{printf "%.0f", (s > 0 ? m / s : 0)}')
      record "SMTP send 5,000, 4 sessions" "$n" \
        "$sent sent: $rate msg/s whole command ($engine_rate msg/s sending only)" \
        "\"messages\":$sent,\"messages_per_sec\":$rate,\"engine_messages_per_sec\":$engine_rate"
    fi
  fi
  unset NEWSDESK_CONFIG

  # Hugo on the same articles: home RSS + one RSS per theme, 50 items, full
  # content. Compared with newsdesk's cold ingest + cold run above (which
  # also writes Atom, JSON Feed, archive pages, OPML and a digest preview).
  cmp_note="cold ingest + cold run above"
  if [ -z "$hugo_v" ]; then
    skip "hugo (cold): home + theme RSS" "$n" "hugo not found (Debian: apt-get install hugo)"
  else
    content="$work/hugo-$n"
    if [ ! -f "$content/.complete" ]; then
      rm -rf "$content"
      "$gen" --count "$n" --seed 1 --hugo "$content" 2>/dev/null
      touch "$content/.complete"
    fi
    hsite="$run_dir/hugo-site"
    cp -r "$hugo_site" "$hsite"
    timed "hugo (cold): home + theme RSS" "$n" hugo --quiet --source "$hsite" \
      --contentDir "$content" --destination "$hsite/public" --cacheDir "$hsite/cache"
    feeds=$(find "$hsite/public" -name index.xml | wc -l)
    items=$(grep -c "<item>" "$hsite/public/index.xml" || true)
    ratio=$(awk -v h="$secs" -v c="$cold_secs" 'BEGIN{printf "%.2f", (c > 0 ? h / c : 0)}')
    record "hugo (cold): home + theme RSS" "$n" \
      "$feeds feeds, $items items in the home feed; ${ratio}x newsdesk's $cmp_note (${cold_secs} s)" \
      "\"feeds\":$feeds,\"home_items\":$items,\"newsdesk_cold_seconds\":$cold_secs,\"newsdesk_cold_peak_rss_kb\":$cold_kb,\"hugo_over_newsdesk\":$ratio"
    # Hugo has no incremental build outside `hugo server`: a second build with
    # nothing changed is the counterpart of newsdesk's no-op run.
    timed "hugo again (nothing changed)" "$n" hugo --quiet --source "$hsite" \
      --contentDir "$content" --destination "$hsite/public" --cacheDir "$hsite/cache"
    record "hugo again (nothing changed)" "$n" "compare: no-op run above (${noop_secs} s)"
  fi
  rm -rf "$run_dir"
  run_dir=""
done
total=$(( $(date +%s) - started ))
{
  printf '{\n"machine": %s,\n"date": "%s",\n"total_seconds": %s,\n"results": [\n' \
    "$machine_json" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$total"
  last=$(( ${#results[@]} - 1 ))
  for i in "${!results[@]}"; do
    printf ' %s%s\n' "${results[i]}" "$([ "$i" -lt "$last" ] && echo ,)"
  done
  printf ']}\n'
} > bench/results.json
echo "total: ${total} s; wrote bench/results.json"
