//! A TCP connection that never blocks its caller: non-blocking connect,
//! reconnects with backoff, and what happened, for `Logger::recent_errors`.
//!
//! States: `Down` (waiting for the next attempt), `Connecting` (a
//! non-blocking `connect` in progress, checked with a zero-timeout `poll`
//! each turn, given up after the connect timeout) and `Up`. Every failure
//! — refused, timed out, reset, closed by the peer — goes to `Down` with
//! the next delay of the [`Backoff`]. The backoff starts again from its
//! first delay only after a connection that lasted [`STABLE_AFTER`]: a peer
//! that accepts and hangs up at once is retried ever more slowly, like one
//! that refuses.
//!
//! A peer may have several addresses (a host name with several records):
//! each failure of one that was not up for [`STABLE_AFTER`] moves the next
//! attempt to the next address, round and round, and the reports then say
//! which address failed. A connection that lasted is tried again first.
//! A peer given by name is resolved again once every address known has
//! failed since the last resolution (see `resolve`), by one resolver at a
//! time running beside the states: the link waits for its answer as long
//! as a connect attempt may take, then tries the known addresses
//! meanwhile (a DNS server that does not answer keeps no peer that is back
//! at its address from being reached). With the answer the round starts
//! again at the first address of the new list (or of the old one, when
//! the name no longer resolves).

use super::backoff::{retry_at, Backoff};
use super::resolve::{Name, Pending};
use super::socket::Listed;
use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// Reports kept for `Sink::take_error` (the oldest go first).
const MAX_REPORTS: usize = 32;
/// How long a connection must have been up for its loss to reset the
/// backoff (a shorter one counts as one more failure in a row).
pub(crate) const STABLE_AFTER: Duration = Duration::from_secs(1);
/// How often an answer of the resolver is looked for while it is awaited.
const RESOLVE_POLL: Duration = Duration::from_millis(10);

/// What the sink has to tell the writer: errors, which lost records
/// (`Sink::take_error`), and notices of the connection's state, which did
/// not (`Sink::take_notice`).
#[derive(Debug, Default)]
pub(crate) struct Reports {
    errors: VecDeque<io::Error>,
    notices: VecDeque<String>,
}

impl Reports {
    /// An error: records were dropped.
    pub(crate) fn push(&mut self, kind: io::ErrorKind, msg: String) {
        if self.errors.len() == MAX_REPORTS {
            self.errors.pop_front();
        }
        self.errors.push_back(io::Error::new(kind, msg));
    }

    /// News that lost nothing (a connection lost, or made again).
    pub(crate) fn notice(&mut self, msg: String) {
        if self.notices.len() == MAX_REPORTS {
            self.notices.pop_front();
        }
        self.notices.push_back(msg);
    }

    pub(crate) fn take(&mut self) -> Option<io::Error> {
        self.errors.pop_front()
    }

    pub(crate) fn take_notice(&mut self) -> Option<String> {
        self.notices.pop_front()
    }
}

/// A connection's socket, closed in a forked child (see `socket`).
type Stream = Listed<TcpStream>;

enum State {
    Down { retry_at: Instant },
    Connecting { stream: Stream, since: Instant },
    Up { stream: Stream, since: Instant },
}

/// A TCP connection to one peer, (re)established on demand.
pub(crate) struct Link {
    /// The peer's addresses, at least one, and the one tried or up now.
    addrs: Vec<SocketAddr>,
    at: usize,
    /// The address that names the sink (reports name any other one).
    named: SocketAddr,
    /// The peer's name, when it was given one: resolved again once
    /// `failed` reaches the number of addresses.
    name: Option<Name>,
    /// Addresses that failed since the last resolution (or the last
    /// connection that lasted).
    failed: usize,
    /// The resolver of `name` while one runs (never more than one).
    resolving: Option<Pending>,
    state: State,
    backoff: Backoff,
    connect_timeout: Duration,
    /// A connection was up before (the next one is a *re*connection).
    was_up: bool,
    /// The last failure, while no connection has been made since.
    last_failure: Option<String>,
}

