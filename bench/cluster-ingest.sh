#!/usr/bin/env bash
# Cost of cluster replication at ingest (docs/benchmarks.md, "Cluster"): a two-node cluster (two bin/radflow JVMs,
# node-1 and node-2, one PostgreSQL started by the script with fsync on), listener fsync on (the default), no rules.
# COUNT CT-size instances (512x512, 16 bit) are sent by DCMTK storescu over one association to node-1, with
# cluster.replicationFactor 2 and 1 interleaved (RF1 RF2 RF1 RF2 ...), ROUNDS runs each. Every run starts both nodes
# afresh on a new database and makes one full warm-up pass (other instances, same size and split) before the measured
# one. Prints instances/s per run, the medians and the ratio RF2/RF1.
#   OWNERS half (default): half the instances belong to a study node-1 owns, half to a study node-2 owns.
#          receiver:       all belong to studies node-1 owns (RF1 then copies nothing: the whole cost of the copy).
# What each contender does per instance (SharedSpool.replicate, called before the C-STORE is answered):
#   RF2: node-1 writes and fsyncs the file, then PUTs it to the other node (the owner, or for its own studies the
#        backup), which writes and fsyncs it and answers 204; only then is the C-STORE answered. Every instance: 2 copies.
#   RF1: for a study node-1 owns, no copy at all; for a study node-2 owns, the same PUT to node-2, also awaited
#        before the answer (only a failure is tolerated: logged, and the instance is accepted with one copy).
# Usage: bench/cluster-ingest.sh [COUNT] [ROUNDS] [half|receiver]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-500}
ROUNDS=${2:-3}
OWNERS=${3:-half}
OUT=${BENCH_DIR:-bench/out}/cluster-ingest
export TCP_NODELAY=1   # DCMTK leaves Nagle on otherwise (see shared PITFALLS)
case "$OWNERS" in half|receiver) ;; *) echo "OWNERS must be half or receiver, not '$OWNERS'" >&2; exit 2 ;; esac

# the assembled server for bin/radflow (deploy/target/radflow/lib) and the benchmark's helpers; no 'mvn install'
mkdir -p "$OUT"
mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl deploy,orchestrator -am package -DskipTests \
  dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >"$OUT/build.log" 2>&1 \
  || { cat "$OUT/build.log" >&2; exit 1; }
CP="orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/bench.cp)"
helper() { java -cp "$CP" -Dlogback.configurationFile=bench/quiet-logback.xml "org.radflow.bench.$1" "${@:2}"; }

INPUT="$OUT/input-$COUNT-$OWNERS"
if [ ! -f "$INPUT.complete" ]; then
  rm -rf "$INPUT"
  echo "generating 2 x $COUNT CT instances in $INPUT ..."
  helper ClusterIngestInputs "$INPUT" "$COUNT" "$OWNERS" > "$INPUT.studies"
  touch "$INPUT.complete"
fi
FILES=$(find "$INPUT/measured" -name '*.dcm' | wc -l)
BYTES=$(find "$INPUT/measured" -name '*.dcm' -printf '%s\n' | awk '{s+=$1} END {print s}')
# what node-2 must hold of the measured studies after a run: everything with RF2, its own studies with RF1
OWN2=$(awk '$1 == "measured" && $3 == "node-2" {n += $4} END {print n + 0}' "$INPUT.studies")

# PostgreSQL, one database per run; its helper's standard input is fd 3 of this script, so it stops when we exit
PG="$OUT/postgres.out"
rm -f "$PG"
exec 3> >(helper BenchPostgres $((2 * ROUNDS)) > "$PG" 2>"$OUT/postgres.err")
for _ in $(seq 1 600); do grep -q '^READY' "$PG" 2>/dev/null && break; sleep 0.2; done
grep -q '^READY' "$PG" || { echo "PostgreSQL did not start:" >&2; cat "$OUT/postgres.err" >&2; exit 1; }
mapfile -t DBS < <(grep '^jdbc:' "$PG")

