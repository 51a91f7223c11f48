#!/usr/bin/env bash
# Ingest benchmark: N CT-size instances (512x512, 16 bit) sent by DCMTK storescu
#   - over one association to (a) DCMTK's storescp writing to disk, (b) the RadFlow listener with fsync off,
#     (c) with fsync on (the default: one sync per instance, see docs/architecture.md "Durable ingest");
#   - over eight associations at once (eight storescu processes, the instances split round-robin) to
#     (a) `storescp --fork` (one process per association), (b) RadFlow fsync off, (c) RadFlow fsync on.
# Contenders are interleaved in every round; each RadFlow server makes one full warm-up pass first, and `sync` runs
# before every measured pass so that no contender pays for the previous one's writeback. Before the rounds, an
# fdatasync micro-benchmark (dd oflag=dsync, appending to a new file: one write + one sync per block, as the
# listener's one sync per new file) states this disk's physical limit. Prints instances/s and MB/s (medians).
# Usage: bench/ingest.sh [COUNT] [RUNS]     (after 'make build'; 'make bench' does both)
#   BASELINE_HOME=<another built RadFlow tree>: adds that tree's listener with fsync on as a contender in every round
#   (e.g. the commit before a change: git archive <commit> | tar -x -C DIR, then build it there with mvn package).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-1000}
RUNS=${2:-3}
OUT=${BENCH_DIR:-bench/out}
LIB=orchestrator/target/lib
[ -f orchestrator/target/radflow-orchestrator.jar ] || { echo "build first: make build" >&2; exit 1; }
export TCP_NODELAY=1   # DCMTK leaves Nagle on otherwise (see shared PITFALLS)

mkdir -p "$OUT"
INPUT="$OUT/input-$COUNT"
if [ ! -f "$INPUT.complete" ]; then
  rm -rf "$INPUT"
  echo "generating $COUNT CT instances in $INPUT ..."
  java -cp "$LIB/*" org.radflow.testdata.SynthCli ct --out "$INPUT" --count "$COUNT" --seed 7 >/dev/null
  touch "$INPUT.complete"
fi
BYTES=$(find "$INPUT" -name '*.dcm' -printf '%s\n' | awk '{s+=$1} END {print s}')
FILES=$(find "$INPUT" -name '*.dcm' | wc -l)
ASSOCS=8
SPLIT="$INPUT-split$ASSOCS"
if [ ! -f "$SPLIT.complete" ]; then  # the same files, hard-linked round-robin into one folder per association
  rm -rf "$SPLIT"
  for a in $(seq 0 $((ASSOCS - 1))); do mkdir -p "$SPLIT/$a"; done
  i=0
  find "$INPUT" -name '*.dcm' | sort | while read -r f; do ln "$f" "$SPLIT/$((i % ASSOCS))/$(basename "$f")"; i=$((i + 1)); done
  touch "$SPLIT.complete"
fi