impl Link {
    /// A link to the peer at `addrs` (at least one; the first is tried
    /// first and names the sink), resolved again by `name` if it has one,
    /// that connects on its first `poll`.
    pub(crate) fn new(
        addrs: &[SocketAddr],
        name: Option<Name>,
        backoff: Backoff,
        connect_timeout: Duration,
    ) -> Link {
        assert!(!addrs.is_empty(), "a peer has an address");
        Link {
            addrs: addrs.to_vec(),
            at: 0,
            named: addrs[0],
            name,
            failed: 0,
            resolving: None,
            state: State::Down {
                retry_at: Instant::now(),
            },
            backoff,
            connect_timeout,
            was_up: false,
            last_failure: None,
        }
    }

    /// Moves the connection on without blocking. Returns the stream when it
    /// is up, and whether it came up during this call.
    pub(crate) fn poll(
        &mut self,
        now: Instant,
        reports: &mut Reports,
    ) -> Option<(&mut Stream, bool)> {
        let fresh = !self.is_up() && self.advance(now, reports);
        match &mut self.state {
            State::Up { stream, .. } => Some((stream, fresh)),
            _ => None,
        }
    }

    /// Connects as far as possible now; true once up.
    fn advance(&mut self, now: Instant, reports: &mut Reports) -> bool {
        loop {
            match &mut self.state {
                State::Up { .. } => return true,
                State::Down { retry_at } => {
                    let due = now >= *retry_at;
                    if self.take_answer(now, reports) {
                        continue;
                    }
                    if !due || !self.may_try_known(now, reports) {
                        return false;
                    }
                    match start_connect(&self.addrs[self.at]) {
                        Ok((stream, true)) => self.up(stream, now, reports),
                        Ok((stream, false)) => {
                            self.state = State::Connecting { stream, since: now }
                        }
                        Err(e) => return self.fail(now, "connect failed", &e, reports),
                    }
                }
                State::Connecting { stream, since } => match connect_result(stream) {
                    Ok(true) => {
                        let old = std::mem::replace(&mut self.state, State::Down { retry_at: now });
                        if let State::Connecting { stream, .. } = old {
                            self.up(stream, now, reports);
                        }
                    }
                    Ok(false) if now.duration_since(*since) < self.connect_timeout => return false,
                    Ok(false) => {
                        let e = io::Error::new(io::ErrorKind::TimedOut, "no answer");
                        return self.fail(now, "connect timed out", &e, reports);
                    }
                    Err(e) => return self.fail(now, "connect failed", &e, reports),
                },
            }
        }
    }

    /// Whether the name is to be resolved before the next attempt.
    fn resolve_due(&self) -> bool {
        self.name.is_some() && self.failed >= self.addrs.len()
    }

    /// Whether a known address may be tried now: yes unless the name is
    /// to be resolved again first. Then it starts the resolver (when none
    /// runs) and waits for it up to the connect timeout; after that it
    /// says so, once, and tries the known addresses while it still runs.
    fn may_try_known(&mut self, now: Instant, reports: &mut Reports) -> bool {
        if !self.resolve_due() {
            return true;
        }
        if self.resolving.is_none() {
            self.resolve(now, reports);
        }
        let (Some(name), Some(pending)) = (&self.name, &mut self.resolving) else {
            return true; // no resolver could be started: a new round began
        };
        pending.needed = true;
        if pending.overdue {
            return true;
        }
        if now.saturating_duration_since(pending.since) < self.connect_timeout {
            return false;
        }
        pending.overdue = true;
        reports.notice(format!(
            "{name} is not resolved yet after {} ms; \
             trying the {} known address(es) meanwhile",
            self.connect_timeout.as_millis(),
            self.addrs.len()
        ));
        true
    }

    /// Starts resolving the name again (or, when no thread can be
    /// started for it, goes on with the addresses known).
    fn resolve(&mut self, now: Instant, reports: &mut Reports) {
        let Some(name) = &self.name else {
            return;
        };
        match name.start(now) {
            Ok(pending) => self.resolving = Some(pending),
            Err(e) => {
                let e = io::Error::new(e.kind(), format!("cannot start a resolver: {e}"));
                self.resolved(Err(e), now, reports);
            }
        }
    }

