//! The producer's call path, for instruction counts under callgrind.
//!
//! ```sh
//! cargo build --release -p uringlog-bench --example producer_calls
//! valgrind --tool=callgrind --separate-threads=yes \
//!     --toggle-collect='producer_calls::timed_calls' \
//!     target/release/examples/producer_calls [calls] [chunk] [pause_us]
//! ```
//!
//! Logs `calls` workload records (default 100,000) through an explicit
//! `Producer` into a `NullSink`, in chunks of `chunk` calls (default 1,000).
//! Only `timed_calls` is collected; between chunks the logger is flushed
//! and, with `pause_us` > 0, the thread sleeps so the writer goes idle and
//! the next chunk's first call finds it asleep. Instructions per call are
//! the collected total divided by `calls`: a measure of the hot path that
//! a shared, noisy machine does not blur (the wall-clock ns/call it also
//! prints is not). `URINGLOG_WAKE_FENCE=1` builds
//! the logger with the wake protocol's fence fallback instead of
//! membarrier (one `mfence` per call: one instruction, tens of cycles).

use std::time::{Duration, Instant};
use uringlog::{Logger, Producer};
use uringlog_bench::null_sink::NullSink;
use uringlog_bench::workload::{log_line_with, PATH_LATENCY};

/// The collected function: `n` calls starting at id `from`.
#[inline(never)]
fn timed_calls(p: &mut Producer, from: u64, n: u64) {
    for id in from..from + n {
        log_line_with(p, id, PATH_LATENCY);
    }
}

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (calls, chunk, pause_us) = (arg(1, 100_000), arg(2, 1_000).max(1), arg(3, 0));
    let (sink, _) = NullSink::new();
    let mut b = Logger::builder().sink(sink).ring_capacity(1 << 20);
    if std::env::var_os("URINGLOG_WAKE_FENCE").is_some_and(|v| v == "1") {
        b = b.test_wake_fence_fallback();
    }
    let (logger, guard) = b.build().expect("build");
    let mut p = logger.producer();
    // Warm-up: grows the formatting buffer and faults the ring in.
    timed_calls(&mut p, 0, chunk);
    logger.flush().expect("flush");
    let mut done = 0;
    let mut spent = Duration::ZERO;
    while done < calls {
        let n = chunk.min(calls - done);
        let t = Instant::now();
        timed_calls(&mut p, done, n);
        spent += t.elapsed();
        logger.flush().expect("flush");
        if pause_us > 0 {
            std::thread::sleep(Duration::from_micros(pause_us));
        }
        done += n;
    }
    drop(p);
    let s = guard.shutdown(Duration::from_secs(10)).expect("shutdown");
    println!(
        "{calls} calls (+{chunk} warm-up), {:.1} ns/call wall-clock, enqueued {}, written {}, dropped {}; {}",
        spent.as_nanos() as f64 / calls as f64,
        s.enqueued,
        s.written,
        s.dropped,
        logger.wake_mechanism()
    );
}
