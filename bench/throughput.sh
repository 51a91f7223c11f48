#!/usr/bin/env bash
# Sustained throughput (issue 16, docs/benchmarks.md "Sustained throughput (covidnet, burst of N studies)"): the assembled
# server (deploy/target/radflow of this tree, as installed: bin/radflow serve, default -Xmx2g, module isolation
# process) with covidnet's demo model routed for CR/DX, delivering its reports to a real Orthanc (C-STORE). Per run:
# a fresh data folder and Orthanc; WARMUP single-image studies first (delivered before anything is measured: JIT,
# worker start), then N distinct single-image studies (one 2048x2048 16-bit DX each, own Study/Series/SOP UIDs) in one
# burst (one storescu association), waiting until Orthanc holds every result. Reports per run:
#   - studies/hour: N / (first send -> last delivered), delivered = the outbox's sentAt (C-STORE acknowledged);
#   - latency p50/p95 receive -> delivered per study (study firstReceived, i.e. the instance stored in the spool, to
#     the last sentAt of its job's deliveries; from GET /api/studies/{uid} and GET /api/jobs/{id});
#   - the module's share: the sum of the jobs' moduleRunMs (the module's own process() time per attempt) over the CPU
#     time (utime + stime, /proc/<pid>/stat) of the server and its worker processes during the burst; the platform's
#     share is the rest (decoding, reports, journal, delivery, ingest of the burst itself);
#   - peak RSS: VmHWM of the server and the sum over its workers (/proc/<pid>/status, sampled every 0.2 s);
#   - failures: jobs not SUCCEEDED or not delivered (must be 0).
# Concurrency 1 and 2 (modules.covidnet.maxConcurrentJobs), interleaved in every round (the order alternates; with
# BASELINE_HOME, which tree goes first alternates as well).
# Usage: bench/throughput.sh [N] [ROUNDS]      (defaults 200 3; e.g. N=20 while developing)
#   SIZE=ROWSxCOLS (default 2048x2048), WARMUP (default 5), CONCURRENCY (default "1 2"), TIMEOUT per burst (s, 900)
#   THREADS=1: also the server's and the workers' CPU per study by thread name (intake, reporter, outbox, GC, JIT ...)
#   KEEP=1: keep each run's folder (server log, data, Orthanc) in /tmp; RADFLOW_JAVA_OPTS reaches the server's JVM
#   SKIP_BUILD=1: use deploy/target/radflow as it is (else: mvn package -pl deploy -am -DskipTests, offline)
#   BASELINE_HOME=<another assembled tree, e.g. /tmp/base-tp/deploy/target/radflow>: run it too, in the same rounds
# Results: bench/out/throughput-<UTC time>.txt (one JSON line per run, then the medians).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
ROUNDS=${2:-3}
SIZE=${SIZE:-2048x2048}
WARMUP=${WARMUP:-5}
CONCURRENCY=${CONCURRENCY:-1 2}
TIMEOUT=${TIMEOUT:-900}
BASE=${BASELINE_HOME:-}
PY=/usr/bin/python3   # Debian's, with pydicom (see shared PITFALLS)
HELPER=$PWD/bench/throughput.py
OUT=$(mkdir -p "${BENCH_DIR:-bench/out}" && cd "${BENCH_DIR:-bench/out}" && pwd)
RESULT="$OUT/throughput-$(date -u +%Y%m%dT%H%M%SZ).txt"
export TCP_NODELAY=1  # DCMTK (storescu) and Orthanc leave Nagle on otherwise

if [ -z "${SKIP_BUILD:-}" ] || [ ! -x deploy/target/radflow/bin/radflow ]; then
  echo "building deploy/target/radflow ..."
  mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -DskipTests package -pl deploy -am >/dev/null
fi
HOME_A=$PWD/deploy/target/radflow
[ -z "$BASE" ] || [ -x "$BASE/bin/radflow" ] || { echo "BASELINE_HOME=$BASE has no bin/radflow" >&2; exit 1; }