free_port() { # a port nothing listens on, from the ephemeral-free range
  local p
  while :; do p=$((20000 + RANDOM % 20000)); (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }; done
}
wait_echo() { # port ae
  for _ in $(seq 1 100); do echoscu -aec "$2" 127.0.0.1 "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server on port $1 did not answer C-ECHO" >&2; return 1
}
send() { # port ae -> seconds
  local t0 t1
  sync
  t0=$(date +%s.%N)
  storescu -aec "$2" 127.0.0.1 "$1" +sd "$INPUT" >/dev/null 2>"$OUT/storescu.err" || { cat "$OUT/storescu.err" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' 
}
send_parallel() { # port ae -> seconds for all ASSOCS associations at once
  local t0 t1 pids=() a ok=0
  sync
  t0=$(date +%s.%N)
  for a in $(seq 0 $((ASSOCS - 1))); do
    storescu -aec "$2" 127.0.0.1 "$1" +sd "$SPLIT/$a" >/dev/null 2>"$OUT/storescu-$a.err" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  t1=$(date +%s.%N)
  [ "$ok" -eq 0 ] || { cat "$OUT"/storescu-*.err >&2; return 1; }
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2==1) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run_radflow() { # fsync(true|false) [home] -> "seconds-1-association seconds-8-associations", one server, warm
  local fsync=$1 home=${2:-.} port dir cfg pid t1 t8
  {
    port=$(free_port); dir="$OUT/radflow-$fsync${2:+-baseline}"; rm -rf "$dir"; mkdir -p "$dir"
    cfg="$dir/radflow.yaml"
    printf 'server: {dataDir: %s}\nlistener: {bindAddress: 127.0.0.1, port: %s, fsync: %s, minFreeSpaceMb: 0}\napi: {enabled: false}\n' \
      "$dir/data" "$port" "$fsync" > "$cfg"
    RADFLOW_LOG_LEVEL=WARN "$home/bin/radflow" listen --config "$cfg" >"$dir/radflow.log" 2>&1 &
    pid=$!
    wait_echo "$port" RADFLOW
    # a full warm-up pass first: a server runs with a warm JIT, and the first pass pays for compilation
    send "$port" RADFLOW >/dev/null
    rm -rf "$dir/data/spool/incoming"
    t1=$(send "$port" RADFLOW)
    local n; n=$(find "$dir/data/spool/incoming" -name '*.dcm' | wc -l)
    [ "$n" -eq "$FILES" ] || { echo "RadFlow stored $n of $FILES" >&2; kill "$pid"; exit 1; }
    rm -rf "$dir/data/spool/incoming"
    t8=$(send_parallel "$port" RADFLOW)
    n=$(find "$dir/data/spool/incoming" -name '*.dcm' | wc -l)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [ "$n" -eq "$FILES" ] || { echo "RadFlow stored $n of $FILES over $ASSOCS associations" >&2; exit 1; }
  }
  echo "$t1 $t8"
}

run_storescp() { # [--fork] -> seconds (one association; with --fork, ASSOCS at once)
  local fork=${1:-} port dir pid t
  {
    port=$(free_port); dir="$OUT/storescp$fork"; rm -rf "$dir"; mkdir -p "$dir/in"
    storescp $fork --aetitle STORESCP -od "$dir/in" "$port" >"$dir/storescp.log" 2>&1 &
    pid=$!
    wait_echo "$port" STORESCP
    if [ -n "$fork" ]; then t=$(send_parallel "$port" STORESCP); else t=$(send "$port" STORESCP); fi
    local n; n=$(find "$dir/in" -type f | wc -l)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [ "$n" -eq "$FILES" ] || { echo "storescp $fork stored $n of $FILES" >&2; exit 1; }
  }
  echo "$t"
}

fdatasync_latency() { # block size -> median ms per dd write+sync, appending to a new file (5 x 200 blocks)
  local bs=$1 r s=()
  for r in 1 2 3 4 5; do
    rm -f "$OUT/dsync.bin"; sync
    s+=("$(dd if=/dev/zero of="$OUT/dsync.bin" bs="$bs" count=200 oflag=dsync 2>&1 | awk '/copied/ {print $(NF-3) * 1000 / 200}')")
  done
  rm -f "$OUT/dsync.bin"
  printf '%s\n' "${s[@]}" | median
}

echo "this disk: one write + fdatasync, appending to a new file (dd oflag=dsync, median of 5 x 200):" \
  "4 KiB $(fdatasync_latency 4k) ms, 512 KiB $(fdatasync_latency 512k) ms"
echo "instances: $FILES, $(awk -v b="$BYTES" 'BEGIN {printf "%.0f", b/1048576}') MiB, runs: $RUNS (median), TCP_NODELAY=1"
# interleaved, so that drift in this machine's disk and CPU hits all contenders alike
s_scp=(); s_off=(); s_on=(); s_fork=(); s_off8=(); s_on8=(); s_base=(); s_base8=()
BASE=${BASELINE_HOME:-}
for r in $(seq 1 "$RUNS"); do
  s_scp+=("$(run_storescp)"); s_fork+=("$(run_storescp --fork)")
  read -r a b <<<"$(run_radflow false)"; s_off+=("$a"); s_off8+=("$b")
  read -r a b <<<"$(run_radflow true)"; s_on+=("$a"); s_on8+=("$b")
  [ -z "$BASE" ] || { read -r a b <<<"$(run_radflow true "$BASE")"; s_base+=("$a"); s_base8+=("$b"); }
  echo "run $r: 1 association: storescp ${s_scp[-1]} s, fsync off ${s_off[-1]} s, fsync on ${s_on[-1]} s${BASE:+, baseline fsync on ${s_base[-1]} s};" \
    "$ASSOCS associations: storescp --fork ${s_fork[-1]} s, fsync off ${s_off8[-1]} s, fsync on ${s_on8[-1]} s${BASE:+, baseline fsync on ${s_base8[-1]} s}" >&2
done
med() { printf '%s\n' "$@" | median; }
t_scp=$(med "${s_scp[@]}"); t_off=$(med "${s_off[@]}"); t_on=$(med "${s_on[@]}")
t_fork=$(med "${s_fork[@]}"); t_off8=$(med "${s_off8[@]}"); t_on8=$(med "${s_on8[@]}")
row() { awk -v n="$1" -v t="$2" -v f="$FILES" -v b="$BYTES" 'BEGIN {printf "%-44s %8.2f s %9.1f inst/s %8.1f MB/s\n", n, t, f/t, b/1e6/t}'; }
row "1 assoc: DCMTK storescp (to disk)" "$t_scp"
row "1 assoc: RadFlow listener, fsync off" "$t_off"
row "1 assoc: RadFlow listener, fsync on" "$t_on"
row "$ASSOCS assocs: DCMTK storescp --fork" "$t_fork"
row "$ASSOCS assocs: RadFlow listener, fsync off" "$t_off8"
row "$ASSOCS assocs: RadFlow listener, fsync on" "$t_on8"
if [ -n "$BASE" ]; then
  t_base=$(med "${s_base[@]}"); t_base8=$(med "${s_base8[@]}")
  row "1 assoc: baseline listener, fsync on" "$t_base"
  row "$ASSOCS assocs: baseline listener, fsync on" "$t_base8"
  awk -v off="$t_off" -v b="$t_base" -v f="$t_fork" -v b8="$t_base8" -v off8="$t_off8" 'BEGIN {
    printf "baseline (%s): 1 association fsync on / fsync off %.2f; 8 associations fsync on / storescp --fork %.2f, / fsync off %.2f\n", ENVIRON["BASELINE_HOME"], off/b, f/b8, off8/b8 }'
fi
awk -v s="$t_scp" -v off="$t_off" -v on="$t_on" -v f="$t_fork" -v off8="$t_off8" -v on8="$t_on8" 'BEGIN {
  printf "1 association: fsync on / fsync off %.2f, relative to storescp: fsync off %.2f, fsync on %.2f\n", off/on, s/off, s/on
  printf "8 associations: fsync on / storescp --fork %.2f, fsync off / storescp --fork %.2f, fsync on / fsync off %.2f\n", f/on8, f/off8, off8/on8
}'
