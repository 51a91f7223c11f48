#!/usr/bin/env bash
# Counts the sync system calls the listener makes per instance (docs/benchmarks.md, "Durable ingest"): runs
# `bin/radflow listen` (fsync on) under strace, sends 125 instances over one association, then all instances of
# bench/ingest.sh's input over eight associations at once, stops the server and prints the counts of fsync,
# fdatasync, fsetxattr and rename against the number of C-STOREs.
# Usage: bench/ingest-syncs.sh [RADFLOW_HOME]   (after bench/ingest.sh 1000 made its input; needs strace)
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR=${1:-.}
OUT=${BENCH_DIR:-bench/out}
SPLIT="$OUT/input-1000-split8"
[ -f "$SPLIT.complete" ] || { echo "run bench/ingest.sh 1000 first (it makes $SPLIT)" >&2; exit 1; }
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
export TCP_NODELAY=1
dir="$OUT/syncs"; rm -rf "$dir"; mkdir -p "$dir"
port=$((20000 + RANDOM % 20000))
printf 'server: {dataDir: %s}\nlistener: {bindAddress: 127.0.0.1, port: %s, fsync: true, minFreeSpaceMb: 0}\napi: {enabled: false}\n' \
  "$dir/data" "$port" > "$dir/radflow.yaml"
RADFLOW_LOG_LEVEL=WARN strace -f --seccomp-bpf -e trace=fsync,fdatasync,fsetxattr,rename,renameat,renameat2 -o "$dir/trace" \
  "$HOME_DIR/bin/radflow" listen --config "$dir/radflow.yaml" >"$dir/radflow.log" 2>&1 &
tracer=$!
for _ in $(seq 1 300); do echoscu -aec RADFLOW 127.0.0.1 "$port" >/dev/null 2>&1 && break; sleep 0.2; done
first=$(find "$SPLIT/0" -name '*.dcm' | wc -l)
all=$(find "$SPLIT" -name '*.dcm' | wc -l)
storescu -aec RADFLOW 127.0.0.1 "$port" +sd "$SPLIT/0" >/dev/null
pids=()
for a in $(ls "$SPLIT"); do storescu -aec RADFLOW 127.0.0.1 "$port" +sd "$SPLIT/$a" >/dev/null & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
kill "$(pgrep -P "$tracer")"   # the JVM strace runs: a graceful stop, which syncs the last batch of folders
wait "$tracer" 2>/dev/null || true
echo "C-STOREs: $((first + all)) ($first over one association, then $all over ${#pids[@]})"
for sc in fsync fdatasync fsetxattr rename renameat renameat2; do
  printf '  %-10s %s\n' "$sc" "$(grep -c " $sc(" "$dir/trace" || true)"
done