    /// Takes the resolver's answer, if it came: true when the link took
    /// it (an answer the link no longer needs, connected meanwhile, is
    /// dropped, and the resolver is done either way).
    fn take_answer(&mut self, now: Instant, reports: &mut Reports) -> bool {
        let Some(answer) = self.resolving.as_ref().and_then(Pending::poll) else {
            return false;
        };
        let needed = self.resolving.take().is_some_and(|p| p.needed);
        if needed {
            self.resolved(answer, now, reports);
        }
        needed
    }

    /// Takes the resolver's answer while down: a new list of addresses,
    /// tried from its first at once, or (no address, or an error) the old
    /// list again, from its first when the next attempt is due.
    fn resolved(
        &mut self,
        answer: io::Result<Vec<SocketAddr>>,
        now: Instant,
        reports: &mut Reports,
    ) {
        let name = self.name.as_ref().map_or(String::new(), |n| n.to_string());
        let known = self.addrs.len();
        match answer {
            Ok(addrs) if addrs.is_empty() => reports.notice(format!(
                "{name} resolved to no address; trying the {known} known again"
            )),
            Err(e) => reports.notice(format!(
                "cannot resolve {name} again: {e}; trying the {known} known addresses again"
            )),
            // The same addresses, perhaps in another order (DNS servers
            // rotate them): no news, and the round goes on in its order.
            Ok(addrs) if addrs.len() == known && addrs.iter().all(|a| self.addrs.contains(a)) => {}
            Ok(addrs) => {
                reports.notice(format!(
                    "{name} resolves to {} now (was {})",
                    list(&addrs),
                    list(&self.addrs)
                ));
                self.addrs = addrs;
                self.state = State::Down { retry_at: now };
            }
        }
        self.at = 0;
        self.failed = 0;
    }

    fn up(&mut self, stream: Stream, now: Instant, reports: &mut Reports) {
        let _ = stream.set_nodelay(true);
        let failures = self.backoff.failures();
        if self.was_up || failures > 0 {
            reports.notice(format!(
                "connected again{} after {failures} failed attempts",
                self.which(" to ", "")
            ));
        }
        self.was_up = true;
        self.last_failure = None;
        if let Some(pending) = &mut self.resolving {
            pending.needed = false;
        }
        self.state = State::Up { stream, since: now };
    }

    /// The connection failed or was lost: closes it and waits the next
    /// backoff delay before trying again (the first delay again if the
    /// connection had lasted). Returns false (not up).
    pub(crate) fn fail(
        &mut self,
        now: Instant,
        what: &str,
        e: &io::Error,
        reports: &mut Reports,
    ) -> bool {
        let lasted = match self.state {
            State::Up { since, .. } => now.saturating_duration_since(since) >= STABLE_AFTER,
            _ => false,
        };
        if lasted {
            self.backoff.reset();
            self.failed = 0;
        }
        let delay = self.backoff.next_delay();
        let attempt = self.backoff.failures();
        self.state = State::Down {
            retry_at: retry_at(now, delay),
        };
        reports.notice(format!(
            "{what} ({}failure {attempt}): {e}; retrying in {} ms",
            self.which("", ", "),
            delay.as_millis()
        ));
        self.last_failure = Some(format!("{what}{}: {e}", self.which(" (", ")")));
        if !lasted {
            self.at = (self.at + 1) % self.addrs.len();
            self.failed += 1;
        }
        false
    }

    /// Why no connection is up, when one failed since the last was made:
    /// `not connected (<what failed>: <error>)`.
    pub(crate) fn stalled_by(&self) -> Option<String> {
        let why = self.last_failure.as_ref().filter(|_| !self.is_up())?;
        Some(format!("not connected ({why})"))
    }

    /// `before`, the address tried and `after` when the peer has several
    /// addresses or another than the one that names the sink; nothing
    /// when it has just that one (the sink's name says it).
    pub(crate) fn which(&self, before: &str, after: &str) -> String {
        match self.addrs[..] {
            [one] if one == self.named => String::new(),
            _ => format!("{before}{}{after}", self.addrs[self.at]),
        }
    }

    /// Whether the connection is up.
    pub(crate) fn is_up(&self) -> bool {
        matches!(self.state, State::Up { .. })
    }

