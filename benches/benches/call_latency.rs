//! Per-call latency under each policy while the ring has room: calls are
//! timed in chunks that fit in the ring, and the logger is flushed (untimed)
//! between chunks, so no call waits and none is dropped.

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::{Duration, Instant};
use uringlog::{Logger, Policy};
use uringlog_bench::null_sink::NullSink;
use uringlog_bench::workload::{log_line, PATH_LATENCY};

/// Calls per timed chunk: about 100 bytes each, well inside the ring.
const CHUNK: u64 = 1_000;
/// Bytes per ring.
const RING: usize = 1 << 20;

fn chunked(logger: &Logger, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(CHUNK);
        let t = Instant::now();
        for id in done..done + n {
            log_line(logger, id, PATH_LATENCY);
        }
        total += t.elapsed();
        let _ = logger.flush();
        done += n;
    }
    total
}

fn call_latency(c: &mut Criterion) {
    let mut g = c.benchmark_group("call_latency");
    for policy in [Policy::Block, Policy::DropNewest, Policy::DropOldest] {
        let (sink, _) = NullSink::new();
        let built = Logger::builder()
            .sink(sink)
            .policy(policy)
            .ring_capacity(RING)
            .build();
        let (logger, guard) = match built {
            Ok(x) => x,
            Err(e) => {
                eprintln!("call_latency/{policy:?}: skipped: {e}");
                continue;
            }
        };
        g.bench_function(format!("{policy:?}"), |b| {
            b.iter_custom(|iters| chunked(&logger, iters))
        });
        let _ = guard.shutdown(Duration::from_secs(10));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = call_latency
}
criterion_main!(benches);
