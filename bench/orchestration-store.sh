#!/usr/bin/env bash
# Orchestration overhead with the journal and outbox in PostgreSQL against embedded H2 (docs/benchmarks.md):
# bench/orchestration.sh's measurement (OrchestrationBench: N studies, one after the other, through RadFlow with a
# no-op module to a real Orthanc; p50 of unit complete -> last output acknowledged by Orthanc) with
#   h2:       the embedded store (<dataDir>/journal, the single-node default), and
#   postgres: store.url on a PostgreSQL 15 (Debian) that the run starts on loopback, with PostgreSQL's defaults
#             (fsync and synchronous commit on, as in production), one node, no cluster,
# interleaved in one run (h2, postgres, h2, ...), each run a fresh JVM with its own first 5 studies as warm-up.
# Usage: bench/orchestration-store.sh [STUDIES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
STUDIES=${1:-50}
ROUNDS=${2:-3}
export TCP_NODELAY=1
mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl orchestrator,testmodules/sample -am test-compile package -DskipTests \
  dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
CP="orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/bench.cp)"
JAR=$(ls testmodules/sample/target/radflow-sample-module-*.jar | grep -v sources | head -1)
run() { # store -> "p50 first"
  RADFLOW_LOG_LEVEL=WARN java -Xmx2g -cp "$CP" -Dlogback.configurationFile=/dev/null org.radflow.bench.OrchestrationBench \
    "$STUDIES" "$JAR" in-process --store "$1" 2>/dev/null | awk '/excluded/ {match($0, /excluded: \[[0-9]+/); first = substr($0, RSTART + 11, RLENGTH - 11)}
                                         /orchestration overhead/ {match($0, /p50 [0-9]+/); p50 = substr($0, RSTART + 4, RLENGTH - 4)}
                                         END {if (p50 == "") exit 1; print p50, first}'
}
H2=(); PG=(); H2F=(); PGF=()
for r in $(seq 1 "$ROUNDS"); do
  read -r p f < <(run h2) || { echo "the H2 run failed (run OrchestrationBench by hand to see why)" >&2; exit 1; }
  H2+=("$p"); H2F+=("$f"); echo "round $r: H2         p50 $p ms (first study $f ms)"
  read -r p f < <(run postgres) || { echo "the PostgreSQL run failed (run OrchestrationBench ... --store postgres by hand)" >&2; exit 1; }
  PG+=("$p"); PGF+=("$f"); echo "round $r: PostgreSQL p50 $p ms (first study $f ms)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mh=$(median "${H2[@]}"); mp=$(median "${PG[@]}")
echo "H2:         p50 per round ${H2[*]} ms, median $mh ms; first study ${H2F[*]} ms"
echo "PostgreSQL: p50 per round ${PG[*]} ms, median $mp ms; first study ${PGF[*]} ms"
awk -v a="$mp" -v b="$mh" 'BEGIN {printf "ratio PostgreSQL/H2: %.2f (%+.0f ms at the median)\n", a / b, a - b}'
# each round's pair ran back to back: their difference is less exposed to the machine's load drifting between rounds
D=(); for i in "${!H2[@]}"; do D+=("$((PG[i] - H2[i]))"); done
echo "per round, PostgreSQL - H2: ${D[*]} ms, median $(median "${D[@]}") ms"
