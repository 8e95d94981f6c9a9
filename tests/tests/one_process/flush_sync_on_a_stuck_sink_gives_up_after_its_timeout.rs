//! A writer stuck in a sink (a device that does not answer) holds a
//! `flush_sync` up for as long as it is stuck; `flush_sync_timeout`
//! gives up at its timeout with `Timeout`, and a later call, once the
//! sink answers, covers the records.

use std::time::Duration;
use uringlog::{FlushError, Logger};
use uringlog_tests::{wait_until_stuck, GateSink};

#[test]
fn flush_sync_on_a_stuck_sink_gives_up_after_its_timeout() {
    let (gate, g) = GateSink::new();
    let (logger, guard) = Logger::builder().sink(gate).build().unwrap();
    uringlog::info!(logger, "stuck");
    wait_until_stuck(&g.entered);
    uringlog::info!(logger, "behind it");
    match logger.flush_sync_timeout(Duration::from_millis(50)) {
        Err(e @ FlushError::Timeout { timeout_ms: 50 }) => {
            assert_eq!(e.to_string(), "flush did not complete within 50 ms")
        }
        other => panic!("{other:?}"),
    }
    g.release.send(()).unwrap();
    logger.flush_sync_timeout(Duration::MAX).unwrap();
    let text = String::from_utf8(g.lines.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
}