    /// The descriptor to wait on and when to stop waiting: the socket
    /// while connecting or up, else the time of the next attempt.
    pub(crate) fn wait_target(&self) -> (Option<RawFd>, Option<Instant>) {
        match &self.state {
            State::Down { .. } => (None, self.retry_at()),
            State::Connecting { stream, .. } | State::Up { stream, .. } => {
                (Some(stream.as_raw_fd()), None)
            }
        }
    }

    /// When the next connection attempt is due, while waiting for it,
    /// or sooner the next look for an answer the link waits for (not one
    /// it gave up waiting for: that is taken at the next attempt).
    pub(crate) fn retry_at(&self) -> Option<Instant> {
        let State::Down { retry_at } = self.state else {
            return None;
        };
        let now = Instant::now();
        Some(match &self.resolving {
            Some(p) if p.needed && !p.overdue && retry_at <= now => now + RESOLVE_POLL,
            Some(p) if p.needed && !p.overdue => retry_at.min(now + RESOLVE_POLL),
            _ => retry_at,
        })
    }

    /// Closes the connection (it reconnects on the next `poll`).
    pub(crate) fn close(&mut self) {
        self.state = State::Down {
            retry_at: Instant::now(),
        };
    }
}

/// `[a, b]`: addresses for a report.
fn list(addrs: &[SocketAddr]) -> String {
    let all: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
    format!("[{}]", all.join(", "))
}

/// A non-blocking TCP socket connecting to `addr`; `true` when the
/// connection completed at once.
fn start_connect(addr: &SocketAddr) -> io::Result<(Stream, bool)> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    let stream = Listed::open(|| {
        // SAFETY: socket() has no memory preconditions; the result is checked.
        let fd = unsafe { libc::socket(domain, ty, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a descriptor we just opened and own exclusively.
        Ok(TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    })?;
    let fd = stream.as_raw_fd();
    let (storage, len) = sockaddr(addr);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes for the
    // socket's family, and outlives the call.
    let rc = unsafe { libc::connect(fd, (&storage as *const libc::sockaddr_storage).cast(), len) };
    if rc == 0 {
        return Ok((stream, true));
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINPROGRESS) | Some(libc::EINTR) => Ok((stream, false)),
        _ => Err(e),
    }
}

/// Whether a non-blocking connect finished: `Ok(true)` connected,
/// `Ok(false)` still in progress, `Err` failed.
fn connect_result(stream: &TcpStream) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd; a zero timeout never blocks.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    if n == 0 {
        return Ok(false);
    }
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    // POLLHUP without a pending error: the peer is gone already.
    stream.peer_addr().map(|_| true)
}

