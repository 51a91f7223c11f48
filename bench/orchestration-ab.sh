#!/usr/bin/env bash
# Orchestration overhead of this checkout against another one (e.g. the previous release), interleaved in one run:
# A B A B ... so that both see the same machine. Each run is bench/orchestration.sh's measurement (OrchestrationBench:
# N studies through RadFlow with a no-op module to a real Orthanc; p50 of last instance stored -> outputs acknowledged),
# each tree with its own classes and its own sample module.
# Usage: bench/orchestration-ab.sh OTHER_CHECKOUT [STUDIES] [ROUNDS]     (docs/benchmarks.md)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
OTHER=$(cd "${1:?give the folder of the other checkout}" && pwd)
STUDIES=${2:-50}
ROUNDS=${3:-3}
export TCP_NODELAY=1
prepare() { # tree -> prints the class path
  local tree=$1
  (cd "$tree" && mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl orchestrator,testmodules/sample -am test-compile package -DskipTests \
     dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null)
  echo "$tree/orchestrator/target/test-classes:$tree/orchestrator/target/classes:$(cat "$tree/orchestrator/target/bench.cp")"
}
run() { # tree classpath -> prints p50
  local tree=$1 cp=$2 jar
  jar=$(ls "$tree"/testmodules/sample/target/radflow-sample-module-*.jar | grep -v sources | head -1)
  (cd "$tree" && RADFLOW_LOG_LEVEL=WARN java -Xmx2g -cp "$cp" -Dlogback.configurationFile=/dev/null \
     org.radflow.bench.OrchestrationBench "$STUDIES" "$jar" 2>/dev/null | grep "orchestration overhead" | sed -E 's/.*p50 ([0-9]+) ms.*/\1/')
}
echo "building both trees ..."
CP_A=$(prepare "$HERE")
CP_B=$(prepare "$OTHER")
A=(); B=()
for r in $(seq 1 "$ROUNDS"); do
  a=$(run "$HERE" "$CP_A"); A+=("$a"); echo "round $r: this checkout p50 $a ms"
  b=$(run "$OTHER" "$CP_B"); B+=("$b"); echo "round $r: other checkout p50 $b ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ma=$(median "${A[@]}"); mb=$(median "${B[@]}")
echo "this checkout ($HERE): p50 per round ${A[*]} ms, median $ma ms"
echo "other checkout ($OTHER): p50 per round ${B[*]} ms, median $mb ms"
awk -v a="$ma" -v b="$mb" 'BEGIN {printf "ratio this/other: %.2f\n", a / b}'
