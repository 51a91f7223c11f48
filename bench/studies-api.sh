#!/usr/bin/env bash
# Studies API: the received-studies index (this checkout) against the spool scan (BASELINE_HOME, a tree built from
# 9023ed0, the commit before the index), docs/benchmarks.md "Studies API: index vs spool scan".
# For each spool size (SIZES, default "10 10000" studies of one CT series of INSTANCES (3) instances each, written
# straight into the spool's layout by bench/StudiesSpool.java, hard-linked into each server's data directory) and each
# round, both trees are started as real servers (bin/radflow serve, API on loopback) in alternating order; per server:
#   - start: launch -> GET /api/studies answers 200 (for this checkout the first start builds the index from the spool,
#     as after an upgrade from schema 6; the server is then stopped cleanly and started again, which only checks each
#     series folder's time: both are reported, the second start's server is the one measured);
#   - WARM requests of each kind first (JIT), then REQS of GET /api/studies?limit=50 and REQS of GET /api/studies/{uid}
#     (a different study each time, the same sequence for both trees), one curl keeping its connection open; each
#     request's time_total. Prints p50/p95 per tree, size and round, and the medians of the rounds.
# Usage: BASELINE_HOME=/tmp/base-index bench/studies-api.sh [ROUNDS] [REQS]     (defaults 3 40)
#   build first, in this checkout and in the baseline tree: mvn -B -o -Dohif.skip=true -DskipTests package -pl deploy -am
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD
BASE=${BASELINE_HOME:?set BASELINE_HOME to a built RadFlow tree of the baseline commit (e.g. git worktree add /tmp/base-index 9023ed0, then package there)}
ROUNDS=${1:-3}
REQS=${2:-40}
WARM=${WARM:-10}
SIZES=${SIZES:-"10 10000"}
INSTANCES=${INSTANCES:-3}
LIB=deploy/target/radflow/lib
for t in "$HERE" "$BASE"; do
  ls "$t"/$LIB/radflow-orchestrator*.jar >/dev/null 2>&1 || { echo "not built: $t ($LIB)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/radflow-studies-api.XXXXXX)
PID=
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() {
  local p
  while :; do p=$((20000 + RANDOM % 20000)); (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }; done
}
now_ms() { date +%s%3N; }
uid() { echo "1.2.826.0.1.3680043.10.1600.$1"; }

for n in $SIZES; do
  echo "writing a spool of $n studies x $INSTANCES instances ..."
  java -cp "$LIB/*" bench/StudiesSpool.java "$WORK/spool-$n" "$n" "$INSTANCES"
done

start() { # home dir -> sets PID and START_MS (launch -> the studies API answers)
  local home=$1 dir=$2 t0 i
  t0=$(now_ms)
  RADFLOW_HOME=$home "$home/bin/radflow" serve --config "$dir/radflow.yaml" >>"$dir/server.log" 2>&1 &
  PID=$!
  for i in $(seq 1 1200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/api/studies?limit=1")" = 200 ] && break
    kill -0 "$PID" 2>/dev/null || { echo "server in $dir died:" >&2; tail -20 "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  START_MS=$(( $(now_ms) - t0 ))
}
stop() {
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}
requests() { # kind count offset n -> one "code seconds" line per request
  local kind=$1 count=$2 off=$3 n=$4 cfg i
  cfg=$(mktemp "$WORK/curl.XXXXXX")
  for i in $(seq 1 "$count"); do
    if [ "$kind" = list ]; then
      echo "url = \"http://127.0.0.1:$API/api/studies?limit=50\""
    else
      echo "url = \"http://127.0.0.1:$API/api/studies/$(uid $(( 1 + ((i + off) * 7919) % n )))\""
    fi
    echo 'output = "/dev/null"'
  done > "$cfg"
  curl -s -K "$cfg" -w '%{http_code} %{time_total}\n'
}
pct() { # p (50|95) <- seconds per line -> ms
  sort -g | awk -v p="$1" '{v[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; printf "%.1f", v[i]*1000}'
}
measure() { # kind n -> "p50 p95"
  local out
  requests "$1" "$WARM" 100000 "$2" >/dev/null
  out=$(requests "$1" "$REQS" 0 "$2")
  if echo "$out" | grep -qv '^200 '; then echo "non-200 answers for $1: $(echo "$out" | grep -v '^200 ' | head -3)" >&2; exit 1; fi
  echo "$(echo "$out" | cut -d' ' -f2 | pct 50) $(echo "$out" | cut -d' ' -f2 | pct 95)"
}

declare -A R
run() { # who home n
  local who=$1 home=$2 n=$3 dir s1 s2="" list study idx
  dir="$WORK/run-$who-$n"; rm -rf "$dir"; mkdir -p "$dir/data/spool"
  cp -al "$WORK/spool-$n" "$dir/data/spool/incoming"
  API=$(free_port)
  cat > "$dir/radflow.yaml" <<YAML
server: {dataDir: $dir/data}
listener: {bindAddress: 127.0.0.1, port: $(free_port), minFreeSpaceMb: 0}
api: {bindAddress: 127.0.0.1, port: $API}
viewer: {enabled: false}
tracking: {retentionDays: 0}
YAML
  start "$home" "$dir"; s1=$START_MS
  if [ "$who" = index ]; then
    stop
    start "$home" "$dir"; s2=$START_MS
    idx=$(grep -o 'index checked against the spool in [0-9]* ms' "$dir/server.log" | grep -o '[0-9]* ms' | tr '\n' ' ')
  fi
  list=$(measure list "$n")
  study=$(measure study "$n")
  stop
  R[$who.$n.list]+="${list%% *} "; R[$who.$n.list95]+="${list##* } "
  R[$who.$n.study]+="${study%% *} "; R[$who.$n.study95]+="${study##* } "
  R[$who.$n.start]+="$s1 "; [ -z "$s2" ] || R[$who.$n.start2]+="$s2 "
  echo "  $who, $n studies: start ${s1} ms${s2:+ (index built from the spool; restarted: $s2 ms; index checks: $idx)};" \
       "GET /api/studies?limit=50 p50/p95 ${list/ //} ms; GET /api/studies/{uid} p50/p95 ${study/ //} ms" \
       "(load $(cut -d' ' -f1-3 /proc/loadavg))"
}

for r in $(seq 1 "$ROUNDS"); do
  for n in $SIZES; do
    if (( r % 2 )); then order="index baseline"; else order="baseline index"; fi
    for who in $order; do
      if [ "$who" = index ]; then run index "$HERE" "$n"; else run baseline "$BASE" "$n"; fi
    done
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo "medians of $ROUNDS rounds ($REQS requests each; load at the end $(cut -d' ' -f1-3 /proc/loadavg)):"
for n in $SIZES; do
  for who in index baseline; do
    echo "  $who, $n studies: list p50 $(median ${R[$who.$n.list]}) ms, p95 $(median ${R[$who.$n.list95]}) ms;" \
         "study p50 $(median ${R[$who.$n.study]}) ms, p95 $(median ${R[$who.$n.study95]}) ms;" \
         "start $(median ${R[$who.$n.start]}) ms${R[$who.$n.start2]:+, restart $(median ${R[$who.$n.start2]}) ms}"
  done
  echo "  $n studies, list p50 ratio baseline/index: $(awk -v a="$(median ${R[baseline.$n.list]})" -v b="$(median ${R[index.$n.list]})" 'BEGIN {printf "%.1f", a / b}')," \
       "study p50 ratio: $(awk -v a="$(median ${R[baseline.$n.study]})" -v b="$(median ${R[index.$n.study]})" 'BEGIN {printf "%.1f", a / b}')"
done
