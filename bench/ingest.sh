#!/usr/bin/env bash
# Ingest benchmark: N CT-size instances (512x512, 16 bit) sent by DCMTK storescu over one
# association to (a) the RadFlow listener with per-file fsync on, (b) with fsync off, and
# (c) DCMTK's storescp writing to disk. Prints instances/s and MB/s (median of RUNS runs).
# Usage: bench/ingest.sh [COUNT] [RUNS]     (after 'make build'; 'make bench' does both)
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
  t0=$(date +%s.%N)
  storescu -aec "$2" 127.0.0.1 "$1" +sd "$INPUT" >/dev/null 2>"$OUT/storescu.err" || { cat "$OUT/storescu.err" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' 
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2==1) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

run_radflow() { # fsync(true|false) -> seconds of one measured pass
  local fsync=$1 port dir cfg pid t
  {
    port=$(free_port); dir="$OUT/radflow-$fsync"; rm -rf "$dir"; mkdir -p "$dir"
    cfg="$dir/radflow.yaml"
    printf 'server: {dataDir: %s}\nlistener: {bindAddress: 127.0.0.1, port: %s, fsync: %s, minFreeSpaceMb: 0}\napi: {enabled: false}\n' \
      "$dir/data" "$port" "$fsync" > "$cfg"
    RADFLOW_LOG_LEVEL=WARN bin/radflow listen --config "$cfg" >"$dir/radflow.log" 2>&1 &
    pid=$!
    wait_echo "$port" RADFLOW
    # a full warm-up pass first: a server runs with a warm JIT, and the first pass pays for compilation
    send "$port" RADFLOW >/dev/null
    rm -rf "$dir/data/spool/incoming"
    t=$(send "$port" RADFLOW)
    local n; n=$(find "$dir/data/spool/incoming" -name '*.dcm' | wc -l)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [ "$n" -eq "$FILES" ] || { echo "RadFlow stored $n of $FILES" >&2; exit 1; }
  }
  echo "$t"
}

run_storescp() {
  local port dir pid t
  {
    port=$(free_port); dir="$OUT/storescp"; rm -rf "$dir"; mkdir -p "$dir/in"
    storescp --aetitle STORESCP -od "$dir/in" "$port" >"$dir/storescp.log" 2>&1 &
    pid=$!
    wait_echo "$port" STORESCP
    t=$(send "$port" STORESCP)
    local n; n=$(find "$dir/in" -type f | wc -l)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [ "$n" -eq "$FILES" ] || { echo "storescp stored $n of $FILES" >&2; exit 1; }
  }
  echo "$t"
}

echo "instances: $FILES, $(awk -v b="$BYTES" 'BEGIN {printf "%.0f", b/1048576}') MiB, runs: $RUNS (median), one association each, TCP_NODELAY=1"
# interleaved, so that drift in this machine's disk and CPU hits all three alike
s_scp=(); s_off=(); s_on=()
for r in $(seq 1 "$RUNS"); do
  s_scp+=("$(run_storescp)"); s_off+=("$(run_radflow false)"); s_on+=("$(run_radflow true)")
  echo "run $r: storescp ${s_scp[-1]} s, fsync off ${s_off[-1]} s, fsync on ${s_on[-1]} s" >&2
done
t_scp=$(printf '%s\n' "${s_scp[@]}" | median)
t_off=$(printf '%s\n' "${s_off[@]}" | median)
t_on=$(printf '%s\n' "${s_on[@]}" | median)
row() { awk -v n="$1" -v t="$2" -v f="$FILES" -v b="$BYTES" 'BEGIN {printf "%-34s %8.2f s %9.1f inst/s %8.1f MB/s\n", n, t, f/t, b/1e6/t}'; }
row "DCMTK storescp (to disk)" "$t_scp"
row "RadFlow listener, fsync off" "$t_off"
row "RadFlow listener, fsync on" "$t_on"
awk -v s="$t_scp" -v off="$t_off" -v on="$t_on" \
  'BEGIN {printf "throughput relative to storescp: fsync off %.2f, fsync on %.2f\n", s/off, s/on}' 
