//! A peer given by name, resolved through a resolver the test controls:
//! the name is resolved again when its addresses fail, and the resolver
//! never holds up the writer or its shutdown.

use super::*;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use uringlog::{Logger, Policy, WriterGuard};

const NAME: &str = "aggregator.test:514";
/// A bound for a broken run, never a measurement.
const HANG_GUARD: Duration = Duration::from_secs(30);
/// A shutdown timeout much shorter than a hanging resolver's
/// [`HANG_GUARD`]: a shutdown that waited for the resolver fails with it.
/// A sink that cannot deliver settles until a quarter of it (at most
/// 500 ms) is left, kept for closing and answering: 500 ms here. It was
/// 100 ms, whose 25 ms a loaded machine's writer missed now and then
/// (`Timeout` instead of the counts).
const NOT_FOR_THE_RESOLVER: Duration = Duration::from_secs(2);

/// An address nobody listens on: connecting to it is refused. Its port
/// stays this process's (a socket bound to it, never listening, never
/// closed), so no two calls give the same address and no other test's
/// listener takes it (a port let go could be given to the next `bind` of
/// port 0: an address "dead" twice, or alive). `SO_REUSEADDR` lets a test
/// listen on it later (a peer back at its known address).
fn dead() -> SocketAddr {
    // SAFETY: plain socket calls on a descriptor this function owns, with
    // a `sockaddr_in` and its size; the descriptor is kept on purpose.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
        let on: libc::c_int = 1;
        let on_ptr = std::ptr::addr_of!(on).cast();
        let on_len = std::mem::size_of_val(&on) as libc::socklen_t;
        let set = libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, on_ptr, on_len);
        assert_eq!(set, 0, "SO_REUSEADDR: {}", io::Error::last_os_error());
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let mut len = std::mem::size_of_val(&a) as libc::socklen_t;
        let ptr = std::ptr::addr_of_mut!(a).cast::<libc::sockaddr>();
        let bound = libc::bind(fd, ptr, len);
        assert_eq!(bound, 0, "bind: {}", io::Error::last_os_error());
        let got = libc::getsockname(fd, ptr, &mut len);
        assert_eq!(got, 0, "getsockname: {}", io::Error::last_os_error());
        SocketAddr::from(([127, 0, 0, 1], u16::from_be(a.sin_port)))
    }
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

/// A name whose DNS server stops answering: the resolver answers its
/// first call (made building the sink) with `[first]`; each later call
/// says it started, hangs until the test releases it (or the guard runs
/// out), then answers `then()`. It counts the calls begun and finished.
struct Hanging {
    resolve: Arc<ResolveFn>,
    started: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    calls: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
}

fn hanging(
    first: SocketAddr,
    then: impl Fn() -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
) -> Hanging {
    let (started_tx, started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let (calls, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, f) = (calls.clone(), finished.clone());
    let resolve = move |name: &str| {
        assert_eq!(name, NAME);
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(vec![first]);
        }
        let _ = started_tx.send(());
        let _ = released.lock().unwrap().recv_timeout(HANG_GUARD);
        f.fetch_add(1, Ordering::SeqCst);
        then()
    };
    Hanging {
        resolve: Arc::new(resolve),
        started,
        release,
        calls,
        finished,
    }
}

