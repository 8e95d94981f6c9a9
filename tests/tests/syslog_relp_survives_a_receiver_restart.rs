//! RELP across a receiver killed (SIGKILL) and restarted mid-stream:
//! unacknowledged frames are resent, so every record arrives (duplicates
//! allowed: a frame the receiver took whose acknowledgement was lost), the
//! books balance with nothing dropped, and the restart is reported.

use std::collections::HashSet;
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{logger, Rsyslog};

const RECORDS: u64 = 30_000;
const WINDOW: u64 = 64;

#[test]
fn syslog_relp_survives_a_receiver_restart() {
    let mut rs = Rsyslog::start();
    let sink = SyslogSink::relp(("127.0.0.1", rs.relp_port))
        .unwrap()
        .relp_window(WINDOW as usize)
        .unwrap()
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .unwrap();
    let (logger, guard) = logger(sink, Policy::Block);
    std::thread::scope(|s| {
        let l = logger.clone();
        s.spawn(move || {
            for n in 0..RECORDS {
                uringlog::info!(l, "seq={n}");
                if n % 1000 == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        });
        let seen = rs.wait_for(Duration::from_secs(60), |l| l.len() >= 5000);
        assert!(seen.len() >= 5000, "the stream started");
        rs.kill();
        std::thread::sleep(Duration::from_millis(300));
        rs.launch();
    });
    let stats = guard.shutdown(Duration::from_secs(60)).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (RECORDS, RECORDS, 0)
    );
    let lines = rs.wait_for(Duration::from_secs(10), |l| l.len() as u64 >= RECORDS);
    let distinct: HashSet<u64> = lines
        .iter()
        .filter_map(|l| uringlog_tests::field(l, "seq="))
        .collect();
    assert_eq!(distinct.len() as u64, RECORDS, "every record arrived");
    let duplicates = lines.len() as u64 - RECORDS;
    assert!(
        duplicates <= WINDOW,
        "{duplicates} duplicates: more than one window"
    );
    let errors = logger.recent_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("connection lost") || e.contains("connect failed")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("connected again")),
        "{errors:?}"
    );
}
