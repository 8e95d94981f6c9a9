//! A peer that accepts the connection and then never reads (a receiver
//! wedged on its disk, a firewall that lets the handshake through): the
//! flush that gives up and the shutdown that counts the records dropped
//! say why they did not settle, though the connection is up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use uringlog::Policy;
use uringlog_sinks::SyslogSink;
use uringlog_tests::rsyslog::{assert_flush_fails_with, logger};

/// Records of 8 KiB, more than the sink's buffer and both sockets take.
const RECORDS: u64 = 6_000;

/// Logs to a peer listening at `l`, which the test makes stop reading.
fn says_why(l: TcpListener, kind: &str, sink: fn(SocketAddr) -> SyslogSink, why: &str) {
    let peer = l.local_addr().unwrap();
    let sink = sink(peer).flush_timeout(Duration::from_millis(200));
    let (logger, guard) = logger(sink, Policy::DropNewest);
    let text = "x".repeat(8 << 10);
    for n in 0..RECORDS {
        uringlog::info!(logger, "{text} seq={n}");
    }
    assert_flush_fails_with(
        &logger,
        &format!("flush: syslog {kind} {peer}: records logged before it are still unsettled after 200 ms: {why}"),
    );
    let s = guard.shutdown(Duration::from_millis(100)).unwrap();
    assert_eq!(s.enqueued, RECORDS);
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    let errors = logger.recent_errors();
    let unsettled = format!("syslog {kind} {peer}: ");
    let at_shutdown = (errors.iter()).find(|e| e.contains("unsettled at shutdown"));
    let at_shutdown = at_shutdown.unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(at_shutdown.starts_with(&unsettled), "{errors:#?}");
    assert!(
        at_shutdown.ends_with(&format!(" counted dropped): {why}")),
        "{errors:#?}"
    );
}

#[test]
fn over_tcp() {
    // Connections are taken by the kernel (the backlog) and never read.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    says_why(
        l,
        "tcp",
        |a| SyslogSink::tcp(a).unwrap(),
        "connected, but the socket is full (the peer reads too slowly or not at all)",
    );
}

/// A RELP server that answers `open`, then reads nothing more: a window
/// of 5 records goes out (the kernel takes them) and is never acknowledged.
#[test]
fn over_relp_with_records_never_acknowledged() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = l.try_clone().unwrap();
    let (hold, held) = std::sync::mpsc::channel::<()>();
    let answers = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut open = [0u8; 4096];
        let n = s.read(&mut open).unwrap();
        assert!(open[..n].starts_with(b"1 open "), "{:?}", &open[..n]);
        let body = "200 OK\nrelp_version=0\ncommands=syslog";
        writeln!(s, "1 rsp {} {body}", body.len()).unwrap();
        // Kept open, unread, until the test is done.
        let _ = held.recv_timeout(uringlog_tests::WATCHDOG);
    });
    says_why(
        l,
        "relp",
        |a| SyslogSink::relp(a).unwrap().relp_window(5).unwrap(),
        "connected, but the server has not acknowledged the 5 records in flight",
    );
    hold.send(()).unwrap();
    answers.join().unwrap();
}
