#!/usr/bin/env bash
# Cost of the process boundary per job, measured at the module host (docs/benchmarks.md, "Process isolation"): the same
# jobs through the in-process host and a worker process, alternately in one JVM, timing what the scheduler waits for;
# plus a worker's start and the first job on a fresh worker. No planner, journal, reports or Orthanc: their noise
# (tens of ms on a busy machine) would hide a few ms. bench/isolation.sh measures the whole path.
# Usage: bench/isolation-host.sh [sample|covidnet] [JOBS] [WARMUP] [RESTARTS]
#   sample:   the no-op module sample-slow (delayMs 0) on an 8-slice MR series
#   covidnet: the built-in COVID-Net module with its demo model (model: demo, ONNX, in its JAR) on a 1024x1024 DX
set -euo pipefail
cd "$(dirname "$0")/.."
MODULE=${1:-sample}
JOBS=${2:-200}
WARMUP=${3:-20}
RESTARTS=${4:-3}
mvn -B -q -o -Dstyle.color=never -Dohif.skip=true -pl orchestrator,testmodules/sample,modules/covidnet -am test-compile package -DskipTests \
  dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
# JARs only, as in the installed lib/ (the worker's class path is the server's, and class data sharing needs JARs),
# with the built-in module on it; the benchmark's own classes in a JAR of their own
jar --create --file orchestrator/target/bench-tests.jar -C orchestrator/target/test-classes .
CP=$(ls orchestrator/target/bench-tests.jar orchestrator/target/radflow-orchestrator*.jar modules/covidnet/target/radflow-module-covidnet-*.jar \
  | grep -v sources | tr '\n' ':')$(tr ':' '\n' < orchestrator/target/bench.cp | grep '\.jar$' | tr '\n' ':')
JAR=$(ls testmodules/sample/target/radflow-sample-module-*.jar | grep -v sources | head -1)
RADFLOW_LOG_LEVEL=WARN java -Xmx2g -cp "$CP" -Dlogback.configurationFile=bench/quiet-logback.xml org.radflow.bench.IsolationHostBench \
  "$MODULE" "$JOBS" "$WARMUP" "$RESTARTS" "$JAR"
