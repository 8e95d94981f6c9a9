//! `SyslogSink` itself: its options, and the deferred-completion side of
//! the `Sink` protocol on top of a buffer and a transport.

use super::backoff::Backoff;
use super::buffer::Buffer;
use super::connection::{self, Link, Reports};
use super::error::SyslogError;
use super::framing::Framing;
use super::header::{self, APP_NAME, HOSTNAME, MSGID, PROCID};
use super::relp_client::Relp;
use super::resolve::{self, Name, ResolveFn};
use super::rfc5424::{is_sd_name_char, Facility, Header, Rfc5424};
use super::tcp::Tcp;
use super::transport::Transport;
use super::udp::Udp;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uringlog::{
    Backlog, Completion, RecordBatch, RecordFormat, Settled, Sink, SinkContext, Target,
};

/// Default bound of the buffer.
pub const DEFAULT_BUFFER_BYTES: usize = 4 << 20;
/// Default limit of one SYSLOG-MSG (its message text is cut to fit).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 10;
/// Default RELP window: unacknowledged frames at most (librelp's default).
pub const DEFAULT_RELP_WINDOW: usize = 128;
/// Longest SD-ID (an SD-NAME).
const MAX_SD_ID: usize = 32;
/// Largest UDP payload over IPv4 (65,535 less the IP and UDP headers) and
/// over IPv6 (65,535 less the UDP header): UDP messages are cut to fit.
const MAX_UDP_V4: usize = 65_507;
const MAX_UDP_V6: usize = 65_527;
/// Time between two reports of records dropped for room.
const OVERFLOW_REPORT_EVERY: Duration = Duration::from_secs(1);

/// Which protocol carries the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Tcp,
    Relp,
    Udp,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Tcp => "tcp",
            Kind::Relp => "relp",
            Kind::Udp => "udp",
        }
    }
}

/// What exists once the logger is built.
struct Running {
    buffer: Buffer,
    transport: Box<dyn Transport>,
    reports: Reports,
    /// Records dropped for room not yet reported, and when the last report went.
    overflowed: u64,
    overflow_reported: Option<Instant>,
}

/// Sends records to a syslog receiver as RFC 5424 messages over TCP
/// (RFC 6587 octet counting), RELP or UDP, without ever blocking the
/// writer. See the [module docs](crate::syslog) for the guarantees.
///
/// | option | default |
/// |---|---|
/// | [`facility`](SyslogSink::facility) | `Facility::User` |
/// | [`hostname`](SyslogSink::hostname) | this machine's host name |
/// | [`app_name`](SyslogSink::app_name) | the executable's file name |
/// | [`procid`](SyslogSink::procid) | the process id |
/// | [`msgid`](SyslogSink::msgid) | `-` (none) |
/// | [`structured_data_id`](SyslogSink::structured_data_id) | `fields@32473` |
/// | [`buffer_bytes`](SyslogSink::buffer_bytes) | 4 MiB |
/// | [`max_message_bytes`](SyslogSink::max_message_bytes) | 64 KiB |
/// | [`flush_timeout`](SyslogSink::flush_timeout) | 5 s |
/// | [`reconnect_backoff`](SyslogSink::reconnect_backoff) | 100 ms doubling to 30 s |
/// | [`connect_timeout`](SyslogSink::connect_timeout) | 5 s |
/// | [`relp_window`](SyslogSink::relp_window) | 128 frames |
pub struct SyslogSink {
    kind: Kind,
    /// The peer's addresses, at least one: the first names the sink; over
    /// TCP and RELP the others are tried in turn after it.
    addrs: Vec<SocketAddr>,
    /// The peer's name, when it was given as one (TCP and RELP resolve it
    /// again when its addresses fail).
    name: Option<Name>,
    header: Header,
    buffer_bytes: usize,
    max_message_bytes: usize,
    flush_timeout: Duration,
    backoff: (Duration, Duration),
    connect_timeout: Duration,
    relp_window: usize,
    /// PROCID is the process id (not set by [`SyslogSink::procid`]): a
    /// forked child's copy sends its own.
    procid_is_pid: bool,
    running: Option<Running>,
}

