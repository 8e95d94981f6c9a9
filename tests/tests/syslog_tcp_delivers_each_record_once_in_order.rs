//! Over TCP to a real rsyslogd: every record arrives once, in order per
//! producer, with its header fields and escaped structured data intact.

use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::{Facility, SyslogSink};
use uringlog_tests::rsyslog::{
    assert_each_once_in_order, log_sequences, logger, split_line, Rsyslog,
};

const THREADS: u64 = 3;
const PER_THREAD: u64 = 3000;

#[test]
fn syslog_tcp_delivers_each_record_once_in_order() {
    let rs = Rsyslog::start();
    let sink = SyslogSink::tcp(("127.0.0.1", rs.tcp_port))
        .unwrap()
        // A loaded machine slows rsyslogd, not the protocol: flush waits.
        .flush_timeout(std::time::Duration::from_secs(120))
        .facility(Facility::Local3)
        .hostname("test-host")
        .unwrap()
        .app_name("web")
        .unwrap()
        .procid("77")
        .unwrap()
        .msgid("REQ")
        .unwrap();
    let (logger, guard) = logger(sink, Policy::Block);
    uringlog::warn!(logger, user = "al\"ice", path = "a\\b]c", n = 7u8; "first é");
    logger.flush().unwrap();
    log_sequences(&logger, THREADS, PER_THREAD);
    logger.flush().unwrap();
    let stats = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (1 + THREADS * PER_THREAD, 1 + THREADS * PER_THREAD, 0)
    );

    let total = (1 + THREADS * PER_THREAD) as usize;
    let lines = rs.wait_for(Duration::from_secs(60), |l| l.len() >= total);
    let (head, rest) = split_line(&lines[0]);
    assert_eq!(head[0], "156", "PRI of local3.warning: 19 * 8 + 4");
    assert_eq!(head[2..], ["test-host", "web", "77", "REQ"]);
    assert_eq!(
        rest,
        "[fields@32473 user=\"al\\\"ice\" path=\"a\\\\b\\]c\" n=\"7\"] first é"
    );
    assert_each_once_in_order(&lines[1..], THREADS, PER_THREAD);
    assert!(
        lines[1..].iter().all(|l| split_line(l).0[0] == "158"),
        "local3.info"
    );
}
