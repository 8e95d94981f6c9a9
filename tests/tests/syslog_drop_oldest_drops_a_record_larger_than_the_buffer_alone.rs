//! `DropOldest` with a record larger than the sink's whole buffer: the
//! record can never fit, so it alone is dropped (counted and reported);
//! the records already buffered are kept and arrive once the receiver is up.

use std::time::Duration;
use uringlog::Policy;
use uringlog_tests::rsyslog::{log_seqs, logger, Rsyslog, Via};

#[test]
fn syslog_drop_oldest_drops_a_record_larger_than_the_buffer_alone() {
    let mut rs = Rsyslog::configure();
    let sink = rs.sink(Via::Tcp, 100).buffer_bytes(4096).unwrap();
    let (logger, guard) = logger(sink, Policy::DropOldest);
    log_seqs(&logger, 10);
    let _ = logger.flush();
    let huge = "x".repeat(5000);
    uringlog::info!(logger, "huge {huge}");
    assert!(logger.flush().is_err(), "the receiver is down");
    let s = logger.stats();
    assert_eq!((s.written, s.dropped, s.pending()), (0, 1, 10), "{s:?}");
    let errors = logger.recent_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("buffer full (4096 bytes): 1 records dropped (DropOldest)")),
        "{errors:?}"
    );

    rs.launch();
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (11, 10, 1));
    let lines = rs.wait_for(Duration::from_secs(30), |l| l.len() >= 10);
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..10).collect::<Vec<u64>>());
}
