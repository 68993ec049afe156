#!/usr/bin/env bash
# Second half of the device script: the single command on the GPU machine (after pack.sh ran on a
# development machine and benchmarks/device/pack/ travelled with the tree). Needs no Java or Maven:
# unpack.sh unpacks the jlinked JDK and the jars in pack/, and the stages run them.
#
#   benchmarks/device/run.sh [stage ...]
#
# Stages, in order (default: all):
#   info         GPU name, driver and CUDA versions (nvidia-smi), what each device kind sees, cuBLASLt
#   conformance  the kernel conformance suite and the GPU device tests on cuda and jcuda (on the
#                simulator instead when there is no GPU), console launcher, JUnit XML
#   sanitizer    the conformance run on cuda under compute-sanitizer --tool memcheck, and its kernel
#                comparisons under --tool racecheck (SANITIZER_TOOLS="racecheck": one of them)
#   leak         1,000 allocate/launch/free cycles per device kind, free memory before and after
#   report       the markdown report: $OUT/conformance-report.md, and on a GPU also
#                $OUT/results/<date>-<gpu>-conformance.md (copy it to benchmarks/results/ and commit)
# Further stages, run only when named: isolate (each test class alone on DEVICE, default jcuda,
# with -Xcheck:jni, to find which operation crashes a JVM); bench (benchmarks/device/bench.sh, fusedbert against PyTorch);
# seed (the seed's full training run: ./fusedbert train on IMDB on cuda, its report beside the
# seed's figures, and the first MLM epoch again on jcuda, which must agree, with FP32 GEMMs, and
# with another seed, the noise the TF32/FP32 difference is judged against).
#
# Environment: OUT (results; the device tool sets it, default benchmarks/device/out),
# SEED_JCUDA=0 (skip the seed stage's jcuda epoch), SEED_PRECISION=0 (skip its first MLM epoch
# again with FP32 GEMMs and with TF32 under seed 43), SEED_UNFROZEN_LRS (e.g. "0.0002 0.0005": more
# seed-stage runs with those unfrozen learning rates), SEED_DATA (the IMDB archive for the seed stage, default benchmarks/device/data/aclImdb_v1_labeled.tar.gz:
# copy ../shared/data's there, it is ignored, and carry it), SEED_ARGS (more train options),
# TEST_DEVICES (device kinds for the
# conformance stage), CONFORMANCE_TIMEOUT, SANITIZER_TIMEOUT, LEAK_TIMEOUT, SEED_TIMEOUT, BENCH_TIMEOUT
# (seconds), DEADLINE (epoch seconds by which every stage must have ended; see session.sh),
# FUSEDBERT_CUBLASLT (the cuBLASLt library, found via python3's site-packages when unset).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PACK="$ROOT/benchmarks/device/pack"
OUT="${OUT:-$ROOT/benchmarks/device/out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CONFORMANCE_TIMEOUT="${CONFORMANCE_TIMEOUT:-300}"
SANITIZER_TIMEOUT="${SANITIZER_TIMEOUT:-180}"
LEAK_TIMEOUT="${LEAK_TIMEOUT:-120}"
SEED_TIMEOUT="${SEED_TIMEOUT:-1800}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
# DEADLINE (epoch seconds; session.sh sets it): every stage's limit shrinks so the run ends before
# it, since a device call is killed at its limit and GPU time is scarce.
DEADLINE="${DEADLINE:-0}"

# limit <seconds>: the smaller of the stage's own limit and what is left before the deadline.
limit() {
  local want="$1" left
  if [ "$DEADLINE" -gt 0 ]; then
    left=$(( DEADLINE - $(date +%s) ))
    [ "$left" -lt "$want" ] && want="$left"
  fi
  [ "$want" -lt 1 ] && want=1
  echo "$want"
}

say() { echo "run.sh: $*" | tee -a "$OUT/run.log" >&2; }

# ------------------------------------------------------------------ the pack

