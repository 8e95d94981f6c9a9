//! What the three transports share: moving records from the [`Buffer`] to
//! the peer without blocking, and saying what they hold meanwhile.

use super::buffer::{Buffer, Queue};
use super::connection::Reports;
use std::io::{self, Read};
use std::net::TcpStream;
use std::os::fd::RawFd;
use std::time::Instant;
use uringlog::Settled;

/// Most bytes one `pump` writes, so one sink cannot hold the writer long.
pub(crate) const MAX_BYTES_PER_PUMP: usize = 4 << 20;

/// A way to the peer.
pub(crate) trait Transport: Send {
    /// Connects, sends, reads acknowledgements — whatever can be done now
    /// without blocking — and settles what it can in `done`.
    fn pump(&mut self, buf: &mut Buffer, done: &mut Settled, reports: &mut Reports);

    /// Bytes of records handed to the socket and not yet settled.
    fn held_bytes(&self) -> usize;

    /// `Ticket::seq` of the oldest record it holds (they are all older
    /// than the buffer's).
    fn oldest(&self) -> Option<u64>;

    /// What progress waits for: a descriptor and its `poll` events, or a
    /// time (the next connection attempt).
    fn wait_target(&self, buf: &Buffer) -> (Option<RawFd>, i16, Option<Instant>);

    /// The time before which it can make no progress (the next connection
    /// attempt), if it is waiting for one.
    fn idle_until(&self) -> Option<Instant>;

    /// Why records are not settling, when it knows (see `Sink::stalled_by`).
    fn stalled_by(&self) -> Option<String> {
        None
    }

    /// Ends the session (RELP says `close`) and drops the connection.
    /// Records it held stay unsettled (the writer counts them dropped).
    fn close(&mut self);
}

/// Reads whatever the peer sent, without blocking: `Ok(true)` while the
/// connection is open, `Ok(false)` once the peer closed it.
pub(crate) fn read_available(stream: &mut TcpStream, mut f: impl FnMut(&[u8])) -> io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    for _ in 0..64 {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(false),
            Ok(n) => f(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Puts one record back in front of the buffer's pending records.
pub(crate) fn requeue_one(buf: &mut Buffer, rec: &[u8], ticket: uringlog::Ticket) {
    let mut q = Queue::default();
    q.push_back(rec, ticket);
    buf.pending.requeue_front(&mut q);
}
