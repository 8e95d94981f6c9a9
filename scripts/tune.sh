#!/usr/bin/env bash
# Finds the best uringlog configuration for this machine: sweeps ring capacity
# x batch size x backend through the harness (`uringlog-bench sweep`), writes
# bench-results/sweep.csv, draws bench-results/sweep.png (linked by the next
# PERFORMANCE_REPORT.md written in this directory) and prints the best point.
# In-flight depth (--depths 1,2,4) applies to the io_uring points.
#
# Changes on the machine: nothing but ./target (the release build), the files
# in bench-results/ and temporary log files that the sweep removes.
#
# Usage: scripts/tune.sh [sweep options], e.g.
#   scripts/tune.sh --count 200000 --rings 64K,1M --batches 64,1024 --backends pwrite,io_uring
set -euo pipefail

case "${1:-}" in
-h | --help)
    echo "usage: scripts/tune.sh [sweep options]"
    echo "sweep options (uringlog-bench sweep): [--count N] [--reps N] [--rings LIST]"
    echo "    [--batches LIST] [--backends LIST] [--depths LIST] [--dir DIR]"
    echo "writes bench-results/sweep.csv and bench-results/sweep.png in the current directory"
    exit 0
    ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
out_dir="bench-results"
mkdir -p "$out_dir"

bench() {
    cargo run --quiet --release --manifest-path "$root/Cargo.toml" -p uringlog-bench -- "$@"
}

bench sweep --out "$out_dir/sweep.csv" "$@"
ok="$(grep ',ok$' "$out_dir/sweep.csv" || true)"
if [[ -z "$ok" ]]; then
    echo "tune.sh: no configuration ran; see the status column of $out_dir/sweep.csv" >&2
    exit 1
fi
bench plot --dir "$out_dir"
echo "top configurations (lines/s):"
sort -t, -k6 -g -r <<<"$ok" | head -5 |
    awk -F, '{ printf "  %-8s ring %8d B  batch %6d  %12.0f lines/s\n", $3, $1, $2, $6 }'
