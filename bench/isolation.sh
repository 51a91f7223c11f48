#!/usr/bin/env bash
# Cost of process isolation per job (docs/benchmarks.md): bench/orchestration.sh's measurement (N studies through
# RadFlow with a no-op module to a real Orthanc; p50 of unit complete -> outputs acknowledged) with the module
# in-process and in a worker process, interleaved in one run (in-process, process, in-process, ...).
# Usage: bench/isolation.sh [STUDIES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
STUDIES=${1:-50}
ROUNDS=${2:-3}
export TCP_NODELAY=1
mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl orchestrator,testmodules/sample -am test-compile package -DskipTests \
  dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
CP="orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/bench.cp)"
JAR=$(ls testmodules/sample/target/radflow-sample-module-*.jar | grep -v sources | head -1)
run() { # isolation -> "p50 first"
  RADFLOW_LOG_LEVEL=WARN java -Xmx2g -cp "$CP" -Dlogback.configurationFile=/dev/null org.radflow.bench.OrchestrationBench \
    "$STUDIES" "$JAR" "$1" 2>/dev/null | awk '/excluded/ {match($0, /excluded: \[[0-9]+/); first = substr($0, RSTART + 11, RLENGTH - 11)}
                                         /orchestration overhead/ {match($0, /p50 [0-9]+/); p50 = substr($0, RSTART + 4, RLENGTH - 4)}
                                         END {print p50, first}'
}
IN=(); PR=(); INF=(); PRF=()
for r in $(seq 1 "$ROUNDS"); do
  read -r p f < <(run in-process); IN+=("$p"); INF+=("$f"); echo "round $r: in-process p50 $p ms (first study $f ms)"
  read -r p f < <(run process); PR+=("$p"); PRF+=("$f"); echo "round $r: process    p50 $p ms (first study $f ms, includes the worker's start)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mi=$(median "${IN[@]}"); mp=$(median "${PR[@]}")
echo "in-process: p50 per round ${IN[*]} ms, median $mi ms; first study ${INF[*]} ms"
echo "process:    p50 per round ${PR[*]} ms, median $mp ms; first study ${PRF[*]} ms"
awk -v a="$mp" -v b="$mi" 'BEGIN {printf "extra per job in a worker: %+.0f ms at the median (ratio %.2f)\n", a - b, a / b}'
# each round's pair ran back to back: their difference is less exposed to the machine's load drifting between rounds
D=(); for i in "${!IN[@]}"; do D+=("$((PR[i] - IN[i]))"); done
echo "per round, process - in-process: ${D[*]} ms, median $(median "${D[@]}") ms"
echo "(bench/isolation-host.sh measures the boundary alone, without the reports' and the PACS's tens of ms of noise)"
