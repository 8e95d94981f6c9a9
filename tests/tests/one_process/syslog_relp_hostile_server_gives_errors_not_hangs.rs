//! RELP against a hostile or broken server on loopback: garbage, an absurd
//! DATALEN, a refused `open`, an `rsp` for a TXNR never sent, a refused
//! record, a `serverclose` hint, answers out of order, an answer given
//! twice, and a server that never answers. Each is reported with the peer,
//! never a panic or a hang; the client reconnects and resends exactly what
//! was not acknowledged, and the books stay exact.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uringlog::{FlushError, Logger, Policy};
use uringlog_sinks::SyslogSink;
use uringlog_tests::relp::{read_frame, rsp};

/// What the fake server does on one connection.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Answers `open` with bytes that are not RELP.
    Garbage,
    /// Answers `open` with a frame claiming 999,999,999 bytes.
    HugeFrame,
    /// Answers `open` with code 500.
    RefuseOpen,
    /// Opens, then answers the first record with a TXNR never sent.
    UnknownTxnr,
    /// Opens, refuses the first record with 500, acknowledges the rest.
    RefuseFirstRecord,
    /// Opens, acknowledges `n` records, then says `serverclose` and hangs up.
    CloseAfter(usize),
    /// Opens, reads 10 records, acknowledges every second one in reverse
    /// order, then hangs up.
    HalfBackwardsThenHangUp,
    /// Opens and acknowledges the first record twice.
    AckTwice,
    /// Opens and acknowledges every record.
    Plain,
}

/// Notes a message the server acknowledged.
fn acked(got: &Mutex<Vec<String>>, data: &[u8]) {
    got.lock()
        .unwrap()
        .push(String::from_utf8_lossy(data).into_owned());
}

/// Serves one connection; records the messages it acknowledged.
fn serve(mut s: TcpStream, b: Behaviour, got: &Mutex<Vec<String>>) {
    let mut buf = Vec::new();
    let mut records = 0usize;
    let mut held = Vec::new();
    while let Some((txnr, cmd, data)) = read_frame(&mut s, &mut buf) {
        match (cmd.as_str(), b) {
            ("open", Behaviour::Garbage) => return drop(s.write_all(b"garbage\n")),
            ("open", Behaviour::HugeFrame) => return drop(s.write_all(b"1 rsp 999999999 200 OK")),
            ("open", Behaviour::RefuseOpen) => return rsp(&mut s, txnr, "500 go away"),
            ("open", _) => rsp(&mut s, txnr, "200 OK\nrelp_version=0\ncommands=syslog"),
            ("syslog", Behaviour::UnknownTxnr) => return rsp(&mut s, 424242, "200 OK"),
            ("syslog", Behaviour::RefuseFirstRecord) if records == 0 => {
                records += 1;
                rsp(&mut s, txnr, "500 not today");
            }
            ("syslog", Behaviour::HalfBackwardsThenHangUp) => {
                held.push((txnr, data));
                if held.len() < 10 {
                    continue;
                }
                for (txnr, data) in held.iter().skip(1).step_by(2).rev() {
                    acked(got, data);
                    rsp(&mut s, *txnr, "200 OK");
                }
                let _ = s.shutdown(std::net::Shutdown::Write);
                return while read_frame(&mut s, &mut buf).is_some() {};
            }
            ("syslog", Behaviour::AckTwice) => {
                acked(got, &data);
                rsp(&mut s, txnr, "200 OK");
                rsp(&mut s, txnr, "200 OK");
                return while read_frame(&mut s, &mut buf).is_some() {};
            }
            ("syslog", Behaviour::CloseAfter(n)) if records == n => {
                // A graceful close: the hint is read before the end.
                let _ = s.write_all(b"0 serverclose 0\n");
                let _ = s.shutdown(std::net::Shutdown::Write);
                return while read_frame(&mut s, &mut buf).is_some() {};
            }
            ("syslog", _) => {
                records += 1;
                acked(got, &data);
                rsp(&mut s, txnr, "200 OK");
            }
            ("close", _) => return rsp(&mut s, txnr, "200 OK"),
            _ => return,
        }
    }
}

