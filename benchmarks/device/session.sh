#!/usr/bin/env bash
# One GPU session as one device-tool call: run.sh's stages under one deadline, the IMDB archive
# unpacked for the seed stage, and everything folded into the few files the tool returns.
#
#   benchmarks/device/session.sh <seconds> [stage ...]      (stages: see run.sh)
#
# Carry benchmarks/device/pack (pack.sh) and benchmarks/device/data (the IMDB archive recompressed:
# gzip -dc aclImdb_v1_labeled.tar.gz | xz -9e > benchmarks/device/data/aclImdb.tar.xz, 18 MiB, so
# that it fits the 64 MiB the machine may receive beside the pack). Give the tool a timeout_s some
# 20 s above <seconds>. What comes back in $OUT (the tool returns at most 8 files): run.log, the
# reports (*.md) and fusedbert-out.tar.gz with every log, JUnit XML, chart and measurement
# (checkpoints and the dataset cache left out).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUDGET="${1:?usage: session.sh <seconds> [stage ...]}"
shift
START="$(date +%s)"
RETURN_DIR="${OUT:?OUT must name the folder whose files come back (the device tool sets it)}"
mkdir -p "$RETURN_DIR"
WORK="$(mktemp -d /tmp/fusedbert-session.XXXXXX)"
export OUT="$WORK/out"
mkdir -p "$OUT"
# 30 s are kept for folding the results.
export DEADLINE=$(( START + BUDGET - 30 ))

DATA_XZ="$ROOT/benchmarks/device/data/aclImdb.tar.xz"
if [ -z "${SEED_DATA:-}" ] && [ -f "$DATA_XZ" ]; then
  mkdir -p "$WORK/imdb" && tar -C "$WORK/imdb" -xJf "$DATA_XZ" && export SEED_DATA="$WORK/imdb/aclImdb"
fi

left=$(( DEADLINE - $(date +%s) ))
timeout --kill-after=10 "$(( left > 1 ? left : 1 ))" "$ROOT/benchmarks/device/run.sh" "$@"
echo "session.sh: run.sh exit $? after $(( $(date +%s) - START ))s of ${BUDGET}s" | tee -a "$OUT/run.log" >&2

tar -C "$WORK" --exclude='*.safetensors' --exclude='out/cache' --exclude='*.bin' \
  -czf "$RETURN_DIR/fusedbert-out.tar.gz" out
cp "$OUT/run.log" "$RETURN_DIR/" 2>/dev/null
# Up to six reports beside the archive (8 files at most come back).
find "$OUT" -maxdepth 3 -name '*.md' -type f | head -6 | while read -r f; do cp "$f" "$RETURN_DIR/"; done
ls -la "$RETURN_DIR" >&2
