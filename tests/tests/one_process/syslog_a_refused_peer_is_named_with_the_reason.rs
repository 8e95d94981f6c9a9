//! A peer that refuses every connection: the flush that gives up, and the
//! shutdown that counts the records dropped, each say which peer and why
//! (the last failure and its errno), not only that records are unsettled.

use std::net::SocketAddr;
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{assert_flush_fails_with, log_seqs, logger, refusing_addr};

const RECORDS: u64 = 3;

fn says_why(kind: &str, sink: fn(SocketAddr) -> SyslogSink) {
    let dead = refusing_addr();
    let sink = sink(dead)
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .unwrap()
        .flush_timeout(Duration::from_millis(500));
    let (logger, guard) = logger(sink, Policy::DropNewest);
    log_seqs(&logger, RECORDS);
    let why = format!(
        "not connected (connect failed: Connection refused (os error {}))",
        libc::ECONNREFUSED
    );
    assert_flush_fails_with(
        &logger,
        &format!("flush: syslog {kind} {dead}: records logged before it are still unsettled after 500 ms: {why}"),
    );
    // A sink that cannot deliver settles until a quarter of the timeout
    // (at most 500 ms) is left for closing and answering: 2 s leaves
    // 500 ms, which a loaded machine needs (100 ms left 25).
    let s = guard.shutdown(Duration::from_secs(2)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, 0, RECORDS));
    let dropped = format!(
        "syslog {kind} {dead}: {RECORDS} records unsettled at shutdown ({RECORDS} counted dropped): {why}"
    );
    let errors = logger.recent_errors();
    assert!(errors.contains(&dropped), "{dropped:?} not in {errors:#?}");
}

#[test]
fn over_tcp() {
    says_why("tcp", |a| SyslogSink::tcp(a).unwrap());
}

#[test]
fn over_relp() {
    says_why("relp", |a| SyslogSink::relp(a).unwrap());
}
