//! A peer given as several addresses (a host name with several records,
//! or a list) whose first address refuses connections: the sink tries the
//! next one, delivers every record there once and in order, and reports
//! the failed attempt naming the address it tried and the errno.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{log_seqs, logger, octet_counted};

const RECORDS: u64 = 20;

#[test]
fn syslog_tcp_tries_each_address_of_the_peer() {
    let dead: SocketAddr = uringlog_tests::rsyslog::refusing_addr();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let live = l.local_addr().unwrap();
    let receiver = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        // A bound for a broken run, never a measurement.
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        all
    });
    let sink = SyslogSink::tcp(&[dead, live][..])
        .unwrap()
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .unwrap()
        .flush_timeout(Duration::from_secs(10));
    assert_eq!(sink.peer(), dead, "the first address names the sink");
    let (logger, guard) = logger(sink, Policy::Block);
    log_seqs(&logger, RECORDS);
    logger
        .flush()
        .expect("delivered through the second address");
    let s = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (RECORDS, RECORDS, 0));

    let got: Vec<String> = octet_counted(&receiver.join().unwrap())
        .into_iter()
        .map(|m| m.rsplit(' ').next().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..RECORDS).map(|n| format!("seq={n}")).collect();
    assert_eq!(got, want, "once each, in order");
    let errors = logger.recent_errors();
    let want = format!(
        "syslog tcp {dead}: connect failed ({dead}, failure 1): Connection refused (os error {}); retrying in ",
        libc::ECONNREFUSED
    );
    assert!(
        errors.iter().any(|e| e.starts_with(&want)),
        "{want:?} not in {errors:#?}"
    );
    let again = format!("syslog tcp {dead}: connected again to {live} after 1 failed attempts");
    assert!(errors.contains(&again), "{again:?} not in {errors:#?}");
}
