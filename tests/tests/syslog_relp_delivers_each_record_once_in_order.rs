//! Over RELP to a real rsyslogd: every record is acknowledged and arrives
//! once, in order per producer, its structured data escaped.

use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{
    assert_each_once_in_order, log_sequences, logger, split_line, Rsyslog,
};

const THREADS: u64 = 2;
const PER_THREAD: u64 = 4000;

#[test]
fn syslog_relp_delivers_each_record_once_in_order() {
    let rs = Rsyslog::start();
    let sink = SyslogSink::relp(("127.0.0.1", rs.relp_port))
        .unwrap()
        // A loaded machine slows rsyslogd, not the protocol: flush waits.
        .flush_timeout(std::time::Duration::from_secs(120))
        .app_name("relp-app")
        .unwrap()
        .relp_window(16)
        .unwrap();
    let (logger, guard) = logger(sink, Policy::Block);
    uringlog::error!(logger, quote = "\"]\\", empty = ""; "");
    // Written before the threads' records: order across rings is drain order.
    logger.flush().unwrap();
    log_sequences(&logger, THREADS, PER_THREAD);
    // Acknowledged means in the receiver's file: flush, then read.
    logger.flush().unwrap();
    let total = 1 + THREADS * PER_THREAD;
    let lines = rs.lines();
    assert_eq!(
        lines.len() as u64,
        total,
        "every acknowledged record is in the file"
    );
    let (head, rest) = split_line(&lines[0]);
    assert_eq!((head[0], head[3]), ("11", "relp-app"), "user.err");
    assert_eq!(rest, "[fields@32473 quote=\"\\\"\\]\\\\\" empty=\"\"] ");
    assert_each_once_in_order(&lines[1..], THREADS, PER_THREAD);
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (total, total, 0)
    );
    assert!(stats.errors == 0, "{:?}", stats);
}
