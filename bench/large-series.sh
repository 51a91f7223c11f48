#!/usr/bin/env bash
# Large series and instance triggers (issue 16, docs/benchmarks.md): this checkout against an earlier commit, interleaved
# in one run (rounds alternate which goes first), medians of the rounds. Per round and tree:
#   - LargeSeriesBench: a no-op module job (sample-slow, delayMs 0) on one CT series of SLICES 512x512 slices, module
#     isolation process (the default) and in-process: p50 of the jobs' run time (startedAt -> finishedAt); and instance
#     triggers: p50 of instance stored (spool file written) -> job created;
#   - OrchestrationBench: STUDIES 8-slice MR series, series quiet period 0, p50 of last instance stored -> last output
#     acknowledged by a real Orthanc.
# The earlier commit is cloned into a temporary folder and gets this checkout's two benchmark classes, so both trees
# measure the same way.
# Usage: bench/large-series.sh [BEFORE_COMMIT] [ROUNDS] [SLICES] [STUDIES]     (defaults: 759c622 3 1500 30)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
BEFORE=${1:-759c622}
ROUNDS=${2:-3}
SLICES=${3:-1500}
STUDIES=${4:-30}
JOBS=${JOBS:-6}
TRIGGERS=${TRIGGERS:-25}
export TCP_NODELAY=1
WORK=$(mktemp -d /tmp/radflow-large-series.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
git clone -q "$HERE" "$WORK/before"
git -C "$WORK/before" checkout -q "$BEFORE"
cp "$HERE"/orchestrator/src/test/java/org/radflow/bench/{LargeSeriesBench,OrchestrationBench}.java \
   "$WORK/before/orchestrator/src/test/java/org/radflow/bench/"
prepare() { # tree -> prints the class path
  local tree=$1
  (cd "$tree" && mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl orchestrator,testmodules/sample -am test-compile package -DskipTests \
     dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null)
  echo "$tree/orchestrator/target/test-classes:$tree/orchestrator/target/classes:$(cat "$tree/orchestrator/target/bench.cp")"
}
bench() { # tree classpath class args... -> output lines
  local tree=$1 cp=$2 cls=$3 jar
  shift 3
  jar=$(ls "$tree"/testmodules/sample/target/radflow-sample-module-*.jar | grep -v sources | head -1)
  (cd "$tree" && RADFLOW_LOG_LEVEL=WARN java -Xmx2g -cp "$cp" -Dlogback.configurationFile=/dev/null "$cls" "$@" 2>/dev/null \
     | sed -E 's/^/  /' | grep -E "large series|instance trigger|orchestration overhead|after the job")
}
p50() { sed -nE "s/.*$1.*p50 ([0-9.]+) ms.*/\1/p" | head -1; }
echo "building both trees ($HERE and $BEFORE in $WORK/before) ..."
CP_A=$(prepare "$HERE")
CP_B=$(prepare "$WORK/before")
declare -A R
round() { # name tree cp
  local name=$1 tree=$2 cp=$3 out jar
  jar=$(ls "$tree"/testmodules/sample/target/radflow-sample-module-*.jar | grep -v sources | head -1)
  out=$(bench "$tree" "$cp" org.radflow.bench.LargeSeriesBench "$SLICES" "$JOBS" "$TRIGGERS" "$jar" process); echo "$out"
  R[$name.process]+="$(echo "$out" | p50 'large series') "
  R[$name.trigger]+="$(echo "$out" | p50 'instance trigger') "
  out=$(bench "$tree" "$cp" org.radflow.bench.LargeSeriesBench "$SLICES" "$JOBS" 0 "$jar" in-process); echo "$out"
  R[$name.inprocess]+="$(echo "$out" | p50 'large series') "
  out=$(bench "$tree" "$cp" org.radflow.bench.OrchestrationBench "$STUDIES" "$jar"); echo "$out"
  R[$name.orchestration]+="$(echo "$out" | p50 'orchestration overhead') "
}
for r in $(seq 1 "$ROUNDS"); do
  if (( r % 2 )); then order="after before"; else order="before after"; fi
  for who in $order; do
    echo "round $r: $who (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ "$who" = after ]; then round after "$HERE" "$CP_A"; else round before "$WORK/before" "$CP_B"; fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
for m in process inprocess trigger orchestration; do
  a=$(median ${R[after.$m]}); b=$(median ${R[before.$m]})
  echo "$m: this checkout per round ${R[after.$m]}-> median $a ms; $BEFORE per round ${R[before.$m]}-> median $b ms"
done