unpack() {
  "$ROOT/benchmarks/device/unpack.sh" >/dev/null || exit 1
  JAVA="$PACK/jdk/bin/java"
  # A JVM that crashes leaves its hs_err report (the Java stack at the crash) with the results.
  JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g -Djava.awt.headless=true
    "-XX:ErrorFile=$OUT/hs_err_%p.log")
  CP="$PACK/lib/*"
}

java_run() { "$JAVA" "${JVM_FLAGS[@]}" -cp "$CP" "$@" 2> >(grep -v 'Using incubator modules' >&2); }

# ------------------------------------------------------------------ the machine

detect_gpu() {
  GPU_NAME=none DRIVER=- CUDA=- GPU_REASON=""
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    GPU_REASON="nvidia-smi not found"
  elif ! nvidia-smi -L >/dev/null 2>&1; then
    GPU_REASON="nvidia-smi found no GPU: $(nvidia-smi -L 2>&1 | head -1)"
  else
    GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
    DRIVER="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)"
    CUDA="$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)"
  fi
}

# cuBLASLt from the NVIDIA wheels PyTorch installed, asked of python3 itself (it knows its own
# site-packages); the Java side searches too, this only makes the choice explicit and reported.
find_cublaslt() {
  [ -n "${FUSEDBERT_CUBLASLT:-}" ] && return
  command -v python3 >/dev/null 2>&1 || return
  local major="${CUDA%%.*}"
  FUSEDBERT_CUBLASLT="$(python3 - "${major:-0}" <<'PY' 2>/dev/null
import ctypes, glob, os, site, sys
major = int(sys.argv[1]) if sys.argv[1].isdigit() else 0
dirs = list(site.getsitepackages()) + [site.getusersitepackages()]
names = (["13"] if major >= 13 else []) + ["12"]
for ver in names:
    for d in dirs:
        for pattern in ("nvidia/cu%s/lib/libcublasLt.so.%s" % (ver, ver),
                        "nvidia/cublas/lib/libcublasLt.so.%s" % ver,
                        "torch/lib/libcublasLt.so.%s" % ver):
            for path in glob.glob(os.path.join(d, pattern)):
                try:
                    ctypes.CDLL(path).cublasLtGetVersion
                except OSError:
                    continue
                print(path)
                sys.exit(0)
PY
)"
  if [ -n "$FUSEDBERT_CUBLASLT" ]; then export FUSEDBERT_CUBLASLT; else unset FUSEDBERT_CUBLASLT; fi
}

find_sanitizer() {
  SANITIZER="$(command -v compute-sanitizer 2>/dev/null || true)"
  if [ -z "$SANITIZER" ]; then
    SANITIZER="$(ls -d /usr/local/cuda*/bin/compute-sanitizer /usr/local/cuda*/compute-sanitizer/compute-sanitizer \
      2>/dev/null | sort -V | tail -1)"
  fi
}

# ------------------------------------------------------------------ JUnit

# junit <devices> <reports-dir> <log> <timeout> [console-launcher selectors and filters...]
junit() {
  local devices="$1" reports="$2" log="$3" limit
  limit="$(limit "$4")"
  shift 4
  mkdir -p "$reports"
  say "JUnit on [$devices] -> $log (limit ${limit}s)"
  timeout --kill-after=20 "$limit" "$JAVA" "${JVM_FLAGS[@]}" -Dfusedbert.test.devices="$devices" -cp "$CP" \
    org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree \
    --reports-dir "$reports" "$@" > "$log" 2>&1
  local rc=$?
  [ "$rc" -eq 124 ] && echo "failed: timed out after ${limit}s" >> "$log"
  say "JUnit exit $rc ($(grep -E 'tests (successful|failed|skipped|aborted)' "$log" | tr -s ' ' | paste -sd, -))"
  return 0
}

# The kernel suite: every *Conformance* class under org.fusedbert.tests (the tests module: the
# kernels against CpuBackend, graph capture through DeviceBackend), plus the GPU device tests
# (memory, copies, GEMMs, graphs) from java-api.
SELECTORS=(--select-package org.fusedbert.tests --select-package org.fusedbert.device.cuda
  --include-classname '^.*(Conformance\w*|\.GpuDeviceTest)$' --exclude-tag leak)
