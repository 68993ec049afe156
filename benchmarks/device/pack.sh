#!/usr/bin/env bash
# First half of the device script, run on a development machine (no GPU needed): builds
# everything with Maven and packs what the GPU machine needs into benchmarks/device/pack/
# (git-ignored; name it in the device tool's carry list, which is capped at 64 MiB in all):
#   pack/fusedbert-pack.tar.xz   jdk/  a jlinked JDK 25 runtime with only the modules our jars use
#                                       (the GPU machine may have no Java or Maven)
#                                lib/  our jars (main and test), their dependencies, JUnit's console launcher
#   pack/MANIFEST                what went in: commit, modules, whether the jar holds the fatbin, sizes
# Then run benchmarks/device/run.sh on the GPU machine; it unpacks the archive next to itself.
#   benchmarks/device/pack.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PACK="$ROOT/benchmarks/device/pack"
LIMIT_BYTES=$((64 * 1024 * 1024))
# The console launcher matching the JUnit BOM in the root pom (platform 1.x goes with Jupiter 5.x).
JUNIT_VERSION="$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' "$ROOT/pom.xml")"
CONSOLE_VERSION="1.${JUNIT_VERSION#5.}"

find_jdk() {
  local candidates=("${JAVA_HOME:-}" /usr/lib/jvm/* "$HOME"/.sdkman/candidates/java/*)
  for d in "${candidates[@]}"; do
    [ -n "$d" ] && [ -x "$d/bin/jlink" ] || continue
    local v
    v="$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$d"; return; fi
  done
  echo "pack.sh: no JDK >= 25 with jlink found (JAVA_HOME, /usr/lib/jvm, SDKMAN)" >&2
  exit 1
}
JDK="$(find_jdk)"
echo "pack.sh: JDK $JDK"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/lib" "$STAGE/deps"

# One reactor run: package every module (tests skipped: they run on the GPU machine and in CI),
# then copy each module's runtime and test dependencies, less JUnit (the console launcher bundles
# the whole platform) and our own artifacts (copied from target/ below).
echo "pack.sh: mvn package dependency:copy-dependencies"
(cd "$ROOT" && mvn -B -ntp -q -DskipTests package dependency:copy-dependencies \
    -DincludeScope=test -DoutputDirectory="$STAGE/deps" \
    -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian,org.fusedbert)
(cd "$ROOT" && mvn -B -ntp -q dependency:copy \
    -Dartifact="org.junit.platform:junit-platform-console-standalone:$CONSOLE_VERSION" \
    -DoutputDirectory="$STAGE/deps" -Dmdep.stripVersion=true)
# JMH's annotation processor is build-time only.
rm -f "$STAGE"/deps/jmh-generator-annprocess-*.jar

API_JAR="$(find "$ROOT/java-api/target" -maxdepth 1 -name 'fusedbert-java-api-*.jar' ! -name '*-tests.jar' | head -1)"
API_LISTING="$(unzip -l "$API_JAR")"
if [[ "$API_LISTING" == *org/fusedbert/native/linux-x86_64/fusedbert.fatbin* ]]; then
  FATBIN="$(awk '/fusedbert.fatbin/ {print $1}' <<<"$API_LISTING") bytes"
else
  echo "pack.sh: WARNING: $API_JAR has no fusedbert.fatbin (no nvcc here, or no kernels): the GPU devices will report 'no fatbin'" >&2
  FATBIN="absent"
fi

# Our jars: main and test classes of every module the GPU-side runs use.
for module in java-api models tests benchmarks; do
  for jar in "$ROOT/$module"/target/fusedbert-"$module"-*.jar; do
    case "$jar" in *-sources.jar|*-javadoc.jar) continue ;; esac
    cp "$jar" "$STAGE/lib/"
  done
done

# JCuda's natives jar also carries the PTX compiler, NVRTC and runtime bindings (24 MB of the
# 26 MB unpacked); JCudaDevice needs only the driver binding, so keep just that library.
for natives in "$STAGE"/deps/jcuda-natives-*-linux-x86_64.jar; do
  [ -f "$natives" ] || continue
  tmp="$(mktemp -d)"
  (cd "$tmp" && unzip -q "$natives" && find lib -type f ! -name 'libJCudaDriver-*' -delete)
  rm -f "$natives"
  "$JDK/bin/jar" --create --file "$natives" --no-manifest -C "$tmp" .
  rm -rf "$tmp"
done

# The JDK modules the jars use, as jdeps sees them jar by jar (a modular jar is resolved against
# the third-party jars), plus the Vector API our JVM flags add and jdk.zipfs for the launcher.
modules_of() {
  local out
  out="$("$JDK/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps "$1" 2>&1 | tail -1)"
  case "$out" in
    Error*) out="$("$JDK/bin/jdeps" --multi-release 25 --ignore-missing-deps --module-path "$STAGE/deps" \
                  --print-module-deps "$1" 2>&1 | tail -1)" ;;
  esac
  case "$out" in Error*) echo "pack.sh: jdeps cannot read $1: $out" >&2; return 1 ;; esac
  echo "$out"
}
MODULES="$( (for jar in "$STAGE"/lib/*.jar "$STAGE"/deps/*.jar; do modules_of "$jar"; done; \
  echo jdk.incubator.vector,jdk.zipfs) | tr ',' '\n' | grep -E '^(java|jdk)\.' | sort -u | paste -sd, -)"
echo "pack.sh: jlink modules: $MODULES"
mv "$STAGE"/deps/*.jar "$STAGE/lib/"
# Uncompressed modules and a stripped libjvm: the archive's xz compresses both far better than
# jlink's zip does (about 15 MB for the runtime instead of 40).
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-0 --output "$STAGE/jdk" 2> >(grep -v 'incubator modules' >&2)
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$STAGE/jdk/lib/server/libjvm.so"
fi
"$STAGE/jdk/bin/java" --add-modules jdk.incubator.vector -version 2>&1 | grep -v incubator | head -1

rm -rf "$PACK"
mkdir -p "$PACK"
echo "pack.sh: compressing (xz)"
tar -C "$STAGE" -cf - jdk lib | xz -6 -T2 > "$PACK/fusedbert-pack.tar.xz"
{
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . ':!benchmarks/device/pack' || echo '+dirty')"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "jdk=$("$STAGE/jdk/bin/java" -version 2>&1 | head -1)"
  echo "modules=$MODULES"
  echo "fatbin=$FATBIN"
  echo "console_launcher=$CONSOLE_VERSION"
  echo "unpacked_bytes=$(du -sb "$STAGE/jdk" "$STAGE/lib" | awk '{s+=$1} END {print s}')"
  echo "archive_sha256=$(sha256sum "$PACK/fusedbert-pack.tar.xz" | cut -d' ' -f1)"
} > "$PACK/MANIFEST"

SIZE="$(du -sb "$PACK" | cut -f1)"
TREE="$(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)"
echo "pack.sh: $PACK is $((SIZE / 1024 / 1024)) MiB ($SIZE bytes; unpacked $(( $(sed -n 's/^unpacked_bytes=//p' "$PACK/MANIFEST") / 1024 / 1024 )) MiB); the tree beside it $((TREE / 1024)) KiB"
if [ $((SIZE + TREE)) -gt "$LIMIT_BYTES" ]; then
  echo "pack.sh: pack plus tree exceed the 64 MiB the GPU machine may receive" >&2
  exit 1
fi