NODES=()
stop_nodes() {
  local p
  for p in "${NODES[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${NODES[@]}"; do wait "$p" 2>/dev/null || true; done
  NODES=()
}
finish() {
  stop_nodes
  exec 3>&-   # PostgreSQL's helper sees the end of its input, stops the server and deletes its folder
  for _ in $(seq 1 150); do grep -q '^STOPPED' "$PG" 2>/dev/null && break; sleep 0.2; done
}
trap finish EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_echo() { # port
  for _ in $(seq 1 300); do echoscu -aec RADFLOW 127.0.0.1 "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "node on DICOM port $1 did not answer C-ECHO" >&2; return 1
}
wait_cluster() { # api-port: until this node sees both members
  for _ in $(seq 1 600); do
    [ "$(curl -sf "http://127.0.0.1:$1/api/cluster" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("size", 0))' 2>/dev/null)" = 2 ] && return 0
    sleep 0.2
  done
  echo "the cluster of two did not form (node with API port $1)" >&2; return 1
}
send() { # dicom-port folder -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  storescu -aec RADFLOW 127.0.0.1 "$1" +sd +r "$2" >/dev/null 2>"$OUT/storescu.err" || { cat "$OUT/storescu.err" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
held() { # node-dir set -> instances of that set's studies in the node's spool
  local n=0 uid
  for uid in $(awk -v s="$2" '$1 == s {print $2}' "$INPUT.studies"); do
    [ -d "$1/spool/incoming/$uid" ] && n=$((n + $(find "$1/spool/incoming/$uid" -name '*.dcm' | wc -l)))
  done
  echo "$n"
}

RUN=0
run_cluster() { # rf -> seconds of the measured pass
  local rf=$1 dir i t h1 h2 want2
  {
    RUN=$((RUN + 1)); dir="$OUT/run-$RUN-rf$rf"; rm -rf "$dir"; mkdir -p "$dir"
    echo "bench-secret-$(date +%s%N)" > "$dir/secret"
    local dp=("" "$(free_port)" "$(free_port)") ap=("" "$(free_port)" "$(free_port)")
    local hp=("" "$(free_port)" "$(free_port)") pp=("" "$(free_port)" "$(free_port)")
    for i in 1 2; do
      cat > "$dir/node-$i.yaml" <<YAML
server: {dataDir: $dir/node-$i, nodeName: node-$i}
listener: {bindAddress: 127.0.0.1, port: ${dp[$i]}, minFreeSpaceMb: 0}
api: {bindAddress: 127.0.0.1, port: ${ap[$i]}}
viewer: {enabled: false}
store: {url: '${DBS[$((RUN - 1))]}', user: radflow}
cluster: {enabled: true, name: bench-$RUN, bindAddress: 127.0.0.1, port: ${hp[$i]}, minSize: 2,
          members: ['127.0.0.1:${hp[1]}', '127.0.0.1:${hp[2]}'], peerPort: ${pp[$i]}, secretFile: $dir/secret,
          replicationFactor: $rf}
YAML
      RADFLOW_LOG_LEVEL=WARN bin/radflow serve --config "$dir/node-$i.yaml" >"$dir/node-$i.log" 2>&1 3>&- &
      NODES+=($!)
    done
    wait_echo "${dp[1]}"; wait_echo "${dp[2]}"
    wait_cluster "${ap[1]}"; wait_cluster "${ap[2]}"
    # a full warm-up pass first (other studies): a server runs with a warm JIT, and so do its peer endpoints
    send "${dp[1]}" "$INPUT/warmup" >/dev/null
    t=$(send "${dp[1]}" "$INPUT/measured")
    h1=$(held "$dir/node-1" measured); h2=$(held "$dir/node-2" measured)
    stop_nodes
    want2=$([ "$rf" = 2 ] && echo "$FILES" || echo "$OWN2")
    # the contenders did what the comparison assumes: node-1 holds all, node-2 the copies
    [ "$h1" -eq "$FILES" ] && [ "$h2" -eq "$want2" ] || {
      echo "RF$rf run $RUN: node-1 holds $h1 of $FILES, node-2 $h2 (expected $want2); logs in $dir" >&2; exit 1; }
    rm -rf "$dir/node-1/spool" "$dir/node-2/spool"   # up to 2 x COUNT x 0.5 MB per node; the logs stay
  } >&2
  echo "$t"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2==1) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rate() { awk -v f="$FILES" -v t="$1" 'BEGIN {printf "%.1f", f / t}'; }

echo "instances: $FILES per pass ($(awk -v b="$BYTES" 'BEGIN {printf "%.0f", b/1048576}') MiB; owners: $OWNERS, node-2 owns $OWN2)," \
  "one association to node-1, TCP_NODELAY=1, listener fsync on, PostgreSQL fsync on; rounds: $ROUNDS"
R1=(); R2=()
for r in $(seq 1 "$ROUNDS"); do
  t=$(run_cluster 1) || exit 1; R1+=("$(rate "$t")"); echo "round $r: RF1 $t s, ${R1[-1]} inst/s"
  t=$(run_cluster 2) || exit 1; R2+=("$(rate "$t")"); echo "round $r: RF2 $t s, ${R2[-1]} inst/s"
done
m1=$(printf '%s\n' "${R1[@]}" | median); m2=$(printf '%s\n' "${R2[@]}" | median)
echo "RF1: ${R1[*]} inst/s, median $m1 inst/s ($(awk -v m="$m1" -v b="$BYTES" -v f="$FILES" 'BEGIN {printf "%.1f", m * b / f / 1e6}') MB/s)"
echo "RF2: ${R2[*]} inst/s, median $m2 inst/s ($(awk -v m="$m2" -v b="$BYTES" -v f="$FILES" 'BEGIN {printf "%.1f", m * b / f / 1e6}') MB/s)"
awk -v a="$m2" -v b="$m1" 'BEGIN {printf "throughput ratio RF2/RF1: %.2f\n", a / b}'
