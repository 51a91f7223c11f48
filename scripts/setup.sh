#!/usr/bin/env bash
# Installs what RadFlow's build, tests and demo need on a Debian 12 machine, and registers
# Debian's PixelMed jars in the local Maven repository. Idempotent: fast when all is there.
set -euo pipefail

PACKAGES=(openjdk-17-jdk-headless maven libpixelmed-java libpixelmed-imageio-java dcmtk orthanc orthanc-dicomweb dicom3tools)
PIXELMED_VERSION=20220618
PIXELMED_IMAGEIO_VERSION=20200328

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: not root and no sudo; install these Debian packages by hand: ${PACKAGES[*]}" >&2
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Orthanc's package tries to start a system service; tests start their own on free ports.

register() { # file groupId artifactId version
  local file=$1 group=$2 artifact=$3 version=$4
  local repo="${MAVEN_REPO:-$HOME/.m2/repository}"
  local target="$repo/${group//.//}/$artifact/$version/$artifact-$version.jar"
  if [ -f "$target" ] && cmp -s "$file" "$target"; then return 0; fi
  echo "setup: registering $file as $group:$artifact:$version"
  mvn -B -q install:install-file -Dfile="$file" -DgroupId="$group" -DartifactId="$artifact" \
      -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
}
register /usr/share/java/pixelmed.jar com.pixelmed pixelmed "$PIXELMED_VERSION"
register /usr/share/java/pixelmed_imageio.jar com.pixelmed pixelmed-imageio "$PIXELMED_IMAGEIO_VERSION"

for tool in storescu echoscu storescp dciodvfy Orthanc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: '$tool' is still missing after install" >&2; exit 1; }
done
[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || { echo "setup: Orthanc DICOMweb plugin missing (package orthanc-dicomweb)" >&2; exit 1; }
echo "setup: ok"
