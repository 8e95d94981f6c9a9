//! A peer given by name, resolved through a resolver the test controls:
//! the name is resolved again when its addresses fail, and the resolver
//! never holds up the writer or its shutdown.

use super::*;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use uringlog::{Logger, Policy};

const NAME: &str = "aggregator.test:514";
/// A bound for a broken run, never a measurement.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// An address nobody listens on: connecting to it is refused.
fn dead() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A resolver that answers its n-th call with `answers[n]` (the last
/// answer again after them), counting its calls.
fn scripted(answers: Vec<io::Result<Vec<SocketAddr>>>) -> (Arc<ResolveFn>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let answers = Mutex::new(answers);
    let resolve = move |name: &str| {
        assert_eq!(name, NAME);
        let n = c.fetch_add(1, Ordering::SeqCst);
        let answers = answers.lock().unwrap();
        match &answers[n.min(answers.len() - 1)] {
            Ok(a) => Ok(a.clone()),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    };
    (Arc::new(resolve), calls)
}

fn tcp_sink(resolve: Arc<ResolveFn>) -> SyslogSink {
    SyslogSink::resolved_by(Kind::Tcp, NAME, resolve)
        .unwrap()
        .hostname("host")
        .unwrap()
        .app_name("app")
        .unwrap()
        .procid("1")
        .unwrap()
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .unwrap()
        .flush_timeout(HANG_GUARD)
}

/// Reads the first connection to `l` to its end.
fn receive(l: TcpListener) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut s, _): (TcpStream, _) = l.accept().unwrap();
        s.set_read_timeout(Some(HANG_GUARD)).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        all
    })
}

/// The MSG of each octet-counted frame.
fn texts(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(sp) = bytes.iter().position(|&b| b == b' ') {
        let len: usize = std::str::from_utf8(&bytes[..sp]).unwrap().parse().unwrap();
        let msg = std::str::from_utf8(&bytes[sp + 1..sp + 1 + len]).unwrap();
        out.push(msg.rsplit(' ').next().unwrap().to_owned());
        bytes = &bytes[sp + 1 + len..];
    }
    assert!(bytes.is_empty(), "a frame cut short");
    out
}

/// Logs `seq=0..n`, flushes and shuts down; returns the logger's reports.
fn deliver(sink: SyslogSink, n: u64) -> Vec<String> {
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .build()
        .unwrap();
    for i in 0..n {
        uringlog::info!(logger, "seq={i}");
    }
    logger.flush().expect("delivered");
    let s = guard.shutdown(HANG_GUARD).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (n, n, 0));
    logger.recent_errors()
}

fn seqs(n: u64) -> Vec<String> {
    (0..n).map(|i| format!("seq={i}")).collect()
}

#[test]
fn a_peer_that_moved_is_reached_once_its_name_resolves_again() {
    let old = dead();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let new = l.local_addr().unwrap();
    let receiver = receive(l);
    let (resolve, calls) = scripted(vec![Ok(vec![old]), Ok(vec![new])]);
    let sink = tcp_sink(resolve);
    assert_eq!(sink.peer(), old, "named by the address resolved first");
    let reports = deliver(sink, 20);
    assert_eq!(texts(&receiver.join().unwrap()), seqs(20), "once, in order");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "resolved again once");
    let failed = format!("syslog tcp {old}: connect failed (failure 1): ");
    let want = [
        format!("syslog tcp {old}: {NAME} resolves to [{new}] now (was [{old}])"),
        format!("syslog tcp {old}: connected again to {new} after 1 failed attempts"),
    ];
    let at = reports.iter().position(|r| r.starts_with(&failed));
    let at = at.unwrap_or_else(|| panic!("{failed:?} not in {reports:#?}"));
    assert_eq!(reports[at + 1..], want, "{reports:#?}");
}

#[test]
fn every_address_fails_before_the_name_is_resolved_again() {
    let (dead1, dead2) = (dead(), dead());
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let live = l.local_addr().unwrap();
    let receiver = receive(l);
    let (resolve, calls) = scripted(vec![Ok(vec![dead1, dead2, dead1]), Ok(vec![live])]);
    let reports = deliver(tcp_sink(resolve), 5);
    assert_eq!(texts(&receiver.join().unwrap()), seqs(5));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let tried: Vec<&str> = (reports.iter())
        .filter_map(|r| r.split_once(": connect failed (")?.1.split_once(','))
        .map(|(addr, _)| addr)
        .collect();
    assert_eq!(
        tried,
        [dead1.to_string(), dead2.to_string()],
        "{reports:#?}"
    );
}