# CONFORMANCE_EXCLUDE: a class-name pattern left out of the conformance and sanitizer runs (a class
# that crashes the JVM would otherwise hide every class after it; the isolate stage runs it alone).
[ -n "${CONFORMANCE_EXCLUDE:-}" ] && SELECTORS+=(--exclude-classname "$CONFORMANCE_EXCLUDE")

# ------------------------------------------------------------------ stages

stage_info() {
  local commit
  commit="$(sed -n 's/^commit=//p' "$PACK/MANIFEST")"
  {
    echo "gpu=$GPU_NAME"
    [ -n "$GPU_REASON" ] && echo "gpu_reason=$GPU_REASON"
    echo "driver=$DRIVER"
    echo "cuda=$CUDA"
    echo "date=$(date -u +%Y-%m-%d)"
    echo "commit=$commit"
    echo "java=$("$JAVA" -version 2>&1 | head -1)"
    echo "sanitizer=${SANITIZER:-not found (looked on PATH and in /usr/local/cuda*/bin)}"
    java_run org.fusedbert.bench.device.GpuInfo
  } > "$OUT/info.txt"
  [ "$GPU_NAME" != none ] && nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
  cat "$OUT/info.txt" | tee -a "$OUT/run.log"
}

stage_conformance() {
  local devices="${TEST_DEVICES:-}"
  if [ -z "$devices" ]; then
    if [ "$GPU_NAME" = none ]; then devices="sim,cuda,jcuda"; else devices="cuda,jcuda"; fi
  fi
  junit "$devices" "$OUT/junit/conformance" "$OUT/conformance.log" "$CONFORMANCE_TIMEOUT" "${SELECTORS[@]}"
}

# racecheck looks for shared-memory hazards inside our kernels, so it runs the kernel comparisons
# (org.fusedbert.tests.conformance) only: the other classes launch the same kernels again, and
# under racecheck the whole selection did not finish in 110 s on an H200 (memcheck did).
RACECHECK_SELECTORS=(--select-package org.fusedbert.tests.conformance --include-classname '^.*Conformance\w*$')
[ -n "${CONFORMANCE_EXCLUDE:-}" ] && RACECHECK_SELECTORS+=(--exclude-classname "$CONFORMANCE_EXCLUDE")

stage_sanitizer() {
  local tool
  for tool in ${SANITIZER_TOOLS:-memcheck racecheck}; do
    local log="$OUT/$tool.log" selectors=("${SELECTORS[@]}")
    [ "$tool" = racecheck ] && selectors=("${RACECHECK_SELECTORS[@]}")
    if [ "$GPU_NAME" = none ]; then
      echo "skipped: no GPU ($GPU_REASON)" > "$log"
    elif [ -z "$SANITIZER" ]; then
      echo "skipped: compute-sanitizer not found (looked on PATH and in /usr/local/cuda*/bin)" > "$log"
    else
      local lim
      lim="$(limit "$SANITIZER_TIMEOUT")"
      say "compute-sanitizer --tool $tool over the conformance run on cuda (limit ${lim}s)"
      timeout --kill-after=20 "$lim" "$SANITIZER" --tool "$tool" --print-limit 50 \
        "$JAVA" "${JVM_FLAGS[@]}" -Dfusedbert.test.devices=cuda -cp "$CP" \
        org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=summary \
        --reports-dir "$OUT/junit/$tool" "${selectors[@]}" > "$log" 2>&1
      local rc=$?
      [ "$rc" -eq 124 ] && echo "failed: timed out after ${lim}s" >> "$log"
      say "$tool exit $rc: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|^failed' "$log" | tail -1)"
    fi
  done
}

