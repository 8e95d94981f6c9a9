//! Ring push/pop throughput through the public API: an explicit `Producer`
//! pushes records that the writer pops, formats and hands to a sink that
//! discards them; each iteration ends with a flush, so every record pushed
//! was also popped.

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use uringlog::Logger;
use uringlog_bench::null_sink::NullSink;
use uringlog_bench::workload::{log_line_with, PATH_THROUGHPUT};

/// Records per iteration.
const RECORDS: u64 = 10_000;

fn ring_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_push_pop");
    g.throughput(Throughput::Elements(RECORDS));
    for ring in [64 << 10, 256 << 10, 1 << 20] {
        let (sink, _) = NullSink::new();
        let (logger, guard) = Logger::builder()
            .sink(sink)
            .ring_capacity(ring)
            .build()
            .expect("the default configuration builds");
        let mut producer = logger.producer();
        g.bench_function(format!("ring {} KiB", ring >> 10), |b| {
            b.iter(|| {
                for id in 0..RECORDS {
                    log_line_with(&mut producer, id, PATH_THROUGHPUT);
                }
                logger.flush().expect("flush");
            })
        });
        drop(producer);
        let _ = guard.shutdown(Duration::from_secs(10));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = ring_throughput
}
criterion_main!(benches);
