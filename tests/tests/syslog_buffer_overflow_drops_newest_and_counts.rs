//! Receiver down, buffer full, `DropNewest`: log calls never stall, the
//! records that do not fit are counted dropped and reported, and what the
//! buffer kept arrives in order once the receiver is up.

use std::time::Duration;
use uringlog::Policy;
use uringlog_tests::rsyslog::{log_seqs, logger, Rsyslog, Via};

const RECORDS: u64 = 20_000;

#[test]
fn syslog_buffer_overflow_drops_newest_and_counts() {
    let mut rs = Rsyslog::configure();
    let sink = rs.sink(Via::Tcp, 100).buffer_bytes(4096).unwrap();
    let (logger, guard) = logger(sink, Policy::DropNewest);
    log_seqs(&logger, RECORDS);
    assert!(logger.flush().is_err(), "the receiver is down");
    let s = logger.stats();
    assert_eq!(s.written, 0);
    assert!(s.dropped > 0 && s.dropped < RECORDS, "{s:?}");
    // What is held fits the buffer: about 4096 / 80 records.
    assert!(s.pending() <= 4096 / 60, "{s:?}");
    let errors = logger.recent_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("buffer full (4096 bytes)") && e.contains("DropNewest")),
        "{errors:?}"
    );

    rs.launch();
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(stats.written + stats.dropped, stats.enqueued);
    assert_eq!(stats.enqueued, RECORDS);
    let lines = rs.wait_for(Duration::from_secs(30), |l| l.len() as u64 >= stats.written);
    assert_eq!(lines.len() as u64, stats.written);
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    assert!(
        uringlog_tests::strictly_increasing(&seqs),
        "kept records in order"
    );
    assert_eq!(seqs[0], 0, "the oldest records were kept");
}
