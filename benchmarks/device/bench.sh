#!/usr/bin/env bash
# Stage of the device script on the GPU machine: fusedbert against PyTorch on this GPU, in one run
# (org.fusedbert.bench.device.DeviceBench; PyTorch peers from benchmarks/peers/peers.py).
# Needs what benchmarks/device/pack.sh packed (unpacked here by unpack.sh when run.sh has not) and
# python3 with torch. Normally started as the device script's stage:
#   benchmarks/device/run.sh bench                         (OUT set by the device tool)
#   OUT=/some/dir benchmarks/device/bench.sh [DeviceBench options]
# DeviceBench options can also come in BENCH_ARGS (e.g. BENCH_ARGS="--peer-variants eager,seed" to
# skip torch.compile when time is short); JMH=0 skips the launch-cost JMH.
# Writes $OUT/bench/: the dated report (device-<date>-<card>.md and its PNG charts, also in
# $OUT/bench/results/ ready to copy into benchmarks/results/), measurements.json and peers.json (from
# which `DeviceBench --report-from DIR --out DIR2` rebuilds the report, e.g. where the GPU machine
# had no fonts for the charts), the logs, and JMH launch costs (jmh-launch.*).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PACK="$ROOT/benchmarks/device/pack"
OUT="${OUT:-$ROOT/benchmarks/device/out}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [ -f "$PACK/fusedbert-pack.tar.xz" ]; then
  "$ROOT/benchmarks/device/unpack.sh" >/dev/null
fi
JAVA="$PACK/jdk/bin/java"
[ -x "$JAVA" ] || JAVA="$(command -v java || true)"
if [ -z "$JAVA" ] || [ ! -d "$PACK/lib" ]; then
  echo "bench.sh: no packed runtime: run benchmarks/device/pack.sh on the development machine first" >&2
  exit 1
fi
COMMIT="$(sed -n 's/^commit=//p' "$PACK/MANIFEST" 2>/dev/null || true)"
mkdir -p "$OUT/bench"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$OUT/bench/nvidia-smi.csv" 2>&1 || true
"$JAVA" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx8g -Djava.awt.headless=true \
  "-XX:ErrorFile=$OUT/bench/hs_err_%p.log" -cp "$PACK/lib/*" org.fusedbert.bench.device.DeviceBench \
  --out "$OUT/bench" --work "$WORK" --results "$OUT/bench/results" \
  --python "${PYTHON:-python3}" --peers-dir "$ROOT/benchmarks/peers" --commit "${COMMIT:-unknown}" \
  --peer-timeout "${PEER_TIMEOUT:-420}" ${BENCH_ARGS:-} "$@" 2>&1 | tee "$OUT/bench/device-bench.log"
# The host cost of one launch through FFM and JCuda on this GPU (JMH; skip with JMH=0).
if [ "${JMH:-1}" != 0 ]; then
  "$JAVA" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$PACK/lib/*" org.openjdk.jmh.Main \
    LaunchBenchmark -p device=cuda,jcuda -rf json -rff "$OUT/bench/jmh-launch.json" > "$OUT/bench/jmh-launch.txt" 2>&1 \
    || echo "bench.sh: JMH LaunchBenchmark failed (see jmh-launch.txt)" >&2
  tail -8 "$OUT/bench/jmh-launch.txt"
fi
