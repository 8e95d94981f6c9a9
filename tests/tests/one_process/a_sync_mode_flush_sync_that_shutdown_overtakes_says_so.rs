//! In sync mode a `flush_sync` that waits for the writer (another
//! thread's record is stuck in a sink) while shutdown closes the sinks
//! syncs nothing: it must say `ShutDown`, as in async mode a call the
//! final writes do not cover does, not `Ok` — the records logged before
//! it were never made durable.

use std::time::Duration;
use uringlog::{FlushError, Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::{read_lines, temp_log, wait_for, wait_until_stuck, GateSink, SHUTDOWN};

#[test]
fn a_sync_mode_flush_sync_that_shutdown_overtakes_says_so() {
    let (_dir, path) = temp_log("app.log");
    let (gate, g) = GateSink::new();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .sink(gate)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    let (synced, stats) = std::thread::scope(|s| {
        // In the file, then stuck in the gate with the writer held.
        let stuck = s.spawn(|| uringlog::info!(logger, "stuck"));
        wait_until_stuck(&g.entered);
        let sync = s.spawn(|| logger.flush_sync());
        // Most likely waiting for the writer by now (the outcome asserted
        // does not depend on it: a call that begins after shutdown says
        // `ShutDown` too).
        std::thread::sleep(Duration::from_millis(50));
        let shutdown = s.spawn(|| guard.shutdown(SHUTDOWN));
        // Released only once shutdown has begun: released before, the
        // stuck call returns with the sinks open and `flush_sync` (or a
        // call begun later) syncs them.
        wait_for("shutdown begun", || logger.is_shut_down());
        g.release.send(()).unwrap();
        stuck.join().unwrap();
        let stats = shutdown.join().unwrap().unwrap();
        (sync.join().unwrap(), stats)
    });
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped, stats.syncs),
        (1, 1, 0, 0)
    );
    assert_eq!(read_lines(&path).len(), 1);
    assert_eq!(synced, Err(FlushError::ShutDown), "nothing was synced");
}
