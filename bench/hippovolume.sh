#!/usr/bin/env bash
# HippoVolume benchmark: time per volume through the module (platform decoding and volume assembly, normalisation,
# padding, batched inference, argmax, measurements, key images) for the 35x51x32 HippoCrop and a 256x256x176 head.
# Usage: bench/hippovolume.sh [--model FILE.onnx] [--runs N] [--threads N] [--batch N] [--cases crop,head]
#   no --model: a 1x1-convolution test model (times the plumbing, not a U-Net)
# Run it on a quiet machine; the numbers go into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CP=modules/hippovolume/target/bench.classpath
mvn -B -q -o -pl modules/hippovolume -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$CP" -Dstyle.color=never >/dev/null
java -Xmx4g -cp "modules/hippovolume/target/test-classes:modules/hippovolume/target/classes:$(cat "$CP")" \
  org.radflow.hippovolume.HippoVolumeBench "$@"
