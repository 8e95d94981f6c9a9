//! Syslog over TCP (RFC 6587, octet counting): records are written as the
//! socket takes them and count as written once the kernel accepted their
//! last byte.
//!
//! Before sending, the socket is read without blocking: a syslog receiver
//! never sends, so end-of-file or an error there means the peer went away,
//! and the records are kept for the next connection instead of being
//! written into a dead one. What the kernel had already accepted when the
//! peer vanished is lost without trace — up to a socket buffer's worth
//! (RELP closes that gap).

use super::buffer::Buffer;
use super::connection::{Link, Reports};
use super::transport::{read_available, requeue_one, Transport, MAX_BYTES_PER_PUMP};
use std::io::{self, Write};
use std::net::TcpStream;
use std::os::fd::RawFd;
use std::time::Instant;
use uringlog::{Settled, Ticket};

/// A record partly written: its bytes, ticket and how many were sent.
struct Partial {
    bytes: Vec<u8>,
    ticket: Ticket,
    sent: usize,
}

/// The TCP transport.
pub(crate) struct Tcp {
    link: Link,
    partial: Option<Partial>,
    /// The socket of the connection up (or closed last) took not all it
    /// was given at the last try: the peer reads too slowly or not at all.
    full: bool,
}

impl Tcp {
    pub(crate) fn new(link: Link) -> Tcp {
        Tcp {
            link,
            partial: None,
            full: false,
        }
    }

    /// Writes as much as the socket takes, up to the per-pump limit; true
    /// when the socket filled before all was written.
    fn send(
        stream: &mut TcpStream,
        partial: &mut Option<Partial>,
        buf: &mut Buffer,
        done: &mut Settled,
    ) -> io::Result<bool> {
        let mut budget = MAX_BYTES_PER_PUMP;
        while budget > 0 {
            if let Some(p) = partial {
                let n = write_some(stream, &p.bytes[p.sent..])?;
                p.sent += n;
                budget = budget.saturating_sub(n);
                if p.sent < p.bytes.len() {
                    return Ok(n == 0);
                }
                done.written(p.ticket, p.bytes.len());
                *partial = None;
                continue;
            }
            let chunk = buf.pending.contiguous();
            if chunk.is_empty() {
                return Ok(false);
            }
            let mut n = write_some(stream, &chunk[..chunk.len().min(budget)])?;
            if n == 0 {
                return Ok(true);
            }
            budget -= n;
            while let Some(e) = buf.pending.front().filter(|e| e.len <= n) {
                n -= e.len;
                buf.pending.pop_front();
                done.written(e.ticket, e.len);
            }
            if n > 0 {
                let e = buf.pending.front().expect("a record holds the rest");
                let mut bytes = Vec::with_capacity(e.len);
                buf.pending.copy_front(0, &mut bytes);
                buf.pending.pop_front();
                *partial = Some(Partial {
                    bytes,
                    ticket: e.ticket,
                    sent: n,
                });
            }
        }
        Ok(false)
    }

    fn lost(&mut self, buf: &mut Buffer, e: &io::Error, reports: &mut Reports) {
        if let Some(p) = self.partial.take() {
            requeue_one(buf, &p.bytes, p.ticket);
        }
        self.full = false;
        self.link
            .fail(Instant::now(), "connection lost", e, reports);
    }
}

/// Why records do not settle on a live connection whose socket is full.
const FULL: &str = "connected, but the socket is full (the peer reads too slowly or not at all)";

/// Bytes the socket took (0 when it is full).
fn write_some(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<usize> {
    loop {
        return match stream.write(bytes) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
    }
}

impl Transport for Tcp {
    fn pump(&mut self, buf: &mut Buffer, done: &mut Settled, reports: &mut Reports) {
        if buf.pending.is_empty() && self.partial.is_none() {
            return;
        }
        let Some((stream, _)) = self.link.poll(Instant::now(), reports) else {
            return;
        };
        let result = match read_available(stream, |_| {}) {
            Ok(true) => Tcp::send(stream, &mut self.partial, buf, done).map(|full| {
                self.full = full;
            }),
            Ok(false) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "closed by the peer",
            )),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.lost(buf, &e, reports);
        }
    }

    fn held_bytes(&self) -> usize {
        self.partial.as_ref().map_or(0, |p| p.bytes.len())
    }

    fn oldest(&self) -> Option<u64> {
        self.partial.as_ref().map(|p| p.ticket.seq())
    }

    fn wait_target(&self, _buf: &Buffer) -> (Option<RawFd>, i16, Option<Instant>) {
        let (fd, until) = self.link.wait_target();
        (fd, libc::POLLOUT, until)
    }

    fn idle_until(&self) -> Option<Instant> {
        self.link.retry_at()
    }

    fn stalled_by(&self) -> Option<String> {
        // Kept past `close`: the shutdown report says why after it.
        (self.link.stalled_by()).or_else(|| self.full.then(|| FULL.to_owned()))
    }

    fn close(&mut self) {
        self.link.close();
    }
}
