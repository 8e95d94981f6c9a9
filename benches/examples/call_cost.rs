//! Instruction counts of one log call, for callgrind.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example call_cost
//! valgrind --tool=callgrind --toggle-collect='*call_cost::measured*' \
//!     target/release/examples/call_cost deferred 20000
//! ```
//!
//! Runs `N` workload calls (the harness's four-argument line) in one
//! `measured_*` function per path, so `--toggle-collect` counts exactly
//! the calls: `deferred` (the macros), `preformatted` (`Logger::log` with
//! `format_args!`, the caller formats), `caller` (the macros on a logger
//! with `Formatting::Caller`), `crash_safe` (the macros on a logger in
//! crash-safe mode, its rings in files of a fresh temporary directory),
//! `crash_safe_custom` (the same line with specs other than `{}`, which
//! crash-safe mode formats in the caller: the slow path),
//! `empty` (the loop alone), `clock` (the loop and the raw clock read),
//! `forked` (the macros through the same handle in a child forked after the
//! warm-up: what a pre-forking server's workers pay; its profile is the
//! child's file). Divide the collected instructions by `N`.
//!
//! With `--separate-threads=yes` the writer thread's profile (file `-02`)
//! holds its cost for `2 N` records of the same path (warm-up included);
//! `--toggle-collect='*drain_rings*'` keeps only the per-record work (the
//! reading of rings; `drain_pass` itself is inlined). A third
//! argument `json` formats JSON lines instead of text.

use std::hint::black_box;
use std::time::Duration;
use uringlog::{Format, Formatting, Level, Logger, Policy};
use uringlog_bench::null_sink::NullSink;
use uringlog_bench::workload::{args, log_line, PATH_LATENCY, TARGET};

#[inline(never)]
fn measured_deferred(l: &Logger, n: u64) {
    for id in 0..n {
        log_line(l, id, PATH_LATENCY);
    }
}

/// The workload line with specs other than `{}` (`{:?}`, `{:>8}`). The
/// status is an `i64` here: argument types of their own keep this call's
/// code apart from the workload line's, which is then inlined as before.
#[inline]
fn log_custom(l: &Logger, id: u64) {
    let (user, status) = args(id);
    let status = i64::from(status);
    uringlog::info!(
        l,
        target: TARGET,
        "request id={} user={:?} path={} status={:>8}",
        id,
        user,
        PATH_LATENCY,
        status
    );
}

#[inline(never)]
fn measured_custom(l: &Logger, n: u64) {
    for id in 0..n {
        log_custom(l, id);
    }
}

#[inline(never)]
fn measured_preformatted(l: &Logger, n: u64) {
    for id in 0..n {
        let (user, status) = args(id);
        l.log(
            Level::Info,
            TARGET,
            format_args!(
                "request id={} user={} path={} status={}",
                id, user, PATH_LATENCY, status
            ),
        );
    }
}

#[inline(never)]
fn measured_empty(n: u64) {
    for id in 0..n {
        black_box(args(black_box(id)));
    }
}

#[inline(never)]
fn measured_clock(n: u64) {
    for id in 0..n {
        black_box(args(black_box(id)));
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `rdtsc` has no preconditions on x86-64.
        black_box(unsafe { core::arch::x86_64::_rdtsc() });
    }
}

fn main() {
    let mut a = std::env::args().skip(1);
    let what = a.next().unwrap_or_else(|| "deferred".to_owned());
    let n: u64 = a.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let format = match a.next().as_deref() {
        Some("json") => Format::json(),
        _ => Format::text(),
    };
    let (sink, _) = NullSink::new();
    let formatting = match what.as_str() {
        "caller" => Formatting::Caller,
        _ => Formatting::Deferred,
    };
    let dir = std::env::temp_dir().join(format!("call_cost-{}", std::process::id()));
    let mut b = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .formatting(formatting)
        .format(format)
        .ring_capacity(64 << 20);
    if what.starts_with("crash_safe") {
        b = b.crash_safe(&dir);
    }
    let (logger, guard) = b.build().expect("logger");
    // Warm up: the thread's producer, the ring's first pages.
    warm_up(&logger, n, &what);
    logger.flush().expect("flush");
    if what == "forked" {
        // SAFETY: one thread here (the writer is the engine's, which the
        // fork handler accounts for); the child only logs and exits.
        match unsafe { libc::fork() } {
            0 => {
                warm_up(&logger, n, &what);
                measured_deferred(&logger, n);
                let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
                assert_eq!(s.written, s.enqueued);
                std::process::exit(0);
            }
            -1 => panic!("fork: {}", std::io::Error::last_os_error()),
            child => {
                let mut status = 0;
                // SAFETY: `child` is ours; `status` outlives the call.
                assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
                assert_eq!(status, 0, "the child failed");
            }
        }
    }
    match what.as_str() {
        "forked" => {}
        "deferred" | "caller" | "crash_safe" => measured_deferred(&logger, n),
        "crash_safe_custom" => measured_custom(&logger, n),
        "preformatted" => measured_preformatted(&logger, n),
        "empty" => measured_empty(n),
        "clock" => measured_clock(n),
        other => panic!("unknown path {other}"),
    }
    let s = guard.shutdown(Duration::from_secs(60)).expect("shutdown");
    assert_eq!(s.written, s.enqueued);
    // The writer thread's CPU time (all of its records, warm-up included):
    // a figure for runs outside callgrind, less sensitive to load than
    // wall time.
    eprintln!(
        "writer cpu {:.1} ns/record over {} records",
        s.writer_cpu_ns as f64 / s.written.max(1) as f64,
        s.written
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same calls as `what` measures, outside the collected functions.
#[inline(never)]
fn warm_up(l: &Logger, n: u64, what: &str) {
    for id in 0..n {
        if what == "preformatted" {
            let (user, status) = args(id);
            l.log(
                Level::Info,
                TARGET,
                format_args!(
                    "request id={} user={} path={} status={}",
                    id, user, PATH_LATENCY, status
                ),
            );
        } else if what == "crash_safe_custom" {
            log_custom(l, id);
        } else {
            log_line(l, id, PATH_LATENCY);
        }
    }
}