# inputs: one synthetic radiograph, copied into WARMUP + N studies of their own (kept between runs of this script)
IN="$OUT/throughput-input-$SIZE-$WARMUP-$N"
if [ ! -f "$IN.complete" ]; then
  rm -rf "$IN"; mkdir -p "$IN/base" "$IN/all" "$IN/warmup" "$IN/burst"
  echo "generating $WARMUP + $N studies ($SIZE DX) in $IN ..."
  java -cp "$HOME_A/lib/*" org.radflow.testdata.SynthCli chest --out "$IN/base" --size "$SIZE" --seed 16 >/dev/null
  "$PY" "$HELPER" studies "$(ls "$IN"/base/*.dcm | sed -n 1p)" "$IN/all" $((WARMUP + N))
  ls "$IN"/all/study-*.dcm | sed -n "1,${WARMUP}p" | xargs -r ln -t "$IN/warmup"
  ls "$IN"/all/study-*.dcm | tail -n "$N" | xargs ln -t "$IN/burst"
  tail -n "$N" "$IN/all/uids.txt" > "$IN/burst.uids"
  touch "$IN.complete"
fi

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
up() { # url tries
  local i; for i in $(seq 1 "$2"); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; return 1
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2==1) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

run() { # label home concurrency -> appends one JSON line to $RESULT
  local label=$1 home=$2 conc=$3 dir ohttp odicom dicom api opid rpid mpid t0 objects rc=0
  dir=$(mktemp -d /tmp/radflow-throughput.XXXXXX)
  ohttp=$(free_port); odicom=$(free_port); dicom=$(free_port); api=$(free_port)
  mkdir -p "$dir/orthanc"
  cat > "$dir/orthanc.json" <<JSON
{"Name": "radflow-throughput", "HttpServerEnabled": true, "HttpPort": $ohttp, "RemoteAccessAllowed": false,
 "AuthenticationEnabled": false, "SslEnabled": false, "KeepAlive": true, "TcpNoDelay": true,
 "DicomServerEnabled": true, "DicomAet": "ORTHANC", "DicomPort": $odicom, "DicomCheckCalledAet": false,
 "DicomAlwaysAllowEcho": true, "DicomAlwaysAllowStore": true, "DicomCheckModalityHost": false,
 "StorageDirectory": "$dir/orthanc", "IndexDirectory": "$dir/orthanc", "StorageCompression": false,
 "SaveJobs": false, "Plugins": [], "LuaScripts": [], "DicomModalities": {}}
JSON
  Orthanc "$dir/orthanc.json" >"$dir/orthanc.log" 2>&1 & opid=$!; PIDS+=("$opid")
  cat > "$dir/radflow.yaml" <<YAML
server: {dataDir: $dir/data}
listener: {bindAddress: 127.0.0.1, port: $dicom, minFreeSpaceMb: 0}
api: {bindAddress: 127.0.0.1, port: $api}
viewer: {enabled: false}
modules:
  covidnet: {maxConcurrentJobs: $conc, config: {model: demo}}
rules:
  - {name: chest, module: covidnet, destinations: [pacs], match: {Modality: [CR, DX]}}
destinations:
  pacs: {type: dicom, aeTitle: ORTHANC, host: 127.0.0.1, port: $odicom}
YAML
  RADFLOW_LOG_LEVEL=WARN "$home/bin/radflow" serve --config "$dir/radflow.yaml" >"$dir/server.log" 2>&1 & rpid=$!
  PIDS+=("$rpid")
  up "http://127.0.0.1:$ohttp/system" 60 || { echo "Orthanc did not start ($dir/orthanc.log)" >&2; return 1; }
  up "http://127.0.0.1:$api/api/health" 120 || { echo "RadFlow did not start ($dir/server.log)" >&2; return 1; }
  # warm-up: JIT and the module's worker; also gives the number of objects each job delivers
  storescu -aec RADFLOW 127.0.0.1 "$dicom" +sd "$IN/warmup" >/dev/null
  objects=$("$PY" "$HELPER" warm "http://127.0.0.1:$ohttp" "http://127.0.0.1:$api" "$WARMUP" 300) || rc=1
  if [ "$rc" -eq 0 ]; then
    "$PY" "$HELPER" monitor "$rpid" "$dir/monitor.json" & mpid=$!
    for _ in $(seq 1 300); do [ -f "$dir/monitor.json.ready" ] && break; sleep 0.1; done  # its first sample taken
    t0=$(date +%s.%N)
    storescu -aec RADFLOW 127.0.0.1 "$dicom" +sd "$IN/burst" >/dev/null 2>"$dir/storescu.err" || { cat "$dir/storescu.err" >&2; rc=1; }
    "$PY" "$HELPER" wait "http://127.0.0.1:$ohttp" "http://127.0.0.1:$api" $((objects * (WARMUP + N))) "$TIMEOUT" || rc=1
    kill "$mpid"; wait "$mpid" || true
    "$PY" "$HELPER" report "http://127.0.0.1:$api" "$IN/burst.uids" "$t0" "$dir/monitor.json" "$label c$conc" \
      | tee -a "$RESULT" || rc=1
  fi
  kill "$rpid" 2>/dev/null || true; wait "$rpid" 2>/dev/null || true  # RadFlow first: nothing left to deliver
  kill "$opid" 2>/dev/null || true; wait "$opid" 2>/dev/null || true
  if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$dir"; else echo "run $label c$conc: its files are in $dir" >&2; fi
  return "$rc"
}