# Each test class in its own JVM on one device kind (DEVICE, default jcuda), with the JVM's JNI
# checks on: when a device crashes the JVM, this says which class (and so which operation) does it.
stage_isolate() {
  local device="${DEVICE:-jcuda}" classes=(org.fusedbert.device.cuda.GpuDeviceTest
    org.fusedbert.tests.GraphCaptureConformanceTest org.fusedbert.tests.TrainingStepConformanceTest)
  local c
  for c in Adam Attention Batch CrossEntropy Dense Embedding LayerNorm Mlm Pooling Validation; do
    classes+=("org.fusedbert.tests.conformance.${c}ConformanceTest")
  done
  # ISOLATE: the selections to run instead, space-separated: class names, or Class#method(types)
  [ -n "${ISOLATE:-}" ] && read -r -a classes <<< "$ISOLATE"
  mkdir -p "$OUT/isolate"
  local n=0
  for c in "${classes[@]}"; do
    local short lim select
    n=$((n + 1))
    short="$n-$(echo "${c##*.}" | tr -c 'A-Za-z0-9\n' '_' | cut -c1-60)"
    if [[ "$c" == *'#'* ]]; then select=(--select-method "$c"); else select=(--select-class "$c"); fi
    lim="$(limit "${ISOLATE_TIMEOUT:-25}")"
    timeout --kill-after=5 "$lim" "$JAVA" "${JVM_FLAGS[@]}" -Xcheck:jni -Dfusedbert.test.devices="$device" -cp "$CP" \
      org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=verbose \
      --reports-dir "$OUT/isolate/$short" "${select[@]}" > "$OUT/isolate/$short.log" 2>&1
    local rc=$?
    say "isolate $device $short: exit $rc ($(grep -E 'tests (successful|failed)' "$OUT/isolate/$short.log" | tr -s ' ' | paste -sd, -))"
  done
}

stage_leak() {
  junit "cuda,jcuda" "$OUT/junit/leak" "$OUT/leak.log" "$LEAK_TIMEOUT" \
    --select-class org.fusedbert.device.cuda.GpuDeviceTest --select-package org.fusedbert.tests --include-tag leak
}

stage_report() {
  local args=(--info "$OUT/info.txt" --junit "$OUT/junit")
  for log in conformance leak; do [ -f "$OUT/$log.log" ] && args+=(--log "$OUT/$log.log"); done
  for tool in memcheck racecheck; do args+=(--sanitizer "$tool=$OUT/$tool.log"); done
  java_run org.fusedbert.bench.device.ConformanceReport "${args[@]}" --out "$OUT/conformance-report.md"
  if [ "$GPU_NAME" != none ]; then
    local slug name
    slug="$(echo "$GPU_NAME" | tr '[:upper:]' '[:lower:]' | sed 's/^nvidia //; s/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')"
    name="$(date -u +%Y-%m-%d)-$slug-conformance.md"
    mkdir -p "$OUT/results" "$ROOT/benchmarks/results"
    cp "$OUT/conformance-report.md" "$OUT/results/$name"
    cp "$OUT/conformance-report.md" "$ROOT/benchmarks/results/$name"
    say "report: $OUT/results/$name (commit it as benchmarks/results/$name)"
  else
    say "report: $OUT/conformance-report.md (no GPU: a rehearsal, not for benchmarks/results/)"
  fi
}

stage_bench() {
  local lim
  lim="$(limit "$BENCH_TIMEOUT")"
  say "bench: limit ${lim}s"
  OUT="$OUT" timeout --kill-after=20 "$lim" "$ROOT/benchmarks/device/bench.sh" 2>&1 | tee -a "$OUT/run.log"
}

# The seed's configuration and schedule (5 MLM epochs over train+test, 5 frozen + 5 unfrozen
# classifier epochs) on cuda with TF32 GEMMs, fine-tuned by the default recipe (validated: 10% of
# the training reviews held out, the best epoch by validation accuracy kept); nvidia-smi samples
# the memory the whole time (the CUDA context included). Then the same run with --recipe seed (the
# seed's schedule exactly: no validation, the last epoch kept), so the report gives both test
# accuracies; then, for each learning rate in SEED_UNFROZEN_LRS (default none), the default
# recipe with that --unfrozen-lr (compare them by their kept epoch's validation accuracy, never by
# test accuracy). Then one MLM epoch on jcuda with the same seed: its loss must match cuda's first
# epoch within run-to-run noise.
stage_seed() {
  local data="${SEED_DATA:-$ROOT/benchmarks/device/data/aclImdb_v1_labeled.tar.gz}"
  if [ "$GPU_NAME" = none ]; then
    echo "skipped: no GPU ($GPU_REASON)" > "$OUT/seed.log"; say "seed: skipped, no GPU"; return 0
  fi
  if [ ! -e "$data" ]; then
    echo "skipped: no IMDB archive at $data (set SEED_DATA)" > "$OUT/seed.log"; say "seed: skipped, no $data"; return 0
  fi
  local run="$OUT/seed-run" base peak sampler
  rm -rf "$run" && mkdir -p "$run"
  base="$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/seed-memory.csv" 2>/dev/null &
  sampler=$!
  say "seed: ./fusedbert train --data $data --backend cuda (log $OUT/seed.log)"
  local lim
  lim="$(limit "$SEED_TIMEOUT")"
  say "seed: limit ${lim}s"
  timeout --kill-after=10 "$lim" "$JAVA" "${JVM_FLAGS[@]}" -cp "$CP" org.fusedbert.cli.Main train --data "$data" \
    --backend cuda --precision tf32 --cache-dir "$OUT/cache" \
    --run-dir "$run" --loss-every 100 ${SEED_ARGS:-} > "$OUT/seed.log" 2>&1
  local rc=$?
  [ "$rc" -eq 124 ] && echo "failed: timed out after ${lim}s" >> "$OUT/seed.log"
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  peak="$(sort -n "$OUT/seed-memory.csv" | tail -1)"
  [ -n "$peak" ] && [ -n "$base" ] && echo "$((peak - base))" > "$run/peak-memory-mib.txt"
  say "seed: train exit $rc; $(grep -E 'test accuracy:|wall time:' "$OUT/seed.log" | tr -s ' ' | paste -sd';' -)"
  # A run cut short still gets its report (the epochs it finished); the other runs need a whole one.
  local compare=() variant lr vrc
  if [ "$rc" -eq 0 ]; then
    for variant in seed-recipe ${SEED_UNFROZEN_LRS:-}; do
      local args=(--recipe seed)
      [ "$variant" != seed-recipe ] && { lr="$variant"; variant="lr-$lr"; args=(--unfrozen-lr "$lr"); }
      rm -rf "$OUT/$variant-run" && mkdir -p "$OUT/$variant-run"
      lim="$(limit "$SEED_TIMEOUT")"
      say "seed: $variant: ./fusedbert train ... ${args[*]} (log $OUT/$variant.log, limit ${lim}s)"
      timeout --kill-after=10 "$lim" "$JAVA" "${JVM_FLAGS[@]}" -cp "$CP" org.fusedbert.cli.Main train --data "$data" \
        --backend cuda --precision tf32 --cache-dir "$OUT/cache" \
        --run-dir "$OUT/$variant-run" --loss-every 100 "${args[@]}" ${SEED_ARGS:-} > "$OUT/$variant.log" 2>&1
      vrc=$?
      [ "$vrc" -eq 124 ] && echo "failed: timed out after ${lim}s" >> "$OUT/$variant.log"
      say "seed: $variant exit $vrc; $(grep -E 'test accuracy:' "$OUT/$variant.log" | tr -s ' ' | paste -sd';' -)"
      [ -f "$OUT/$variant-run/run.json" ] && compare+=(--compare "$variant=$OUT/$variant-run")
    done
  fi
  if [ "$rc" -eq 0 ] && [ "${SEED_JCUDA:-1}" != 0 ]; then
    say "seed: one MLM epoch on jcuda (log $OUT/seed-jcuda.log)"
    # Made empty beforehand: a run refuses a folder that holds a run, and keeps one it did not make
    # (with the metrics of a run cut short) when it ends without a checkpoint.
    rm -rf "$OUT/seed-jcuda" && mkdir -p "$OUT/seed-jcuda"
    lim="$(limit "$SEED_TIMEOUT")"
    timeout --kill-after=10 "$lim" "$JAVA" "${JVM_FLAGS[@]}" -cp "$CP" org.fusedbert.cli.Main train --data "$data" \
      --backend jcuda --precision tf32 --cache-dir "$OUT/cache" \
      --run-dir "$OUT/seed-jcuda" --loss-every 100 --mlm-epochs 1 --frozen-epochs 0 --unfrozen-epochs 0 \
      ${SEED_ARGS:-} > "$OUT/seed-jcuda.log" 2>&1
    [ -f "$OUT/seed-jcuda/run.json" ] && compare+=(--compare "jcuda=$OUT/seed-jcuda")
  fi
  # TF32 against FP32 GEMMs: the first MLM epoch again with --precision fp32, and with TF32 under
  # another seed (other initial weights, masks and order: the run-to-run noise the difference is
  # judged against).
  if [ "$rc" -eq 0 ] && [ "${SEED_PRECISION:-1}" != 0 ]; then
    local pv pargs
    for pv in fp32 tf32-seed-43; do
      pargs=(--precision fp32)
      [ "$pv" = tf32-seed-43 ] && pargs=(--precision tf32 --seed 43)
      rm -rf "$OUT/seed-$pv" && mkdir -p "$OUT/seed-$pv"
      lim="$(limit "$SEED_TIMEOUT")"
      say "seed: one MLM epoch on cuda, ${pargs[*]} (log $OUT/seed-$pv.log, limit ${lim}s)"
      timeout --kill-after=10 "$lim" "$JAVA" "${JVM_FLAGS[@]}" -cp "$CP" org.fusedbert.cli.Main train --data "$data" \
        --backend cuda "${pargs[@]}" --cache-dir "$OUT/cache" \
        --run-dir "$OUT/seed-$pv" --loss-every 100 --mlm-epochs 1 --frozen-epochs 0 --unfrozen-epochs 0 \
        ${SEED_ARGS:-} > "$OUT/seed-$pv.log" 2>&1
      [ -f "$OUT/seed-$pv/run.json" ] && compare+=(--compare "$pv=$OUT/seed-$pv")
    done
  fi
  local slug name
  slug="$(echo "$GPU_NAME" | tr '[:upper:]' '[:lower:]' | sed 's/^nvidia //; s/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')"
  name="$(date -u +%Y-%m-%d)-$slug-seed-run.md"
  mkdir -p "$OUT/results" "$ROOT/benchmarks/results"
  timeout 60 "$JAVA" "${JVM_FLAGS[@]}" -cp "$CP" org.fusedbert.cli.Main report "$run" "${compare[@]}" \
    --out "$OUT/results/$name" >> "$OUT/seed.log" 2>&1
  cp "$OUT/results/$name" "$ROOT/benchmarks/results/$name" 2>/dev/null
  say "seed: report $OUT/results/$name (commit it as benchmarks/results/$name)"
}

# ------------------------------------------------------------------ main

STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] && STAGES=(info conformance sanitizer leak report)
: > "$OUT/run.log"
unpack
detect_gpu
find_cublaslt
find_sanitizer
say "GPU: $GPU_NAME${GPU_REASON:+ ($GPU_REASON)}; driver $DRIVER; CUDA $CUDA; cuBLASLt ${FUSEDBERT_CUBLASLT:-(searched by Java)}; sanitizer ${SANITIZER:-none}"
for stage in "${STAGES[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    say "unknown stage '$stage' (stages: $(declare -F | sed -n 's/^declare -f stage_//p' | paste -sd' ' -))"
    exit 2
  fi
  if [ "$DEADLINE" -gt 0 ] && [ $(( DEADLINE - $(date +%s) )) -lt 10 ]; then
    say "stage $stage: skipped, the deadline is less than 10 s away"
    continue
  fi
  say "stage $stage"
  "stage_$stage"
done