#[test]
fn the_same_addresses_in_another_order_are_no_news() {
    let (dead1, dead2) = (dead(), dead());
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let live = l.local_addr().unwrap();
    let receiver = receive(l);
    let answers = vec![
        Ok(vec![dead1, dead2]),
        Ok(vec![dead2, dead1]),
        Ok(vec![live]),
    ];
    let (resolve, calls) = scripted(answers);
    let reports = deliver(tcp_sink(resolve), 5);
    assert_eq!(texts(&receiver.join().unwrap()), seqs(5));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let news: Vec<&String> = (reports.iter())
        .filter(|r| !r.contains(": connect failed ("))
        .collect();
    assert_eq!(
        news,
        [
            &format!(
                "syslog tcp {dead1}: {NAME} resolves to [{live}] now (was [{dead1}, {dead2}])"
            ),
            &format!("syslog tcp {dead1}: connected again to {live} after 4 failed attempts"),
        ],
        "{reports:#?}"
    );
}

#[test]
fn a_name_that_no_longer_resolves_keeps_the_addresses_known() {
    let old = dead();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let live = l.local_addr().unwrap();
    let receiver = receive(l);
    let gone = io::Error::new(io::ErrorKind::NotFound, "no such host");
    let (resolve, calls) = scripted(vec![Ok(vec![old]), Ok(vec![]), Err(gone), Ok(vec![live])]);
    let reports = deliver(tcp_sink(resolve), 5);
    assert_eq!(texts(&receiver.join().unwrap()), seqs(5));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let news: Vec<&String> = (reports.iter())
        .filter(|r| !r.contains(": connect failed ("))
        .collect();
    assert_eq!(
        news,
        [
            &format!("syslog tcp {old}: {NAME} resolved to no address; trying the 1 known again"),
            &format!(
                "syslog tcp {old}: cannot resolve {NAME} again: no such host; \
                 trying the 1 known addresses again"
            ),
            &format!("syslog tcp {old}: {NAME} resolves to [{live}] now (was [{old}])"),
            &format!("syslog tcp {old}: connected again to {live} after 3 failed attempts"),
        ],
        "{reports:#?}"
    );
}

#[test]
fn shutdown_does_not_wait_for_a_resolver_that_hangs() {
    let old = dead();
    let (started_tx, started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let calls = AtomicUsize::new(0);
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    let resolve = move |_: &str| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(vec![old]);
        }
        started_tx.send(()).unwrap();
        let _ = released.lock().unwrap().recv_timeout(HANG_GUARD);
        f.fetch_add(1, Ordering::SeqCst);
        Ok(vec![old])
    };
    let sink = tcp_sink(Arc::new(resolve));
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .policy(Policy::Block)
        .build()
        .unwrap();
    for i in 0..5 {
        uringlog::info!(logger, "seq={i}");
    }
    started.recv_timeout(HANG_GUARD).expect("resolving again");
    let s = guard.shutdown(Duration::from_millis(100)).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (5, 0, 5));
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "the resolver still hangs"
    );
    let reports = logger.recent_errors();
    let want = format!(
        "syslog tcp {old}: 5 records unsettled at shutdown (5 counted dropped): \
         not connected (connect failed: Connection refused (os error {}))",
        libc::ECONNREFUSED
    );
    assert!(reports.contains(&want), "{want:?} not in {reports:#?}");
    release.send(()).unwrap();
}

#[test]
fn a_name_that_resolves_to_nothing_makes_no_sink() {
    let (resolve, _) = scripted(vec![Ok(vec![])]);
    let e = SyslogSink::resolved_by(Kind::Tcp, NAME, resolve).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("syslog address {NAME:?} resolved to no address")
    );
    let none: &[SocketAddr] = &[];
    let e = SyslogSink::tcp(none).unwrap_err();
    assert_eq!(
        e.to_string(),
        "syslog address \"[]\" resolved to no address"
    );
    let (resolve, _) = scripted(vec![Err(io::Error::other("no such host"))]);
    let e = SyslogSink::resolved_by(Kind::Relp, NAME, resolve).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot resolve syslog address {NAME:?}: no such host")
    );
}
