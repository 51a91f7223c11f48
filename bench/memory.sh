#!/usr/bin/env bash
# Memory at rest (docs/benchmarks.md, "Process isolation"): the assembled server (bin/radflow, as installed, its default
# -Xmx2g) with both built-in modules (covidnet, hippovolume, model: demo), once with isolation: process and once with
# isolation: in-process. For each: the server's RSS after its start, then one study per module (a DX radiograph, a
# HippoCrop MR series, sent with storescu), then RSS at rest 20 s after both jobs ended: the server and each of its
# WorkerMain children (VmRSS from /proc/<pid>/status), with each worker's heap limit (-Xmx, derived from the module's
# descriptor). Usage: bench/memory.sh [REST_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
REST=${1:-20}
export TCP_NODELAY=1
mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl deploy,orchestrator -am package -DskipTests \
  dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
CP="orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/bench.cp)"
WORK=$(mktemp -d /tmp/radflow-memory.XXXXXX)
java -cp "$CP" -Dlogback.configurationFile=bench/quiet-logback.xml org.radflow.bench.BuiltInModuleStudies "$WORK/studies" >/dev/null

rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
jobs_done() { # number of jobs in a final state
  curl -s "http://127.0.0.1:$1/api/jobs" | python3 -c 'import json, sys
print(sum(1 for j in json.load(sys.stdin)["jobs"] if j["state"] in ("SUCCEEDED", "FAILED", "NOT_APPLICABLE", "TIMED_OUT")))'
}

measure() { # isolation
  local iso=$1 dir="$WORK/$1" dicom api pid i
  dicom=$(free_port); api=$(free_port)
  mkdir -p "$dir"
  cat > "$dir/radflow.yaml" <<YAML
server: {dataDir: $dir/data}
listener: {bindAddress: 127.0.0.1, port: $dicom, minFreeSpaceMb: 0}
api: {bindAddress: 127.0.0.1, port: $api}
tracking: {seriesQuietSeconds: 0, studyQuietSeconds: 3600}
modules:
  covidnet: {isolation: $iso, config: {model: demo}}
  hippovolume: {isolation: $iso, config: {model: demo}}
rules:
  - {name: chest, module: covidnet, match: {Modality: [CR, DX]}}
  - {name: hippocampus, module: hippovolume, match: {Modality: MR}}
YAML
  bin/radflow serve --config "$dir/radflow.yaml" >"$dir/server.log" 2>&1 &
  pid=$!
  for i in $(seq 1 120); do curl -sf "http://127.0.0.1:$api/api/health" >/dev/null && break; sleep 0.5; done
  sleep 5 # the modules' warm-up in the server
  echo "$iso: server after start, before any job: $(rss "$pid") MB"
  storescu -aec RADFLOW 127.0.0.1 "$dicom" "$WORK"/studies/chest/*.dcm
  storescu -aec RADFLOW 127.0.0.1 "$dicom" "$WORK"/studies/hippocrop/*.dcm
  for i in $(seq 1 240); do [ "$(jobs_done "$api")" -ge 2 ] && break; sleep 0.5; done
  curl -s "http://127.0.0.1:$api/api/jobs" | python3 -c 'import json, sys
for j in json.load(sys.stdin)["jobs"]: print("  job", j["module"], j["state"])'
  sleep "$REST"
  local total srv w kids=""
  srv=$(rss "$pid"); total=$srv
  kids=$(ps -o pid= --ppid "$pid" | tr -d ' ' || true)
  echo "$iso: at rest ${REST} s after the jobs: server $srv MB"
  for w in $kids; do
    grep -qa WorkerMain "/proc/$w/cmdline" || continue
    echo "  worker $(tr '\0' ' ' < "/proc/$w/cmdline" | grep -o 'WorkerMain [a-z-]*' | cut -d' ' -f2): $(rss "$w") MB (heap limit $(tr '\0' '\n' < "/proc/$w/cmdline" | grep '^-Xmx'))"
    total=$((total + $(rss "$w")))
  done
  echo "$iso: server + workers at rest: $total MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
measure process
measure in-process
rm -rf "$WORK"
