//! End-to-end throughput into a file, by backend (and sync mode), and by
//! batch size: each iteration builds a logger, logs `RECORDS` lines from one
//! thread and shuts down (every line written). A backend this build or
//! machine cannot use is skipped with the engine's reason.

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use std::time::Duration;
use uringlog_bench::config::{EngineConfig, Route};
use uringlog_bench::throughput::timed_rep;

/// Lines per iteration.
const RECORDS: u64 = 100_000;

fn bench_config(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, cfg: EngineConfig) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bench.log");
    if let Err(e) = cfg.build(&dir.path().join("probe.log")) {
        eprintln!("{name}: skipped: {e}");
        return;
    }
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (rep, _, _) = timed_rep(&cfg, RECORDS, 1, &file).expect("run");
                total += Duration::from_secs_f64(rep.end_to_end_s);
                std::fs::remove_file(&file).expect("remove the log file");
            }
            total
        })
    });
}

fn by_backend(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(RECORDS));
    for route in [Route::AsyncPwrite, Route::AsyncIoUring, Route::Sync] {
        bench_config(
            &mut g,
            &route.to_string(),
            EngineConfig::default_with(route),
        );
    }
    g.finish();
}

fn by_batch_size(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch_size");
    g.throughput(Throughput::Elements(RECORDS));
    for batch in [1, 10, 50, 100, 500, 1024] {
        let mut cfg = EngineConfig::default_with(Route::AsyncAuto);
        cfg.batch_size = batch;
        bench_config(&mut g, &format!("batch {batch}"), cfg);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = by_backend, by_batch_size
}
criterion_main!(benches);
