//! The uringlog benchmark harness: `cargo run --release -p uringlog-bench`.

use std::time::{Duration, Instant};
use uringlog::{Level, Logger, Mode};
use uringlog_sinks::FileSink;

fn run(
    mode: Mode,
    n: u64,
    dir: &std::path::Path,
) -> Result<(f64, uringlog::Stats), Box<dyn std::error::Error>> {
    let path = dir.join(format!("{mode:?}.log"));
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path)?)
        .mode(mode)
        .level(Level::Info)
        .build()?;
    let t = Instant::now();
    for i in 0..n {
        uringlog::info!(
            logger,
            "request id={} user={} path={} status={}",
            i,
            "alice",
            "/api/v1/items",
            200
        );
    }
    let stats = guard.shutdown(Duration::from_secs(30))?;
    let secs = t.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok((n as f64 / secs, stats))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    run(Mode::Async, 100_000, dir.path())?;
    for mode in [Mode::Async, Mode::Sync] {
        let (rate, s) = run(mode, n, dir.path())?;
        println!(
            "{mode:?}: {:.2} M lines/s  enqueued={} written={} dropped={} batches={} submits={}",
            rate / 1e6,
            s.enqueued,
            s.written,
            s.dropped,
            s.batches,
            s.io_submits
        );
    }
    Ok(())
}
