//! The RELP client session: `open`, then `syslog` commands within a window
//! of unacknowledged frames, each record written once its `rsp` arrives.
//!
//! Every connection starts a new session: `open` with TXNR 1, and no record
//! is sent before the server's answer offers `relp_version` and `syslog`.
//! Records are sent in order, at most `window` unacknowledged at a time.
//! An `rsp` with code 200 settles its record as written; any other code
//! settles it as dropped (the server refused it; the reason is reported).
//!
//! When the connection breaks — an I/O error, end of file, a `serverclose`
//! hint, or anything the parser rejects — every unacknowledged record goes
//! back in front of the buffer, in order, and is sent again on the next
//! session. So nothing is lost across a receiver restart, and a record can
//! arrive twice: when the receiver took it but the connection broke before
//! its `rsp` reached us (at most `window` records per broken connection).
//!
//! A record the server cannot take may break the connection every time it
//! is sent (a receiver that crashes or hangs up on it). So the oldest
//! unacknowledged record, when a connection breaks after it was handed to
//! the socket whole, gets a strike, and is sent alone on the next session
//! (nothing behind it until its `rsp` comes), so the next break is its own
//! doing. After [`MAX_BREAKS`] breaks in a row it is settled as dropped,
//! reported with its size and the last reason, and the records behind it
//! go on. An `rsp` for it, of any code, clears its strikes. A receiver
//! restart costs a strike; only one that goes down each time the same
//! record was sent loses it. (A receiver that answers `open` and then
//! hangs up on every record, whatever it holds, cannot be told from one
//! that cannot take the record: it loses one record per [`MAX_BREAKS`]
//! connections, each reported.)

use super::buffer::{Buffer, Queue};
use super::connection::{Link, Reports};
use super::relp::{self, Parser, ServerFrame};
use super::transport::{read_available, Transport, MAX_BYTES_PER_PUMP};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::os::fd::RawFd;
use std::time::Instant;
use uringlog::Settled;

/// Broken connections in a row, each while a record was the oldest sent and
/// unacknowledged, after which that record is dropped.
const MAX_BREAKS: u32 = 3;

/// Where the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No session on the current connection yet.
    Closed,
    /// `open` sent as TXNR 1, waiting for its `rsp`.
    Opening,
    /// Records may be sent.
    Open,
}

/// The RELP transport.
pub(crate) struct Relp {
    link: Link,
    window: usize,
    phase: Phase,
    parser: Parser,
    next_txnr: u32,
    /// Records sent and not yet acknowledged, oldest first, with their
    /// TXNR and whether their `rsp` came (acknowledged records leave from
    /// the front only, so `inflight` and `txnrs` stay parallel).
    inflight: Queue,
    txnrs: VecDeque<(u32, bool)>,
    /// Frames not yet taken by the socket, from `wire_sent` on.
    wire: Vec<u8>,
    wire_sent: usize,
    /// Where in `wire` each record's frame not yet wholly taken by the
    /// socket ends: they are the last `wire_ends.len()` of `inflight`.
    wire_ends: VecDeque<usize>,
    /// `Ticket::seq` of the record with strikes, and how many: the
    /// connection broke that many times in a row with it the oldest
    /// record sent and unacknowledged (below [`MAX_BREAKS`]).
    strikes: Option<(u64, u32)>,
    /// One record's bytes while it is framed.
    scratch: Vec<u8>,
}

impl Relp {
    pub(crate) fn new(link: Link, window: usize) -> Relp {
        Relp {
            link,
            window,
            phase: Phase::Closed,
            parser: Parser::default(),
            next_txnr: 1,
            inflight: Queue::default(),
            txnrs: VecDeque::new(),
            wire: Vec::new(),
            wire_sent: 0,
            wire_ends: VecDeque::new(),
            strikes: None,
            scratch: Vec::new(),
        }
    }

    /// A new connection: a new session, starting with `open`.
    fn begin(&mut self) {
        self.parser.reset();
        self.wire.clear();
        self.wire_sent = 0;
        self.wire_ends.clear();
        relp::push_command(&mut self.wire, 1, b"open", relp::OPEN_OFFERS);
        self.next_txnr = 2;
        self.phase = Phase::Opening;
    }