/// `addr` as a `sockaddr_storage` and its length.
fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data for which all zeroes is valid.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// Waits up to `timeout` for `fd` to be ready for `events`, or (without a
/// descriptor) until `until`, whichever is first. Never longer than `timeout`.
pub(crate) fn wait(fd: Option<RawFd>, events: i16, until: Option<Instant>, timeout: Duration) {
    let timeout = match until {
        Some(t) => timeout.min(t.saturating_duration_since(Instant::now())),
        None => timeout,
    };
    if timeout.is_zero() {
        return;
    }
    match fd {
        Some(fd) => {
            let mut p = libc::pollfd {
                fd,
                events,
                revents: 0,
            };
            let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
            // SAFETY: `p` is one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut p, 1, ms) };
        }
        None => std::thread::sleep(timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{mpsc, Arc, Mutex};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Polls until the link is up or `turns` run out.
    fn connect(link: &mut Link, reports: &mut Reports) -> bool {
        for _ in 0..2000 {
            if link.poll(Instant::now(), reports).is_some() {
                return true;
            }
            std::thread::sleep(ms(1));
        }
        false
    }

    #[test]
    fn connects_without_blocking_and_reports_reconnections() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut reports = Reports::default();
        let mut link = Link::new(&[addr], None, Backoff::with_seed(ms(1), ms(4), 1), ms(5000));
        assert!(connect(&mut link, &mut reports));
        assert!(
            reports.take_notice().is_none(),
            "the first connection is not news"
        );
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        link.fail(Instant::now(), "connection lost", &e, &mut reports);
        assert!(!link.is_up());
        let r = reports.take_notice().unwrap();
        assert!(
            r.starts_with("connection lost (failure 1): connection reset; retrying in "),
            "{r}"
        );
        assert!(connect(&mut link, &mut reports));
        assert_eq!(
            reports.take_notice().unwrap(),
            "connected again after 1 failed attempts"
        );
        assert!(reports.take().is_none(), "connection events are no errors");
    }

    #[test]
    fn only_a_connection_that_lasted_resets_the_backoff() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut reports = Reports::default();
        let mut link = Link::new(
            &[l.local_addr().unwrap()],
            None,
            Backoff::with_seed(ms(1), ms(4), 1),
            ms(5000),
        );
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        let mut lose_after = |up_for: Duration, reports: &mut Reports| {
            assert!(connect(&mut link, reports));
            link.fail(Instant::now() + up_for, "connection lost", &e, reports);
            while let Some(n) = reports.take_notice() {
                if n.starts_with("connection lost") {
                    return n[..27].to_owned();
                }
            }
            panic!("no report");
        };
        assert_eq!(
            lose_after(ms(0), &mut reports),
            "connection lost (failure 1)"
        );
        assert_eq!(
            lose_after(ms(0), &mut reports),
            "connection lost (failure 2)"
        );
        assert_eq!(
            lose_after(ms(0), &mut reports),
            "connection lost (failure 3)"
        );
        assert_eq!(
            lose_after(STABLE_AFTER, &mut reports),
            "connection lost (failure 1)"
        );
    }

    #[test]
    fn failures_move_to_the_next_address_and_a_lasting_connection_stays() {
        let dead = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let live = l.local_addr().unwrap();
        let mut reports = Reports::default();
        let mut link = Link::new(
            &[dead, live],
            None,
            Backoff::with_seed(ms(1), ms(1), 1),
            ms(5000),
        );
        assert!(connect(&mut link, &mut reports));
        assert_eq!(link.addrs[link.at], live, "the refused address was left");
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        link.fail(
            Instant::now() + STABLE_AFTER,
            "connection lost",
            &e,
            &mut reports,
        );
        assert_eq!(link.addrs[link.at], live, "it lasted: tried again first");
        assert!(connect(&mut link, &mut reports));
        link.fail(Instant::now(), "connection lost", &e, &mut reports);
        assert_eq!(link.addrs[link.at], dead, "it did not last: the next one");
        let notices: Vec<String> = std::iter::from_fn(|| reports.take_notice()).collect();
        let lost = format!("connection lost ({live}, failure 1): connection reset; retrying in ");
        assert!(notices[2].starts_with(&lost), "{notices:#?}");
    }

    /// Polls until a notice starting with `what` comes; the notices read.
    fn poll_until(link: &mut Link, reports: &mut Reports, what: &str) -> Vec<String> {
        let mut seen = Vec::new();
        for _ in 0..30_000 {
            link.poll(Instant::now(), reports);
            seen.extend(std::iter::from_fn(|| reports.take_notice()));
            if seen.iter().any(|n| n.starts_with(what)) {
                return seen;
            }
            std::thread::sleep(ms(1));
        }
        panic!("{what:?} not in {seen:#?}");
    }

    /// A connection that comes and goes while the name's resolver hangs
    /// starts no second resolver, and the answer that comes while the link
    /// is up is dropped: the link connected at a known address meanwhile.
    #[test]
    fn one_resolver_at_a_time_and_an_answer_while_up_is_dropped() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let other: SocketAddr = "127.0.0.2:9".parse().unwrap();
        let (answer, answers) = mpsc::channel::<Vec<SocketAddr>>();
        let answers = Mutex::new(answers);
        let (calls, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, f) = (calls.clone(), finished.clone());
        let resolve = move |_: &str| {
            c.fetch_add(1, SeqCst);
            let answers = answers.lock().unwrap();
            let got = answers
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_default();
            f.fetch_add(1, SeqCst);
            Ok(got)
        };
        let name = Name::new("logs:514".into(), Arc::new(resolve));
        let backoff = Backoff::with_seed(ms(1), ms(1), 1);
        let mut link = Link::new(&[addr], Some(name), backoff, ms(20));
        let mut reports = Reports::default();
        let mut seen = poll_until(&mut link, &mut reports, "connect failed (failure 2)");
        let waited = "logs:514 is not resolved yet after 20 ms; \
                      trying the 1 known address(es) meanwhile";
        assert_eq!(seen[1], waited);
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        // Up, and lost at once: the resolver still runs, no second starts.
        let l = TcpListener::bind(addr).unwrap();
        assert!(connect(&mut link, &mut reports));
        drop(l);
        link.fail(Instant::now(), "connection lost", &e, &mut reports);
        seen.extend(poll_until(&mut link, &mut reports, "connect failed ("));
        assert_eq!(calls.load(SeqCst), 1, "one resolver at a time: {seen:#?}");
        // Up again, and the resolver answers meanwhile: the answer is
        // dropped and, the resolver done, the next round starts another.
        let l = TcpListener::bind(addr).unwrap();
        assert!(connect(&mut link, &mut reports));
        answer.send(vec![other]).unwrap();
        while finished.load(SeqCst) == 0 {
            std::thread::sleep(ms(1));
        }
        drop(l);
        link.fail(Instant::now(), "connection lost", &e, &mut reports);
        while calls.load(SeqCst) < 2 {
            link.poll(Instant::now(), &mut reports);
            std::thread::sleep(ms(1));
        }
        seen.extend(std::iter::from_fn(|| reports.take_notice()));
        assert_eq!(link.addrs, [addr], "the answer was dropped: {seen:#?}");
        let news: Vec<&String> = (seen.iter())
            .filter(|n| !n.contains("failed (") && !n.starts_with("connection lost"))
            .collect();
        assert_eq!(news.len(), 3, "{seen:#?}");
        assert_eq!(news[0], waited);
        assert!(news[1].starts_with("connected again after "), "{seen:#?}");
        assert!(news[2].starts_with("connected again after "), "{seen:#?}");
        answer.send(vec![]).unwrap();
    }

    /// Once the link stopped waiting for a resolver that hangs, it wakes
    /// for its next attempt only (taking the answer then, if one came),
    /// not every [`RESOLVE_POLL`] for as long as the resolver hangs.
    #[test]
    fn a_resolver_given_up_on_is_not_polled_for() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let resolve = move |_: &str| {
            let _ = released
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(30));
            Ok(vec![addr])
        };
        let name = Name::new("logs:514".into(), Arc::new(resolve));
        let backoff = Backoff::with_seed(ms(60_000), ms(60_000), 1);
        let mut link = Link::new(&[addr], Some(name), backoff, ms(0));
        let mut reports = Reports::default();
        poll_until(&mut link, &mut reports, "connect failed (failure 1)");
        let State::Down { retry_at } = link.state else {
            panic!("down after a refused attempt");
        };
        assert_eq!(link.retry_at(), Some(retry_at), "no resolver yet");
        // Due: the resolver starts, hangs, and is given up on at once
        // (a connect timeout of 0); the known address is refused again.
        link.poll(retry_at, &mut reports);
        let State::Down { retry_at } = link.state else {
            panic!("down after a refused attempt");
        };
        let notices: Vec<String> = std::iter::from_fn(|| reports.take_notice()).collect();
        assert_eq!(
            notices[0],
            "logs:514 is not resolved yet after 0 ms; trying the 1 known address(es) meanwhile"
        );
        assert!(
            notices[1].starts_with("connect failed (failure 2)"),
            "{notices:#?}"
        );
        assert_eq!(link.retry_at(), Some(retry_at), "{notices:#?}");
        release.send(()).unwrap();
    }

    #[test]
    fn a_refused_connection_backs_off() {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let mut reports = Reports::default();
        let mut link = Link::new(
            &[addr],
            None,
            Backoff::with_seed(ms(50), ms(50), 1),
            ms(5000),
        );
        let now = Instant::now();
        let mut polls = 0;
        while reports.notices.is_empty() && polls < 1000 {
            assert!(link.poll(now, &mut reports).is_none());
            std::thread::sleep(ms(1));
            polls += 1;
        }
        let r = reports.take_notice().unwrap();
        assert!(r.starts_with("connect failed (failure 1): "), "{r}");
        // Within the backoff delay nothing is tried again.
        assert!(link.poll(now, &mut reports).is_none());
        assert!(reports.take_notice().is_none());
        assert!(reports.take().is_none());
        assert!(matches!(link.wait_target(), (None, Some(_))));
    }
}