impl fmt::Debug for SyslogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogSink")
            .field("peer", &self.describe())
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl SyslogSink {
    /// RFC 5424 over TCP with octet counting; `written` means the kernel
    /// accepted the record. `addr` is resolved now; given as a host name
    /// and port (`"logs.example:514"`, `("logs.example", 514)`), it is
    /// resolved again when its addresses stop answering (as for
    /// [`relp`](SyslogSink::relp)).
    pub fn tcp(addr: impl ToSocketAddrs + fmt::Debug) -> Result<SyslogSink, SyslogError> {
        SyslogSink::new(Kind::Tcp, addr)
    }

    /// RFC 5424 over RELP; `written` means the receiver acknowledged it.
    pub fn relp(addr: impl ToSocketAddrs + fmt::Debug) -> Result<SyslogSink, SyslogError> {
        SyslogSink::new(Kind::Relp, addr)
    }

    /// RFC 5424 over UDP, one datagram per record, best effort;
    /// `written` means `send` took the datagram.
    pub fn udp(addr: impl ToSocketAddrs + fmt::Debug) -> Result<SyslogSink, SyslogError> {
        SyslogSink::new(Kind::Udp, addr)
    }

    fn new(kind: Kind, addr: impl ToSocketAddrs + fmt::Debug) -> Result<SyslogSink, SyslogError> {
        let shown = format!("{addr:?}").trim_matches('"').to_owned();
        let addrs = addr.to_socket_addrs().map(Iterator::collect);
        SyslogSink::resolved(kind, shown, addrs, resolve::system())
    }

    /// A sink to the peer named `name`, resolved (now and again later)
    /// by `resolve` instead of the system's resolver.
    #[cfg(test)]
    pub(crate) fn resolved_by(
        kind: Kind,
        name: &str,
        resolve: Arc<ResolveFn>,
    ) -> Result<SyslogSink, SyslogError> {
        SyslogSink::resolved(kind, name.to_owned(), resolve(name), resolve)
    }

    /// A sink to the peer shown as `shown`, of `addrs` as resolved.
    fn resolved(
        kind: Kind,
        shown: String,
        addrs: std::io::Result<Vec<SocketAddr>>,
        resolve: Arc<ResolveFn>,
    ) -> Result<SyslogSink, SyslogError> {
        let addrs = addrs.map_err(|source| SyslogError::Resolve {
            addr: shown.clone(),
            source,
        })?;
        let addrs = resolve::distinct(addrs);
        if addrs.is_empty() {
            return Err(SyslogError::NoAddress { addr: shown });
        }
        let name = resolve::name_of(&shown).map(|n| Name::new(n, resolve));
        let app = std::env::current_exe().ok().and_then(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            header::field(APP_NAME, &name).ok()
        });
        Ok(SyslogSink {
            kind,
            addrs,
            name,
            header: Header {
                facility: Facility::User,
                hostname: header::local_hostname(),
                app_name: app.unwrap_or_else(|| header::NIL.to_owned()),
                procid: std::process::id().to_string(),
                msgid: header::NIL.to_owned(),
                sd_id: "fields@32473".to_owned(),
            },
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            flush_timeout: Duration::from_secs(5),
            backoff: (Duration::from_millis(100), Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(5),
            relp_window: DEFAULT_RELP_WINDOW,
            procid_is_pid: true,
            running: None,
        })
    }

    /// The facility of every message.
    pub fn facility(mut self, facility: Facility) -> SyslogSink {
        self.header.facility = facility;
        self
    }

    /// HOSTNAME: printable US-ASCII, cut to 255 bytes; `""` sends `-`.
    pub fn hostname(mut self, name: &str) -> Result<SyslogSink, SyslogError> {
        self.header.hostname = header::field(HOSTNAME, name)?;
        Ok(self)
    }

    /// APP-NAME: printable US-ASCII, cut to 48 bytes; `""` sends `-`.
    pub fn app_name(mut self, name: &str) -> Result<SyslogSink, SyslogError> {
        self.header.app_name = header::field(APP_NAME, name)?;
        Ok(self)
    }

    /// PROCID: printable US-ASCII, cut to 128 bytes; `""` sends `-`.
    pub fn procid(mut self, id: &str) -> Result<SyslogSink, SyslogError> {
        self.header.procid = header::field(PROCID, id)?;
        self.procid_is_pid = false;
        Ok(self)
    }

    /// MSGID: printable US-ASCII, cut to 32 bytes; `""` sends `-`.
    pub fn msgid(mut self, id: &str) -> Result<SyslogSink, SyslogError> {
        self.header.msgid = header::field(MSGID, id)?;
        Ok(self)
    }

    /// The SD-ID of the element that carries a record's fields: 1 to 32
    /// printable US-ASCII characters other than `=`, space, `]` and `"`,
    /// normally `name@<your private enterprise number>` (the default uses
    /// 32473, the number reserved for documentation).
    pub fn structured_data_id(mut self, id: &str) -> Result<SyslogSink, SyslogError> {
        let bad = id.chars().find(|&c| !is_sd_name_char(c));
        if id.is_empty() || id.len() > MAX_SD_ID || bad.is_some() {
            return Err(SyslogError::InvalidField {
                field: "structured_data_id",
                value: id.to_owned(),
                reason: match bad {
                    Some(c) => format!("{c:?} is not allowed in an SD-NAME"),
                    None => format!("must be 1 to {MAX_SD_ID} characters"),
                },
            });
        }
        self.header.sd_id = id.to_owned();
        Ok(self)
    }

    /// The bound of the buffer of records not yet delivered (see the
    /// module docs for what happens at the bound). At least 4 KiB.
    pub fn buffer_bytes(mut self, bytes: usize) -> Result<SyslogSink, SyslogError> {
        self.buffer_bytes = in_range("buffer_bytes", bytes, 4096, 1 << 40)?;
        Ok(self)
    }

    /// The longest SYSLOG-MSG sent, from 480 bytes (RFC 5424's smallest
    /// limit) to 16 MiB; over UDP never more than a datagram holds (65,507
    /// bytes over IPv4). Structured data and message text are cut to fit
    /// (see the module docs). Keep it at or below what the receiver takes:
    /// rsyslog truncates messages above its `maxMessageSize` (8 KiB by
    /// default), and its imtcp switches a connection to newline framing on
    /// a frame above its `MaxFrameSize` (200,000 bytes), garbling what follows.
    pub fn max_message_bytes(mut self, bytes: usize) -> Result<SyslogSink, SyslogError> {
        self.max_message_bytes = in_range("max_message_bytes", bytes, 480, 16 << 20)?;
        Ok(self)
    }

    /// How long `Logger::flush` waits for this sink's records before it
    /// reports an error naming the peer.
    pub fn flush_timeout(mut self, timeout: Duration) -> SyslogSink {
        self.flush_timeout = timeout;
        self
    }

    /// Reconnection delays: `first` after the first failure, doubling up to
    /// `max`, each with up to half of it random.
    pub fn reconnect_backoff(
        mut self,
        first: Duration,
        max: Duration,
    ) -> Result<SyslogSink, SyslogError> {
        if first.is_zero() || max < first {
            return Err(SyslogError::InvalidValue {
                option: "reconnect_backoff",
                value: first.as_millis() as u64,
                reason: format!(
                    "first delay must be above zero and at most max ({} ms)",
                    max.as_millis()
                ),
            });
        }
        self.backoff = (first, max);
        Ok(self)
    }

    /// How long a connection attempt may take (TCP and RELP), and how long
    /// the link waits for a peer's name to resolve again before it tries
    /// the addresses it knows meanwhile.
    pub fn connect_timeout(mut self, timeout: Duration) -> SyslogSink {
        self.connect_timeout = timeout;
        self
    }

    /// Most RELP frames sent and not yet acknowledged, 1 to 65,536.
    pub fn relp_window(mut self, frames: usize) -> Result<SyslogSink, SyslogError> {
        self.relp_window = in_range("relp_window", frames, 1, 65536)?;
        Ok(self)
    }

    /// The peer's address: the first it resolved to when the sink was
    /// made, which names the sink in reports. Over TCP and RELP the others
    /// are tried in turn when a connection to one fails, and a peer given
    /// by name is resolved again once they all failed (see the module
    /// docs; reports then name the address tried); UDP sends to this one
    /// only.
    pub fn peer(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// The same sink, not started, for this process: a forked child's,
    /// with the child's process id as PROCID unless one was set.
    fn unstarted_copy(&self) -> SyslogSink {
        let mut header = self.header.clone();
        if self.procid_is_pid {
            header.procid = std::process::id().to_string();
        }
        SyslogSink {
            kind: self.kind,
            addrs: self.addrs.clone(),
            name: self.name.clone(),
            header,
            buffer_bytes: self.buffer_bytes,
            max_message_bytes: self.max_message_bytes,
            flush_timeout: self.flush_timeout,
            backoff: self.backoff,
            connect_timeout: self.connect_timeout,
            relp_window: self.relp_window,
            procid_is_pid: self.procid_is_pid,
            running: None,
        }
    }

    fn start(&mut self, ctx: &SinkContext) -> Running {
        let backoff = Backoff::new(self.backoff.0, self.backoff.1);
        let name = self.name.clone();
        let link = |b| Link::new(&self.addrs, name, b, self.connect_timeout);
        let transport: Box<dyn Transport> = match self.kind {
            Kind::Tcp => Box::new(Tcp::new(link(backoff))),
            Kind::Relp => Box::new(Relp::new(link(backoff), self.relp_window)),
            Kind::Udp => Box::new(Udp::new(self.peer(), backoff)),
        };
        Running {
            buffer: Buffer::new(self.buffer_bytes, ctx.policy),
            transport,
            reports: Reports::default(),
            overflowed: 0,
            overflow_reported: None,
        }
    }
}

fn in_range(option: &'static str, v: usize, min: usize, max: usize) -> Result<usize, SyslogError> {
    if (min..=max).contains(&v) {
        return Ok(v);
    }
    Err(SyslogError::InvalidValue {
        option,
        value: v as u64,
        reason: format!("must be from {min} to {max}"),
    })
}

impl Running {
    /// Lets the transport work, then tells the buffer what it holds.
    fn pump(&mut self, done: &mut Settled) {
        self.transport
            .pump(&mut self.buffer, done, &mut self.reports);
        self.buffer.held_elsewhere(self.transport.held_bytes());
    }

    /// Reports records dropped for room: when dropping starts, then at
    /// most once a second while it goes on.
    fn report_overflow(&mut self) {
        self.overflowed += self.buffer.take_overflowed();
        if self.overflowed == 0 {
            return;
        }
        let now = Instant::now();
        let due = self
            .overflow_reported
            .map_or(true, |t| now.duration_since(t) >= OVERFLOW_REPORT_EVERY);
        if due {
            let msg = format!(
                "buffer full ({} bytes): {} records dropped ({:?})",
                self.buffer.max_bytes(),
                std::mem::take(&mut self.overflowed),
                self.buffer.policy()
            );
            self.reports.push(io::ErrorKind::OutOfMemory, msg);
            self.overflow_reported = Some(now);
        }
    }
}

impl Sink for SyslogSink {
    fn describe(&self) -> String {
        format!("syslog {} {}", self.kind.name(), self.peer())
    }

    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a syslog sink takes records through Sink::accept",
        ))
    }

    fn record_format(&mut self) -> Option<Box<dyn RecordFormat>> {
        let (framing, max) = match (self.kind, self.peer()) {
            (Kind::Tcp, _) => (Framing::OctetCounting, self.max_message_bytes),
            (Kind::Relp, _) => (Framing::None, self.max_message_bytes),
            (Kind::Udp, SocketAddr::V4(_)) => {
                (Framing::None, MAX_UDP_V4.min(self.max_message_bytes))
            }
            (Kind::Udp, SocketAddr::V6(_)) => {
                (Framing::None, MAX_UDP_V6.min(self.max_message_bytes))
            }
        };
        Some(Box::new(Rfc5424::new(&self.header, framing, max)))
    }

    fn completion(&mut self, ctx: &SinkContext) -> Completion {
        self.running = Some(self.start(ctx));
        Completion::Deferred {
            flush_timeout: self.flush_timeout,
        }
    }

    fn accept(&mut self, batch: &RecordBatch<'_>, done: &mut Settled) -> io::Result<()> {
        let Some(r) = self.running.as_mut() else {
            return Err(io::Error::other("the sink was not started by a logger"));
        };
        for rec in batch.records() {
            r.buffer.push(rec.bytes, rec.ticket, done);
        }
        r.report_overflow();
        r.pump(done);
        Ok(())
    }

    fn settle(&mut self, wait: Duration, done: &mut Settled) {
        let Some(r) = self.running.as_mut() else {
            return;
        };
        r.pump(done);
        let held = !r.buffer.pending.is_empty() || r.transport.held_bytes() > 0;
        if held && !wait.is_zero() {
            let (fd, events, until) = r.transport.wait_target(&r.buffer);
            connection::wait(fd, events, until, wait);
            r.pump(done);
        }
        r.report_overflow();
    }

    fn backlog(&self) -> Backlog {
        let Some(r) = self.running.as_ref() else {
            return Backlog::EMPTY;
        };
        let oldest = r
            .transport
            .oldest()
            .or(r.buffer.pending.front().map(|e| e.ticket.seq()));
        Backlog::new(oldest, r.buffer.is_full()).with_idle_until(r.transport.idle_until())
    }

    fn take_error(&mut self) -> Option<io::Error> {
        self.running.as_mut()?.reports.take()
    }

    /// While the connection is down: the last failure (TCP, RELP).
    fn stalled_by(&self) -> Option<String> {
        self.running.as_ref()?.transport.stalled_by()
    }

    fn take_notice(&mut self) -> Option<String> {
        self.running.as_mut()?.reports.take_notice()
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some(r) = self.running.as_mut() {
            r.transport.close();
        }
        Ok(())
    }

    /// A copy that holds no socket: a child opens its own connection (or
    /// UDP socket) to the same peer, so its messages never interleave with
    /// the parent's. (The child's copies of the parent's sockets were
    /// closed at the fork, see `socket`.)
    fn for_fork_child(&self) -> Option<Box<dyn Sink>> {
        Some(Box::new(self.unstarted_copy()))
    }
}

#[cfg(test)]
mod tests;
