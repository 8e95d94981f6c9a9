//! Receiver down, buffer full, `DropOldest`: the oldest undelivered records
//! make room, every drop is counted, and the newest records arrive in order
//! once the receiver is up.

use std::time::Duration;
use uringlog::Policy;
use uringlog_tests::rsyslog::{log_seqs, logger, Rsyslog, Via};

const RECORDS: u64 = 20_000;

#[test]
fn syslog_buffer_overflow_drops_oldest_keeps_newest() {
    let mut rs = Rsyslog::configure();
    let sink = rs.sink(Via::Relp, 100).buffer_bytes(8192).unwrap();
    let (logger, guard) = logger(sink, Policy::DropOldest);
    log_seqs(&logger, RECORDS);
    assert!(logger.flush().is_err(), "the receiver is down");
    let held = logger.stats().pending();
    assert!(held > 0 && held <= 8192 / 60, "{:?}", logger.stats());
    let errors = logger.recent_errors();
    assert!(
        errors.iter().any(|e| e.contains("DropOldest")),
        "{errors:?}"
    );

    rs.launch();
    let lines = rs.wait_for(Duration::from_secs(30), |l| l.len() as u64 >= held);
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(stats.enqueued, RECORDS);
    assert_eq!(stats.written + stats.dropped, RECORDS);
    assert_eq!(stats.written, held, "everything held was delivered");
    assert_eq!(lines.len() as u64, held);
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| uringlog_tests::field(l, "seq=").unwrap())
        .collect();
    assert!(uringlog_tests::strictly_increasing(&seqs));
    assert_eq!(
        *seqs.last().unwrap(),
        RECORDS - 1,
        "the newest record was kept"
    );
}