/// Waits until a report of `logger` starts with `prefix` (`n` of them),
/// and returns the reports then.
fn await_report(logger: &Logger, prefix: &str, n: usize) -> Vec<String> {
    let until = Instant::now() + HANG_GUARD;
    loop {
        let reports = logger.recent_errors();
        if reports.iter().filter(|r| r.starts_with(prefix)).count() >= n {
            return reports;
        }
        assert!(Instant::now() < until, "{prefix:?} not in {reports:#?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The reports that are not failed connection attempts.
fn news(reports: &[String]) -> Vec<&str> {
    (reports.iter())
        .filter(|r| !r.contains(": connect failed ("))
        .map(String::as_str)
        .collect()
}

/// The notice of a link (reports start with `to`) that stopped waiting
/// for its resolver after 20 ms, the connect timeout of these tests.
fn not_resolved_yet(to: &str) -> String {
    format!("{to}{NAME} is not resolved yet after 20 ms; trying the 1 known address(es) meanwhile")
}

/// Logs `seq=0` through `sink` (given a 20 ms connect timeout) and waits
/// until the name, resolved again, hangs and the known address has been
/// tried meanwhile (its failure 2); the reports then start with the
/// failure that set the resolver off and the notice that it was given up.
fn log_while_the_name_hangs(sink: SyslogSink, h: &Hanging, to: &str) -> (Logger, WriterGuard) {
    let sink = sink.connect_timeout(Duration::from_millis(20));
    let (logger, guard) = Logger::builder().sink(sink).build().unwrap();
    uringlog::info!(logger, "seq=0");
    h.started.recv_timeout(HANG_GUARD).expect("resolving again");
    let reports = await_report(&logger, &format!("{to}connect failed (failure 2): "), 1);
    let first = format!("{to}connect failed (failure 1): ");
    assert!(reports[0].starts_with(&first), "{reports:#?}");
    assert_eq!(reports[1], not_resolved_yet(to), "{reports:#?}");
    (logger, guard)
}

#[test]
fn shutdown_does_not_wait_for_a_resolver_that_hangs() {
    let old = dead();
    let h = hanging(old, move || Ok(vec![old]));
    let (logger, guard) = Logger::builder()
        .sink(tcp_sink(h.resolve))
        .policy(Policy::Block)
        .build()
        .unwrap();
    for i in 0..5 {
        uringlog::info!(logger, "seq={i}");
    }
    h.started.recv_timeout(HANG_GUARD).expect("resolving again");
    let s = guard.shutdown(NOT_FOR_THE_RESOLVER).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (5, 0, 5));
    assert_eq!(
        h.finished.load(Ordering::SeqCst),
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
    h.release.send(()).unwrap();
}

/// A RELP receiver for the first connection to `l`: answers `open` and
/// each `syslog` with 200 until `close` or the end; the MSG of each record.
fn receive_relp(l: TcpListener) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(HANG_GUARD)).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = std::io::BufReader::new(s);
        let mut out = Vec::new();
        while let Some((txnr, command, data)) = relp_frame(&mut r) {
            let body = match command.as_str() {
                "open" => "200 OK\nrelp_version=0\ncommands=syslog",
                _ => "200 OK",
            };
            let rsp = format!("{txnr} rsp {} {body}\n", body.len());
            std::io::Write::write_all(&mut w, rsp.as_bytes()).unwrap();
            match command.as_str() {
                "syslog" => {
                    let msg = String::from_utf8(data).unwrap();
                    out.push(msg.rsplit(' ').next().unwrap().to_owned());
                }
                "close" => break,
                _ => {}
            }
        }
        out
    })
}

/// One client frame (`TXNR SP COMMAND SP DATALEN [SP DATA] LF`), or
/// `None` at the end of the stream.
fn relp_frame(r: &mut impl Read) -> Option<(u32, String, Vec<u8>)> {
    let byte = |r: &mut dyn Read| {
        let mut b = [0u8];
        r.read_exact(&mut b).ok().map(|_| b[0])
    };
    let (mut head, mut spaces) = (String::new(), 0);
    let end = loop {
        match byte(r)? {
            b' ' if spaces == 2 => break b' ',
            b'\n' => break b'\n',
            b => {
                spaces += usize::from(b == b' ');
                head.push(char::from(b));
            }
        }
    };
    let mut fields = head.split(' ');
    let txnr = fields.next()?.parse().ok()?;
    let command = fields.next()?.to_owned();
    let len: usize = fields.next()?.parse().ok()?;
    let mut data = vec![0u8; len];
    if end == b' ' {
        r.read_exact(&mut data).ok()?;
        byte(r)?;
    }
    Some((txnr, command, data))
}

