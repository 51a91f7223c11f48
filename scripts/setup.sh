#!/usr/bin/env bash
# Installs what RadFlow's build, tests and demo need on a Debian 12 machine, and registers
# Debian's PixelMed jars in the local Maven repository. Idempotent: fast when all is there.
set -euo pipefail

PACKAGES=(openjdk-17-jdk-headless maven libpixelmed-java libpixelmed-imageio-java dcmtk libopenjp2-tools python3-pydicom orthanc orthanc-dicomweb dicom3tools fonts-noto-core fonts-noto-cjk
          postgresql
          openssl chromium chromium-driver)
# npm fetches the prebuilt OHIF viewer at build time (orchestrator/src/build/fetch-ohif.sh). Debian's npm only
# when no npm is installed: a Node.js from elsewhere (e.g. NodeSource) brings its own and conflicts with it.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
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

# Debian's PixelMed jar names Debian's own jars in its manifest Class-Path (slf4j-jdk14, hsqldb,
# ...): on a class path they would come along and, for one, take over SLF4J logging. The copy
# registered for Maven has that attribute removed; the classes are untouched.
register() { # file groupId artifactId version
  local file=$1 group=$2 artifact=$3 version=$4
  local repo="${MAVEN_REPO:-$HOME/.m2/repository}"
  local target="$repo/${group//.//}/$artifact/$version/$artifact-$version.jar"
  local sum; sum=$(sha256sum "$file" | cut -d' ' -f1)
  if [ -f "$target" ] && [ "$(cat "$target.debian-sha256" 2>/dev/null)" = "$sum" ]; then return 0; fi
  echo "setup: registering $file as $group:$artifact:$version (manifest Class-Path removed)"
  local work; work=$(mktemp -d)
  (cd "$work" && mkdir x && cd x && jar xf "$file" && rm -f META-INF/*.SF META-INF/*.RSA META-INF/*.DSA)
  grep -v -e '^Class-Path:' -e '^ ' "$work/x/META-INF/MANIFEST.MF" | grep -v '^$' > "$work/MANIFEST.MF" || true
  rm -f "$work/x/META-INF/MANIFEST.MF"
  (cd "$work" && jar cfm "$artifact.jar" MANIFEST.MF -C x .)
  mvn -B -q install:install-file -Dfile="$work/$artifact.jar" -DgroupId="$group" -DartifactId="$artifact" \
      -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
  echo "$sum" > "$target.debian-sha256"
  rm -rf "$work"
}
register /usr/share/java/pixelmed.jar com.pixelmed pixelmed "$PIXELMED_VERSION"
register /usr/share/java/pixelmed_imageio.jar com.pixelmed pixelmed-imageio "$PIXELMED_IMAGEIO_VERSION"

for tool in storescu echoscu storescp dciodvfy Orthanc chromium chromedriver npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: '$tool' is still missing after install" >&2; exit 1; }
done
# PostgreSQL: the tests run their own server (testkit PostgresServer: initdb + postgres in a temporary folder,
# as the postgres user when root); a system cluster that the package may have started is not used.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || { echo "setup: PostgreSQL server binaries missing (package postgresql)" >&2; exit 1; }
[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || { echo "setup: Orthanc DICOMweb plugin missing (package orthanc-dicomweb)" >&2; exit 1; }
echo "setup: ok"
