#!/usr/bin/env bash
# Unpacks what pack.sh packed (pack/fusedbert-pack.tar.xz) in place, as pack/jdk and pack/lib, for
# the stages that run on the GPU machine (run.sh, bench.sh); does nothing when this archive is
# already unpacked. Needs tar and xz (or python3).
#   benchmarks/device/unpack.sh            unpack (prints the pack folder)
#   benchmarks/device/unpack.sh --clean    remove the unpacked copy, keeping the archive (before
#                                          carrying pack/ to the GPU machine again: 64 MiB cap)
set -euo pipefail
PACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pack"
ARCHIVE="$PACK/fusedbert-pack.tar.xz"
if [ "${1:-}" = "--clean" ]; then
  rm -rf "$PACK/jdk" "$PACK/lib" "$PACK/.unpacked"
  exit 0
fi
if [ ! -f "$ARCHIVE" ]; then
  echo "unpack.sh: no $ARCHIVE: run benchmarks/device/pack.sh on a development machine first (and carry benchmarks/device/pack)" >&2
  exit 1
fi
SUM="$(sed -n 's/^archive_sha256=//p' "$PACK/MANIFEST")"
if [ ! -f "$PACK/.unpacked" ] || [ "$(cat "$PACK/.unpacked")" != "$SUM" ]; then
  rm -rf "$PACK/jdk" "$PACK/lib"
  if command -v xz >/dev/null 2>&1; then
    tar -C "$PACK" -xJf "$ARCHIVE"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$ARCHIVE" "$PACK"
  fi
  echo "$SUM" > "$PACK/.unpacked"
fi
echo "$PACK"