/// A name whose resolution hangs (a DNS server that does not answer)
/// keeps the link from its known addresses no longer than an attempt may
/// take (the connect timeout): it tries them meanwhile, with one resolver
/// at a time, and reaches the peer back at its known address while the
/// resolution still hangs.
fn back_at_its_known_address_while_its_name_hangs(kind: Kind) {
    let old = dead();
    let h = hanging(old, move || Ok(vec![old]));
    let sink = SyslogSink::resolved_by(kind, NAME, h.resolve.clone()).unwrap();
    let sink = sink.flush_timeout(HANG_GUARD);
    let sink =
        (sink.reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))).unwrap();
    let to = format!("syslog {} {old}: ", kind.name());
    let (logger, guard) = log_while_the_name_hangs(sink, &h, &to);
    let l = TcpListener::bind(old).unwrap();
    let receiver = match kind {
        Kind::Relp => receive_relp(l),
        _ => std::thread::spawn(move || texts(&receive(l).join().unwrap())),
    };
    logger.flush().expect("delivered at the known address");
    let s = guard.shutdown(HANG_GUARD).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
    assert_eq!(receiver.join().unwrap(), seqs(1));
    assert_eq!(h.calls.load(Ordering::SeqCst), 2, "one resolver at a time");
    assert_eq!(h.finished.load(Ordering::SeqCst), 0, "it still hangs");
    let reports = logger.recent_errors();
    let news = news(&reports);
    assert_eq!(news.len(), 2, "{reports:#?}");
    assert_eq!(news[0], not_resolved_yet(&to));
    let connected = format!("{to}connected again after ");
    assert!(news[1].starts_with(&connected), "{reports:#?}");
    h.release.send(()).unwrap();
}

#[test]
fn a_peer_back_at_its_known_address_is_reached_while_its_name_hangs() {
    back_at_its_known_address_while_its_name_hangs(Kind::Tcp);
}

#[test]
fn a_relp_peer_back_at_its_known_address_is_reached_while_its_name_hangs() {
    back_at_its_known_address_while_its_name_hangs(Kind::Relp);
}

/// A resolver that fails after hanging, for a peer that never comes back:
/// the known addresses are tried meanwhile, the failure starts a new
/// round, and only then (the first resolver done) is the name resolved
/// again, by a second resolver that hangs in its turn.
#[test]
fn a_resolver_that_fails_after_hanging_is_followed_by_one_more() {
    let old = dead();
    let h = hanging(old, || {
        Err(io::Error::new(io::ErrorKind::NotFound, "no such host"))
    });
    let to = format!("syslog tcp {old}: ");
    let (logger, guard) = log_while_the_name_hangs(tcp_sink(h.resolve.clone()), &h, &to);
    assert_eq!(h.calls.load(Ordering::SeqCst), 2, "one resolver at a time");
    h.release.send(()).unwrap();
    h.started
        .recv_timeout(HANG_GUARD)
        .expect("resolving once more");
    assert_eq!(
        h.finished.load(Ordering::SeqCst),
        1,
        "after the first ended"
    );
    let reports = await_report(&logger, &format!("{to}{NAME} is not resolved yet"), 2);
    let waited = not_resolved_yet(&to);
    let failed = format!(
        "{to}cannot resolve {NAME} again: no such host; trying the 1 known addresses again"
    );
    assert_eq!(news(&reports), [&waited, &failed, &waited], "{reports:#?}");
    let s = guard.shutdown(NOT_FOR_THE_RESOLVER).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 0, 1));
    assert_eq!(h.calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        h.finished.load(Ordering::SeqCst),
        1,
        "the second still hangs"
    );
    h.release.send(()).unwrap();
}

/// The answer of a resolver that hung, naming another address, is taken
/// while the known addresses are tried: the link goes to the new one.
#[test]
fn a_late_answer_naming_another_address_is_taken() {
    let old = dead();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let new = l.local_addr().unwrap();
    let receiver = receive(l);
    let h = hanging(old, move || Ok(vec![new]));
    let to = format!("syslog tcp {old}: ");
    let (logger, guard) = log_while_the_name_hangs(tcp_sink(h.resolve.clone()), &h, &to);
    h.release.send(()).unwrap();
    logger.flush().expect("delivered at the new address");
    let s = guard.shutdown(HANG_GUARD).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
    assert_eq!(texts(&receiver.join().unwrap()), seqs(1));
    assert_eq!(h.calls.load(Ordering::SeqCst), 2);
    let reports = logger.recent_errors();
    let news = news(&reports);
    assert_eq!(news.len(), 3, "{reports:#?}");
    let waited = not_resolved_yet(&to);
    assert_eq!(
        news[..2],
        [
            &waited,
            &format!("{to}{NAME} resolves to [{new}] now (was [{old}])")
        ]
    );
    let connected = format!("{to}connected again to {new} after ");
    assert!(news[2].starts_with(&connected), "{reports:#?}");
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
