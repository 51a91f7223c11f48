#!/usr/bin/env bash
# COVID-Net job: the platform's share of one job (docs/benchmarks.md, "COVID-Net module", issue 16).
# N single-image DX chest studies (ROWSxCOLS, 16 bit, windowed) through a real server (bin/radflow serve, covidnet with
# its demo model, the lane's default of one concurrent job, isolation as configured by default) with a DICOM destination
# (DCMTK storescp), sent one at a time: each study is sent once the previous job has ended. Two server trees in the
# same run, rounds alternating which goes first: this tree and a baseline tree (default /tmp/base-pf, a worktree of
# 9023ed0 packaged with `mvn -B -q -o -Dohif.skip=true -DskipTests package -pl deploy -am`).
# Reported per tree: job p50/p95 (startedAt -> finishedAt: module, SR, report page, outbox journaled), the module's run
# p50 (moduleRunMs: its process() call, which includes decoding the pixel data it asks for), and CPU per study of the
# server process and of its worker processes (utime + stime from /proc over the measured studies, intake and delivery
# included), then the platform's CPU per study and its share of the job p50 (see docs/benchmarks.md for the split).
# Usage: bench/covidnet-job.sh [STUDIES] [WARMUP] [ROUNDS] [ROWSxCOLS]     env: BASE=/path/to/baseline/tree
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40}
WARMUP=${2:-10}
ROUNDS=${3:-3}
SIZE=${4:-2048x2048}
BASE=${BASE:-/tmp/base-pf}
ROWS=${SIZE%x*}; COLS=${SIZE#*x}
export TCP_NODELAY=1
mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl deploy,orchestrator -am package -DskipTests \
  dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
[ -x "$BASE/deploy/target/radflow/bin/radflow" ] || { echo "no baseline server tree in $BASE/deploy/target/radflow" >&2; exit 1; }
CP="orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/bench.cp)"
WORK=$(mktemp -d /tmp/radflow-cnjob.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
java -cp "$CP" -Dlogback.configurationFile=bench/quiet-logback.xml org.radflow.bench.CovidNetJobStudies "$WORK/studies" \
  $((N + WARMUP)) "$ROWS" "$COLS" >/dev/null
STUDIES=("$WORK"/studies/study-*)
mkdir -p "$WORK/decode-cpu"
(cd orchestrator/target/test-classes && jar --create --file "$WORK/decode-cpu/bench.jar" org/radflow/bench/DecodeCpu.class)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { # utime + stime of a process and its children (workers), in clock ticks
  local p t=0 s
  for p in "$@"; do
    s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + $(echo "$s" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
finished() { # jobs in a final state
  curl -s "http://127.0.0.1:$1/api/jobs?limit=1000" | python3 -c 'import json, sys
print(sum(1 for j in json.load(sys.stdin)["jobs"] if j["state"] in ("SUCCEEDED", "FAILED", "NOT_APPLICABLE", "TIMED_OUT")))'
}
HZ=$(getconf CLK_TCK)

run() { # label tree round
  local label=$1 tree=$2 round=$3 dir="$WORK/$1-$3" dicom api dest pid sp i done=0 kids t0s t0w t1s t1w
  dicom=$(free_port); api=$(free_port); dest=$(free_port)
  mkdir -p "$dir/data" "$dir/received"
  cat > "$dir/radflow.yaml" <<YAML
server: {dataDir: $dir/data}
listener: {bindAddress: 127.0.0.1, port: $dicom, minFreeSpaceMb: 0}
api: {bindAddress: 127.0.0.1, port: $api}
tracking: {seriesQuietSeconds: 0, studyQuietSeconds: 3600}
modules:
  covidnet: {config: {model: demo}}
destinations:
  pacs: {type: dicom, aeTitle: STORESCP, host: 127.0.0.1, port: $dest}
rules:
  - {name: chest, module: covidnet, match: {Modality: [CR, DX]}, destinations: [pacs]}
YAML
  # the platform's work inside the worker (header, decoding the plane), alone, with this tree's classes
  java -Xmx2g -cp "$WORK/decode-cpu/bench.jar:$tree/deploy/target/radflow/lib/*" -Dlogback.configurationFile=bench/quiet-logback.xml \
    org.radflow.bench.DecodeCpu "${STUDIES[0]}" 20 40 | sed "s/^/$label round $round: /" | tee -a "$WORK/rows.txt"
  storescp -aet STORESCP -od "$dir/received" "$dest" >/dev/null 2>&1 &
  sp=$!
  # JFR=1: a flight recording of the server (execution samples) in bench/out/covidnet-job-<tree>-<round>.jfr
  local opts="-Xmx2g"
  [ -n "${JFR:-}" ] && opts="$opts -XX:StartFlightRecording=filename=$PWD/bench/out/covidnet-job-$label-$round.jfr,settings=profile"
  mkdir -p bench/out
  RADFLOW_JAVA_OPTS="$opts" RADFLOW_LOG_LEVEL=WARN "$tree/deploy/target/radflow/bin/radflow" serve --config "$dir/radflow.yaml" >"$dir/server.log" 2>&1 &
  pid=$!
  for i in $(seq 1 240); do curl -sf "http://127.0.0.1:$api/api/health" >/dev/null && break; sleep 0.5; done
  sleep 3
  send() { # study index: send it and wait for its job to end
    storescu -aec RADFLOW 127.0.0.1 "$dicom" "${STUDIES[$1]}"/*.dcm
    done=$((done + 1))
    for i in $(seq 1 1200); do [ "$(finished "$api")" -ge "$done" ] && return; sleep 0.05; done
    echo "job $done did not end" >&2
  }
  for i in $(seq 0 $((WARMUP - 1))); do send "$i"; done
  sleep 1
  kids=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
  t0s=$(ticks "$pid"); t0w=$(ticks $kids)
  for i in $(seq "$WARMUP" $((WARMUP + N - 1))); do send "$i"; done
  sleep 1 # the last delivery
  kids=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
  t1s=$(ticks "$pid"); t1w=$(ticks $kids)
  curl -s "http://127.0.0.1:$api/api/jobs?limit=1000" > "$dir/jobs.json"
  python3 - "$dir/jobs.json" "$label" "$round" "$N" "$(( (t1s - t0s) * 1000 / HZ ))" "$(( (t1w - t0w) * 1000 / HZ ))" \
    "$(ls "$dir/received" | wc -l)" "$(cat /proc/loadavg | cut -d' ' -f1-3)" <<'PY' | tee -a "$WORK/rows.txt"
import json, sys
from datetime import datetime
path, label, rnd, n, server_ms, worker_ms, received, load = sys.argv[1:]
n = int(n)
jobs = sorted(json.load(open(path))["jobs"], key=lambda j: j["createdAt"])[-n:]
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
run = sorted((t(j["finishedAt"]) - t(j["startedAt"])) * 1000 for j in jobs if j["state"] == "SUCCEEDED")
mod = sorted(j["moduleRunMs"] for j in jobs if j.get("moduleRunMs") is not None)
q = lambda v, p: v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
ok = len(run)
print(f"{label} round {rnd}: {ok}/{n} SUCCEEDED, job p50 {q(run, .5):.1f} p95 {q(run, .95):.1f} ms, module p50 {q(mod, .5):.0f} ms,"
      f" CPU/study server {int(server_ms) / n:.1f} ms workers {int(worker_ms) / n:.1f} ms, objects received {received}, load {load}")
PY
  kill "$pid" "$sp"; wait "$pid" "$sp" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
  # ONLY=this or ONLY=base: one tree (e.g. to profile it)
  if [ -n "${ONLY:-}" ]; then [ "$ONLY" = base ] && run base "$BASE" "$r" || run this . "$r"; continue; fi
  if [ $((r % 2)) -eq 1 ]; then run base "$BASE" "$r"; run this . "$r"; else run this . "$r"; run base "$BASE" "$r"; fi
done
echo "--- medians over rounds (N=$N studies of $SIZE per round, $WARMUP warm-up; $(nproc) cores)"
python3 - "$WORK/rows.txt" <<'PY'
import re, statistics, sys
rows = {}
decode = {}
for line in open(sys.argv[1]):
    d = re.match(r"(\w+) round \d+: decode CPU p50 ([\d.]+) ms", line)
    if d:
        decode.setdefault(d[1], []).append(float(d[2]))
    m = re.match(r"(\w+) round \d+: .*job p50 ([\d.]+) p95 ([\d.]+) ms, module p50 (\d+) ms, CPU/study server ([\d.]+) ms workers ([\d.]+) ms", line)
    if m:
        rows.setdefault(m[1], []).append([float(x) for x in m.groups()[1:]])
med = {k: [statistics.median(c) for c in zip(*v)] for k, v in rows.items()}
for k, (p50, p95, mod, srv, wrk) in med.items():
    dec = statistics.median(decode.get(k, [0]))
    print(f"{k}: job p50 {p50:.1f} ms, p95 {p95:.1f} ms, module p50 {mod:.0f} ms, CPU/study server {srv:.1f} ms + workers {wrk:.1f} ms = {srv + wrk:.1f} ms;"
          f" decoding alone {dec:.1f} ms; platform CPU (server + decoding) {srv + dec:.1f} ms = {(srv + dec) / p50:.2f} of the job p50")
if "base" in med and "this" in med:
    print(f"job p50 this/base {med['this'][0] / med['base'][0]:.2f}; server CPU this/base {med['this'][3] / med['base'][3]:.2f}; total CPU this/base {(med['this'][3] + med['this'][4]) / (med['base'][3] + med['base'][4]):.2f}")
PY
