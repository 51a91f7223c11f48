#!/usr/bin/env bash
# Orchestration overhead benchmark (docs/benchmarks.md): N studies through RadFlow with a no-op
# module to a real Orthanc; p50/p95 of last instance stored -> outputs acknowledged (and of job creation -> acknowledged).
# Usage: bench/orchestration.sh [STUDIES]   (after 'make build'; needs the test classes: mvn -pl orchestrator test-compile)
set -euo pipefail
cd "$(dirname "$0")/.."
STUDIES=${1:-50}
export TCP_NODELAY=1
mvn -B -q -pl orchestrator -am test-compile -DskipTests >/dev/null
mvn -B -q -pl orchestrator dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
mvn -B -q -pl orchestrator org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=org.radflow:radflow-sample-module:0.1.0-SNAPSHOT -DoutputDirectory=target/test-modules/sample \
  -Dmdep.stripVersion=true >/dev/null
CP="orchestrator/target/test-classes:orchestrator/target/classes:$(cat orchestrator/target/bench.cp)"
RADFLOW_LOG_LEVEL=WARN java -Xmx2g -cp "$CP" -Dlogback.configurationFile=/dev/null org.radflow.bench.OrchestrationBench "$STUDIES" \
  orchestrator/target/test-modules/sample/radflow-sample-module.jar 2>&1 | grep -vE "^[0-9:.]+ (INFO|DEBUG)"