{
  echo "# bench/throughput.sh $N $ROUNDS: $N studies ($SIZE DX, one instance each) per burst, warm-up $WARMUP," \
    "concurrency ${CONCURRENCY}, $(nproc) cores; this tree $HOME_A${BASE:+, baseline $BASE}"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULT"
for r in $(seq 1 "$ROUNDS"); do
  order=$CONCURRENCY; (( r % 2 )) || order=$(echo "$CONCURRENCY" | tr ' ' '\n' | tac | tr '\n' ' ')
  for c in $order; do
    echo "# round $r, concurrency $c (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$RESULT"
    # which tree goes first alternates too (odd rounds this tree, even rounds the baseline)
    if [ -n "$BASE" ] && ! (( r % 2 )); then
      run baseline "$BASE" "$c" || echo "# run baseline c$c failed" | tee -a "$RESULT"
    fi
    run this "$HOME_A" "$c" || echo "# run this c$c failed" | tee -a "$RESULT"
    if [ -n "$BASE" ] && (( r % 2 )); then
      run baseline "$BASE" "$c" || echo "# run baseline c$c failed" | tee -a "$RESULT"
    fi
  done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULT"
# medians over the rounds, per contender and concurrency
"$PY" - "$RESULT" <<'PY' | tee -a "$RESULT"
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
keys = ["studies_per_hour", "latency_p50_ms", "latency_p95_ms", "queue_p50_ms", "run_p50_ms", "module_p50_ms",
        "module_share", "platform_share", "worker_cpu_share", "module_share_of_run", "cpu_ms_per_study",
        "server_cpu_ms_per_study", "worker_cpu_ms_per_study", "cpu_busy", "rss_server_mb", "rss_workers_mb", "failures"]
for label in dict.fromkeys(r["label"] for r in runs):
    rs = [r for r in runs if r["label"] == label]
    med = {k: statistics.median(r[k] for r in rs) for k in keys if all(r[k] is not None for r in rs)}
    print(f"median of {len(rs)} {label}: " + ", ".join(f"{k} {v:g}" for k, v in med.items())
          + f"; failures per run {[r['failures'] for r in rs]}")
PY
