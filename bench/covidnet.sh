#!/usr/bin/env bash
# COVID-Net module benchmark (docs/benchmarks.md, "COVID-Net module: preprocessing and inference per image").
# A network of COVID-Net-CXR-2's size (8.87 M parameters, 5.58 GMACs, random weights) written by
# CxrSizedNetwork as a TF1 checkpoint (TensorFlow Java) and as ONNX with the same weights; a synthetic
# 2500 x 2000 DX PA radiograph through the real module (CovidNetFactory -> CovidNetModule -> HostInferenceEngine).
# Reports decode and preprocessing alone, then per backend and pool size: model load, inference p50/p95,
# process() p50/p95, images/min.
# Usage: bench/covidnet.sh [IMAGES] [WARMUP] [more CovidNetBench options, e.g. --size 2048x2048 --pools 1]
# Builds what it needs with the reactor (no 'mvn install'); results go to bench/out/covidnet-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${1:-50}
WARMUP=${2:-5}
shift $(( $# < 2 ? $# : 2 ))
OUT=${BENCH_DIR:-bench/out}
mkdir -p "$OUT"
RESULT="$OUT/covidnet-$(date -u +%Y%m%dT%H%M%SZ).txt"

# test classes of modules/covidnet and the class path of every module it needs, built in one reactor run
mvn -B -q -pl modules/covidnet -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test >/dev/null
CP="modules/covidnet/target/test-classes:modules/covidnet/target/classes:$(cat modules/covidnet/target/bench.cp)"

# TensorFlow unpacks ~650 MB of native libraries once, into target/javacpp-cache (as the tests do)
bench() {
  TF_CPP_MIN_LOG_LEVEL=1 java -Xmx3g \
    -Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache \
    -Dlogback.configurationFile=bench/covidnet-logback.xml \
    -cp "$CP" org.radflow.covidnet.CovidNetBench --work "$OUT/covidnet-work" "$@"
}
# the models (deterministic: fixed seed) are written in a JVM of their own, so the measuring JVM loads both runtimes cold
bench --write-models
bench --images "$IMAGES" --warmup "$WARMUP" --out "$RESULT" "$@"
