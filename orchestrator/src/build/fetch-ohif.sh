#!/usr/bin/env bash
# Fetches the prebuilt OHIF viewer (npm @ohif/app, its package/dist) into DEST for RadFlow's viewer
# listener. Called by the orchestrator build (prepare-package). Never fails the build: without npm or
# without the registry it says so and leaves DEST absent, and the viewer page (and the browser test)
# then say the viewer is not installed. Re-runs are instant when DEST holds this version.
#   fetch-ohif.sh VERSION DEST
set -euo pipefail
version=$1
dest=$2
if [ -f "$dest/index.html" ] && [ "$(cat "$dest/.ohif-version" 2>/dev/null)" = "$version" ]; then
  echo "[ohif] @ohif/app@$version already in $dest"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "[ohif] WARNING: npm not found, so the OHIF viewer (@ohif/app@$version) is NOT bundled. The dashboard works;"
  echo "[ohif]          the viewer page will say it is missing. Install npm (Debian: apt-get install npm) and rebuild."
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/radflow-ohif.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "[ohif] fetching @ohif/app@$version with npm pack (reuses ~/.npm's cache)"
if ! (cd "$work" && npm pack --silent --prefer-offline "@ohif/app@$version" >/dev/null); then
  echo "[ohif] WARNING: 'npm pack @ohif/app@$version' failed (no registry access?); the OHIF viewer is NOT bundled."
  exit 0
fi
tar -xzf "$work"/ohif-app-*.tgz -C "$work" package/dist
[ -f "$work/package/dist/index.html" ] || { echo "[ohif] WARNING: the package has no dist/index.html; viewer NOT bundled"; exit 0; }
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/package/dist" "$dest"
echo "$version" > "$dest/.ohif-version"
echo "[ohif] @ohif/app@$version unpacked into $dest"
