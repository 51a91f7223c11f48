#!/usr/bin/env bash
# Builds mean-intensity.jar from this folder with the JDK alone, against RadFlow's module API.
# Usage: docs/examples/mean-intensity/build.sh [OUT_DIR]   (run `make build` once first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$here/target}"
api=$(ls "$root"/deploy/target/radflow/lib/radflow-module-api-*.jar 2>/dev/null | head -1)
[ -n "$api" ] || { echo "no module API jar: run 'make build' first" >&2; exit 1; }
rm -rf "$out/classes" && mkdir -p "$out/classes"
javac --release 17 -d "$out/classes" -cp "$api" $(find "$here/src" -name '*.java')
cp -r "$here/META-INF" "$out/classes/"
jar --create --file "$out/mean-intensity.jar" -C "$out/classes" .
echo "$out/mean-intensity.jar"
