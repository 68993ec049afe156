#!/usr/bin/env bash
# The CPU matmul against OpenBLAS in one run: the JMH MatmulBenchmark (CpuBackend.matmul on the
# Vector-API Sgemm) and numpy's float32 matmul (OpenBLAS sgemm) at the same shapes, written to
# benchmarks/results/cpu-matmul-vs-numpy-<date>.md with both figures and their ratio.
#   benchmarks/scripts/cpu-matmul-vs-numpy.sh                 all shapes of MatmulBenchmark
#   SHAPES="1024x1024x1024:NN" benchmarks/scripts/cpu-matmul-vs-numpy.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

. "$ROOT/benchmarks/scripts/find-java.sh"
find_java cpu-matmul-vs-numpy
python3 -c 'import numpy' 2>/dev/null || { echo "cpu-matmul-vs-numpy: python3 with numpy is needed" >&2; exit 1; }

JAR="$ROOT/benchmarks/target/benchmarks.jar"
if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/java-api/src" "$ROOT/benchmarks/src" -newer "$JAR" -type f -print -quit)" ]; then
  echo "cpu-matmul-vs-numpy: building benchmarks.jar..." >&2
  mvn -q -B -ntp -pl benchmarks -am package -DskipTests >&2
fi

SHAPES="${SHAPES:-$(sed -n 's/.*@Param({\(.*\)}).*/\1/p' "$ROOT/benchmarks/src/main/java/org/fusedbert/bench/MatmulBenchmark.java" | tr -d '" ')}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
SCHED="$(sed 's/^.*nice /autogroup nice /' /proc/self/autogroup 2>/dev/null || echo 'autogroup unknown')"

"$JAVA" -jar "$JAR" MatmulBenchmark -p shape="$SHAPES" -rf json -rff "$WORK/jmh.json" >&2

# numpy at the same shapes: 3 warm-up calls, then the mean and the best of 20 timed calls.
SHAPES="$SHAPES" python3 - > "$WORK/numpy.json" <<'PY'
import json, os, time
import numpy as np
out = {}
rng = np.random.default_rng(1)
for spec in os.environ["SHAPES"].split(","):
    dims, tr = spec.split(":")
    m, n, k = (int(x) for x in dims.split("x"))
    a = rng.random((k, m) if tr[0] == "T" else (m, k), dtype=np.float32) - 0.5
    b = rng.random((n, k) if tr[1] == "T" else (k, n), dtype=np.float32) - 0.5
    a = a.T if tr[0] == "T" else a
    b = b.T if tr[1] == "T" else b
    c = np.empty((m, n), dtype=np.float32)
    for _ in range(3):
        np.matmul(a, b, out=c)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    out[spec] = {"mean_ms": 1e3 * sum(times) / len(times), "best_ms": 1e3 * min(times)}
print(json.dumps(out))
PY
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

DATE="$(date +%Y-%m-%d)"
OUT="$ROOT/benchmarks/results/cpu-matmul-vs-numpy-$DATE.md"
CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
CORES="$(nproc)"
AVX512="$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
JAVA_VERSION="$("$JAVA" -version 2>&1 | head -1)"
BLAS="$(python3 -c "import numpy as np; b = np.show_config(mode='dicts')['Build Dependencies']['blas']; print(b['name'], b['version'])" 2>/dev/null || echo 'BLAS unknown')"
NUMPY_VERSION="$(python3 -c 'import numpy; print(numpy.__version__)')"

python3 - "$WORK/jmh.json" "$WORK/numpy.json" > "$WORK/table.md" <<'PY'
import json, sys
jmh = json.load(open(sys.argv[1]))
npy = json.load(open(sys.argv[2]))
print("| shape (m x n x k, op) | fusedbert Sgemm ms/op (JMH mean ± 99.9%) | GFLOP/s | numpy ms (mean / best) | GFLOP/s (mean) | Sgemm / numpy |")
print("| --- | --- | --- | --- | --- | --- |")
for r in jmh:
    spec = r["params"]["shape"]
    m, n, k = (int(x) for x in spec.split(":")[0].split("x"))
    flops = 2.0 * m * n * k
    ms, err = r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"]
    ours = flops / (ms * 1e6)
    p = npy[spec]
    theirs = flops / (p["mean_ms"] * 1e6)
    print(f"| {spec} | {ms:.2f} ± {err:.2f} | {ours:.1f} | {p['mean_ms']:.2f} / {p['best_ms']:.2f} | {theirs:.1f} | {ours / theirs:.2f} |")
PY

{
  echo "# CPU matmul vs numpy (OpenBLAS), $DATE"
  echo
  echo "Produced by \`benchmarks/scripts/cpu-matmul-vs-numpy.sh\` in one run: JMH \`MatmulBenchmark\`"
  echo "(\`CpuBackend.matmul\` → \`org.fusedbert.cpu.Sgemm\`, fp32, 3 × 2 s warm-up, 5 × 2 s measured, 1 fork)"
  echo "then numpy \`matmul\` on float32 at the same shapes (3 warm-up calls, 20 timed). Transposed"
  echo "operands are passed to numpy as transposed views, as BLAS takes them."
  echo
  echo "- Machine: $CPU, $CORES cores, AVX-512: $AVX512 (a shared VM: other processes may have been running;"
  echo "  load average before $LOAD_BEFORE, after $LOAD_AFTER; this run's scheduling: $SCHED)"
  echo "- Java: $JAVA_VERSION; numpy $NUMPY_VERSION ($BLAS)"
  echo
  cat "$WORK/table.md"
} > "$OUT"
cat "$OUT"
echo "cpu-matmul-vs-numpy: wrote ${OUT#$ROOT/}" >&2
