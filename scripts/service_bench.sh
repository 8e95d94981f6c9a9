#!/usr/bin/env bash
# Real-service benchmark: a small HTTP service (hyper, one tokio worker; each
# request handled in a `request` span logging one `tracing::info!` with three
# fields) driven by wrk on loopback, once per logging setup:
#   none      no subscriber
#   appender  tracing_subscriber::fmt + tracing_appender::non_blocking (lossless)
#   writer    the same fmt subscriber + uringlog::tracing::make_writer
#   layer     uringlog::tracing::layer on a registry
# Rounds interleave the setups; the table shows the median of the rounds and
# their range (min-max), so the spread says how noisy the machine was. The
# service's CPU time per request (every thread, the logging ones included)
# is the figure other load on the machine disturbs least.
#
# The table is printed and written to bench-results/service.md, which the
# next PERFORMANCE_REPORT.md written in this directory shows as section 11.
#
# Changes on the machine: installs wrk with apt-get when missing; builds
# ./target (release, feature `service`); writes bench-results/service.md;
# log files go to a temporary directory that is removed at the end.
#
# Usage: scripts/service_bench.sh [seconds per run (10)] [rounds (3)] [connections (32)]
set -euo pipefail

usage="usage: scripts/service_bench.sh [seconds per run (10)] [rounds (3)] [connections (32)]"
fail() {
    printf 'service_bench.sh: %s\n%s\n' "$1" "$usage" >&2
    exit 2
}
case "${1:-}" in
-h | --help)
    echo "$usage"
    exit 0
    ;;
esac
[[ $# -le 3 ]] || fail "at most 3 arguments, got $#"
secs="${1:-10}"
rounds="${2:-3}"
conns="${3:-32}"
for arg in "seconds per run:$secs" "rounds:$rounds" "connections:$conns"; do
    [[ "${arg#*:}" =~ ^[1-9][0-9]*$ ]] ||
        fail "${arg%%:*} must be a whole number above 0, not \"${arg#*:}\""
done
modes=(none appender writer layer)
root="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v wrk >/dev/null; then
    [[ $(id -u) -eq 0 ]] || {
        echo "service_bench.sh: wrk is missing; install it (apt-get install wrk) or run as root" >&2
        exit 1
    }
    echo "installing wrk" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
fi
cargo build --quiet --release --manifest-path "$root/Cargo.toml" \
    -p uringlog-bench --features service --bin http_service
service="$root/target/release/http_service"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Microseconds from a wrk latency such as 812.00us, 1.23ms or 2.01s.
to_us() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "ms") n *= 1000; else if (u == "s") n *= 1000000;
        printf "%.0f", n }'
}

# One run: prints "rps p99_us written dropped cpu_ns_per_request".
run() {
    local mode="$1" port="$2" dir="$work/$1-$2"
    "$service" "$mode" "$port" "$dir" 2>"$dir.err" &
    local pid=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.05
    done
    wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$port/" >/dev/null # warm-up
    local out
    out="$(wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/")"
    kill -TERM "$pid"
    wait "$pid"
    local rps p99 written dropped
    rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")"
    p99="$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
    written="$(sed -n 's/.*lines_written=\([0-9]*\).*/\1/p' "$dir.err")"
    dropped="$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' "$dir.err")"
    cpu="$(sed -n 's/.*cpu_ns_per_request=\([0-9]*\).*/\1/p' "$dir.err")"
    echo "$rps $p99 ${written:-0} ${dropped:-0} ${cpu:-0}"
}

declare -A results
port=18080
for r in $(seq "$rounds"); do
    for m in "${modes[@]}"; do
        port=$((port + 1))
        res="$(run "$m" "$port")"
        echo "round $r $m: $res (req/s, p99 us, lines written, dropped, CPU ns/request)" >&2
        results[$m]+="$res"$'\n'
    done
done

# Median and range of column $2 of the lines in $1.
stat() {
    sort -n -k"$2" <<<"$1" | awk -v k="$2" 'NF { v[n++] = $k }
        END { printf "%s %s %s", v[int((n - 1) / 2)], v[0], v[n - 1] }'
}

table() {
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
        "wrk -t1 -c$conns, ${secs}s per run after a 2 s warm-up, $rounds interleaved rounds;" \
        "median (min-max over the rounds)."
    echo
    echo "| setup | requests/s | p99 latency | CPU per request (all threads) | lines written (last run) | dropped |"
    echo "|---|---:|---:|---:|---:|---:|"
    for m in "${modes[@]}"; do
        read -r rps rmin rmax <<<"$(stat "${results[$m]}" 1)"
        read -r p99 pmin pmax <<<"$(stat "${results[$m]}" 2)"
        read -r cpu cmin cmax <<<"$(stat "${results[$m]}" 5)"
        last="$(grep -v '^$' <<<"${results[$m]}" | tail -1)"
        read -r _ _ written dropped _ <<<"$last"
        printf "| %s | %s (%s-%s) | %s us (%s-%s) | %s ns (%s-%s) | %s | %s |\n" \
            "$m" "$rps" "$rmin" "$rmax" "$p99" "$pmin" "$pmax" "$cpu" "$cmin" "$cmax" \
            "$written" "$dropped"
    done
}

mkdir -p bench-results
echo
table | tee bench-results/service.md