    /// Handles one frame from the server.
    fn on_frame(
        &mut self,
        f: ServerFrame,
        done: &mut Settled,
        reports: &mut Reports,
    ) -> io::Result<()> {
        let (txnr, code, text, data) = match f {
            ServerFrame::ServerClose => return Err(broken("the server closed the session")),
            ServerFrame::Rsp {
                txnr,
                code,
                text,
                data,
            } => (txnr, code, text, data),
        };
        if self.phase == Phase::Opening && txnr == 1 {
            if code != 200 {
                return Err(broken(&format!("open refused: {code} {text}")));
            }
            relp::check_open_offers(&data).map_err(|e| broken(&e.to_string()))?;
            self.phase = Phase::Open;
            return Ok(());
        }
        let Some(i) = self.index_of(txnr) else {
            return Err(broken(&format!("rsp for unknown TXNR {txnr}")));
        };
        self.txnrs[i].1 = true;
        let e = self.entry(i);
        if self.strikes.is_some_and(|(seq, _)| seq == e.ticket.seq()) {
            self.strikes = None;
        }
        if code == 200 {
            done.written(e.ticket, e.len);
        } else {
            done.dropped(e.ticket);
            reports.push(
                io::ErrorKind::Other,
                format!(
                    "the server{} refused a record: {code} {text}",
                    self.link.which(" at ", "")
                ),
            );
        }
        while self.txnrs.front().is_some_and(|t| t.1) {
            self.txnrs.pop_front();
            self.inflight.pop_front();
        }
        Ok(())
    }

    /// Where `txnr` is in `txnrs`, if it is in flight and not acknowledged
    /// yet. TXNRs in flight are consecutive (wrapping from `MAX_TXNR` to
    /// 1), so this is arithmetic, not a search.
    fn index_of(&self, txnr: u32) -> Option<usize> {
        let &(front, _) = self.txnrs.front()?;
        let i = relp::txnr_distance(front, txnr) as usize;
        matches!(self.txnrs.get(i), Some(&(t, false)) if t == txnr).then_some(i)
    }

    /// The `i`-th record in flight.
    fn entry(&self, i: usize) -> super::buffer::Entry {
        self.inflight
            .nth(i)
            .expect("txnrs and inflight are parallel")
    }

    /// Frames records from the buffer while the window and the wire allow.
    fn fill(&mut self, buf: &mut Buffer) {
        while self.txnrs.len() < self.window && self.wire.len() < MAX_BYTES_PER_PUMP {
            let Some(e) = buf.pending.front() else {
                return;
            };
            if self.struck_in_flight() {
                return;
            }
            self.scratch.clear();
            buf.pending.copy_front(0, &mut self.scratch);
            buf.pending.pop_front();
            let txnr = self.next_txnr;
            relp::push_command(&mut self.wire, txnr, b"syslog", &self.scratch);
            self.wire_ends.push_back(self.wire.len());
            self.inflight.push_back(&self.scratch, e.ticket);
            self.txnrs.push_back((txnr, false));
            self.next_txnr = relp::next_txnr(txnr);
        }
    }

    /// Whether the record with strikes is in flight (it goes alone).
    fn struck_in_flight(&self) -> bool {
        let front = self.inflight.front().map(|e| e.ticket.seq());
        self.strikes.is_some_and(|(seq, _)| front == Some(seq))
    }