/// A server that behaves as `plan` says, one connection each, in order.
fn fake_server(
    plan: Vec<Behaviour>,
) -> (u16, Arc<Mutex<Vec<String>>>, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let t = std::thread::spawn(move || {
        for b in plan {
            let (s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            serve(s, b, &g);
        }
    });
    (port, got, t)
}

fn relp_sink(port: u16, flush_timeout_ms: u64) -> SyslogSink {
    SyslogSink::relp(("127.0.0.1", port))
        .unwrap()
        .flush_timeout(Duration::from_millis(flush_timeout_ms))
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .unwrap()
}

#[test]
fn hostile_answers_are_errors_and_the_client_recovers() {
    use Behaviour::*;
    let plan = vec![
        Garbage,
        HugeFrame,
        RefuseOpen,
        UnknownTxnr,
        CloseAfter(3),
        RefuseFirstRecord,
    ];
    let (port, got, server) = fake_server(plan);
    let (logger, guard) = Logger::builder()
        .sink(relp_sink(port, 20_000))
        .policy(Policy::Block)
        .build()
        .unwrap();
    const N: u64 = 200;
    for n in 0..N {
        uringlog::info!(logger, "seq={n}");
    }
    // Every record is settled before flush returns: one was refused.
    let _ = logger.flush();
    let s = logger.stats();
    assert_eq!((s.written, s.dropped), (N - 1, 1), "{s:?}");
    let errors = logger.recent_errors().join("\n");
    for want in [
        "RELP protocol error: bad TXNR \"garbage\"",
        "RELP protocol error: frame of 999999999 bytes",
        "open refused: 500 go away",
        "rsp for unknown TXNR 424242",
        "the server refused a record: 500 not today",
        "the server closed the session",
    ] {
        assert!(errors.contains(want), "missing {want:?} in:\n{errors}");
    }
    assert!(
        errors.contains(&format!("syslog relp 127.0.0.1:{port}")),
        "{errors}"
    );
    let stats = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(
        (stats.enqueued, stats.written, stats.dropped),
        (N, N - 1, 1)
    );
    server.join().unwrap();
    let distinct: HashSet<String> = got.lock().unwrap().iter().cloned().collect();
    assert_eq!(
        distinct.len() as u64,
        N - 1,
        "every acknowledged record reached a server"
    );
}

#[test]
fn answers_out_of_order_or_twice_settle_each_record_once() {
    use Behaviour::*;
    let (port, got, server) = fake_server(vec![HalfBackwardsThenHangUp, AckTwice, Plain]);
    let (logger, guard) = Logger::builder()
        .sink(relp_sink(port, 20_000))
        .policy(Policy::Block)
        .build()
        .unwrap();
    const N: u64 = 100;
    for n in 0..N {
        uringlog::info!(logger, "seq={n}");
    }
    logger
        .flush()
        .expect("every record acknowledged; the hang-ups lost nothing");
    let errors = logger.recent_errors().join("\n");
    assert!(errors.contains("rsp for unknown TXNR 2"), "{errors}");
    let stats = guard.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (N, N, 0));
    drop(logger);
    server.join().unwrap();
    // Acknowledged once each: what was acknowledged (out of order, or
    // before a hang-up) was never sent again.
    let got = got.lock().unwrap();
    let distinct: HashSet<&String> = got.iter().collect();
    assert_eq!(
        (got.len() as u64, distinct.len() as u64),
        (N, N),
        "{got:#?}"
    );
}

#[test]
fn a_server_that_never_answers_fails_the_flush_and_shutdown_counts_the_loss() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    // Accepts and reads, never writes.
    let silent = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut sink = [0u8; 4096];
        while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
    });
    let (logger, guard) = Logger::builder()
        .sink(relp_sink(port, 200))
        .policy(Policy::DropNewest)
        .build()
        .unwrap();
    for n in 0..50 {
        uringlog::info!(logger, "seq={n}");
    }
    let started = Instant::now();
    match logger.flush() {
        Err(FlushError::Io { last, .. }) => assert_eq!(
            last,
            format!("flush: syslog relp 127.0.0.1:{port}: records logged before it are still unsettled after 200 ms: connected, but the server has not answered open")
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded, not hung"
    );
    let stats = guard.shutdown(Duration::from_secs(2)).unwrap();
    assert_eq!((stats.enqueued, stats.written, stats.dropped), (50, 0, 50));
    drop(logger);
    silent.join().unwrap();
}