    /// One round on a live connection: read, answer, send.
    fn round(
        &mut self,
        buf: &mut Buffer,
        done: &mut Settled,
        reports: &mut Reports,
    ) -> io::Result<()> {
        let fresh = match self.link.poll(Instant::now(), reports) {
            Some((_, fresh)) => fresh,
            None => return Ok(()),
        };
        if fresh {
            self.begin();
        }
        let Some((stream, _)) = self.link.poll(Instant::now(), reports) else {
            return Ok(());
        };
        let parser = &mut self.parser;
        let open = read_available(stream, |b| parser.feed(b));
        // What arrived before the end (or an error) counts first: the
        // server's last answers, or the reason it hung up.
        while let Some(f) = self
            .parser
            .next_frame()
            .map_err(|e| broken(&e.to_string()))?
        {
            self.on_frame(f, done, reports)?;
        }
        if !open? {
            return Err(broken("closed by the peer"));
        }
        if self.phase == Phase::Open {
            self.fill(buf);
        }
        let Some((stream, _)) = self.link.poll(Instant::now(), reports) else {
            return Ok(());
        };
        while self.wire_sent < self.wire.len() {
            match stream.write(&self.wire[self.wire_sent..]) {
                Ok(n) => {
                    self.wire_sent += n;
                    while self
                        .wire_ends
                        .front()
                        .is_some_and(|&end| end <= self.wire_sent)
                    {
                        self.wire_ends.pop_front();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.wire_sent == self.wire.len() {
            self.wire.clear();
            self.wire_sent = 0;
        }
        Ok(())
    }

    /// Gives the oldest unacknowledged record a strike, if the socket took
    /// its frame whole, for the connection broken by `e`; drops it at
    /// [`MAX_BREAKS`], returning its `Ticket::seq`.
    fn strike(&mut self, done: &mut Settled, e: &io::Error, reports: &mut Reports) -> Option<u64> {
        // The front of `txnrs` is unacknowledged (acknowledged records
        // leave from the front); it was sent whole unless every record in
        // flight is still partly in `wire`.
        let sent_whole = self.txnrs.len() > self.wire_ends.len();
        let front = self.inflight.front().filter(|_| sent_whole)?;
        let seq = front.ticket.seq();
        let breaks = match self.strikes {
            Some((s, n)) if s == seq => n + 1,
            _ => 1,
        };
        if breaks < MAX_BREAKS {
            self.strikes = Some((seq, breaks));
            return None;
        }
        self.strikes = None;
        done.dropped(front.ticket);
        reports.push(
            e.kind(),
            format!(
                "dropped a {}-byte record: the connection{} broke each of the \
                 {MAX_BREAKS} times it was sent, the last time: {e}",
                front.len,
                self.link.which(" to ", ""),
            ),
        );
        Some(seq)
    }

    /// The connection broke: the oldest unacknowledged record gets a
    /// strike if it was sent whole (and is dropped at [`MAX_BREAKS`]), and
    /// the other unacknowledged records go back in front of the buffer, in
    /// order, for the next session.
    fn lost(&mut self, buf: &mut Buffer, done: &mut Settled, e: &io::Error, reports: &mut Reports) {
        let dropped = self.strike(done, e, reports);
        // One pass from the front (linear in what was in flight).
        let mut back = Queue::default();
        while let Some((_, acked)) = self.txnrs.pop_front() {
            let e = self.entry(0);
            if !acked && Some(e.ticket.seq()) != dropped {
                self.scratch.clear();
                self.inflight.copy_front(0, &mut self.scratch);
                back.push_back(&self.scratch, e.ticket);
            }
            self.inflight.pop_front();
        }
        buf.pending.requeue_front(&mut back);
        self.wire.clear();
        self.wire_sent = 0;
        self.wire_ends.clear();
        self.phase = Phase::Closed;
        self.link
            .fail(Instant::now(), "connection lost", e, reports);
    }
}

fn broken(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

impl Transport for Relp {
    fn pump(&mut self, buf: &mut Buffer, done: &mut Settled, reports: &mut Reports) {
        if buf.pending.is_empty() && self.inflight.is_empty() && !self.link.is_up() {
            return;
        }
        if let Err(e) = self.round(buf, done, reports) {
            self.lost(buf, done, &e, reports);
        }
    }

    fn held_bytes(&self) -> usize {
        self.inflight.bytes()
    }

    fn oldest(&self) -> Option<u64> {
        // Acknowledged records leave from the front, so the front is not.
        self.inflight.front().map(|e| e.ticket.seq())
    }

    fn wait_target(&self, _buf: &Buffer) -> (Option<RawFd>, i16, Option<Instant>) {
        let (fd, until) = self.link.wait_target();
        let out = if self.wire.is_empty() {
            0
        } else {
            libc::POLLOUT
        };
        (fd, libc::POLLIN | out, until)
    }

    fn idle_until(&self) -> Option<Instant> {
        self.link.retry_at()
    }

    /// A connection down says its last failure; one up (or closed last,
    /// at shutdown) the session's state.
    fn stalled_by(&self) -> Option<String> {
        self.link.stalled_by().or_else(|| match self.phase {
            Phase::Opening => Some("connected, but the server has not answered open".to_owned()),
            Phase::Open if !self.txnrs.is_empty() => Some(format!(
                "connected, but the server has not acknowledged the {} records in flight",
                self.txnrs.len()
            )),
            _ => None,
        })
    }

    fn close(&mut self) {
        if self.phase == Phase::Open && self.inflight.is_empty() && self.wire.is_empty() {
            let mut reports = Reports::default();
            if let Some((stream, _)) = self.link.poll(Instant::now(), &mut reports) {
                let mut frame = Vec::new();
                relp::push_command(&mut frame, self.next_txnr, b"close", b"");
                let _ = stream.write(&frame);
            }
        }
        self.link.close();
    }
}
