//! Syslog over UDP (RFC 5426): one message per datagram, best effort.
//!
//! A record counts as written once `send` took its datagram; nothing says
//! whether it arrived. When the socket is full (`EAGAIN`) records wait in
//! the buffer. An error from `send` is often the ICMP "port unreachable"
//! of an earlier datagram (`ECONNREFUSED`): the datagram is tried once
//! more, and dropped (reported) if that fails too, as is one too large for
//! a datagram (`EMSGSIZE`).

use super::backoff::{retry_at, Backoff};
use super::buffer::Buffer;
use super::connection::Reports;
use super::socket::Listed;
use super::transport::{Transport, MAX_BYTES_PER_PUMP};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Instant;
use uringlog::Settled;

/// The UDP transport.
pub(crate) struct Udp {
    addr: SocketAddr,
    socket: Option<Listed<UdpSocket>>,
    /// When a failed socket setup may be tried again.
    retry_at: Option<Instant>,
    backoff: Backoff,
    datagram: Vec<u8>,
}

impl Udp {
    pub(crate) fn new(addr: SocketAddr, backoff: Backoff) -> Udp {
        Udp {
            addr,
            socket: None,
            retry_at: None,
            backoff,
            datagram: Vec::new(),
        }
    }

    fn open(addr: SocketAddr) -> io::Result<Listed<UdpSocket>> {
        let local: SocketAddr = match addr {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let s = Listed::open(|| UdpSocket::bind(local))?;
        s.connect(addr)?;
        s.set_nonblocking(true)?;
        Ok(s)
    }

    /// The socket, opened on first use (or after the backoff delay).
    fn socket(&mut self, reports: &mut Reports) -> Option<&UdpSocket> {
        if self.socket.is_none() {
            let now = Instant::now();
            if self.retry_at.is_some_and(|t| now < t) {
                return None;
            }
            match Udp::open(self.addr) {
                Ok(s) => {
                    self.backoff.reset();
                    self.socket = Some(s);
                }
                Err(e) => {
                    let delay = self.backoff.next_delay();
                    self.retry_at = Some(retry_at(now, delay));
                    let msg = format!(
                        "cannot open a UDP socket: {e}; retrying in {} ms",
                        delay.as_millis()
                    );
                    reports.notice(msg);
                }
            }
        }
        self.socket.as_deref()
    }
}

/// Sends one datagram: `Ok(false)` when the socket is full.
fn send(s: &UdpSocket, datagram: &[u8]) -> io::Result<bool> {
    let mut refused_once = false;
    loop {
        return match s.send(datagram) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && !refused_once => {
                refused_once = true;
                continue;
            }
            Err(e) => Err(e),
        };
    }
}

impl Transport for Udp {
    fn pump(&mut self, buf: &mut Buffer, done: &mut Settled, reports: &mut Reports) {
        let mut budget = MAX_BYTES_PER_PUMP;
        while let Some(e) = buf.pending.front() {
            if budget == 0 {
                return;
            }
            let mut datagram = std::mem::take(&mut self.datagram);
            datagram.clear();
            buf.pending.copy_front(0, &mut datagram);
            let Some(s) = self.socket(reports) else {
                self.datagram = datagram;
                return;
            };
            let sent = send(s, &datagram);
            self.datagram = datagram;
            match sent {
                Ok(false) => return,
                Ok(true) => done.written(e.ticket, e.len),
                Err(err) => {
                    done.dropped(e.ticket);
                    reports.push(
                        err.kind(),
                        format!("a {}-byte datagram was dropped: {err}", e.len),
                    );
                }
            }
            budget = budget.saturating_sub(e.len);
            buf.pending.pop_front();
        }
    }

    fn held_bytes(&self) -> usize {
        0
    }

    fn oldest(&self) -> Option<u64> {
        None
    }

    fn wait_target(&self, _buf: &Buffer) -> (Option<RawFd>, i16, Option<Instant>) {
        match &self.socket {
            Some(s) => (Some(s.as_raw_fd()), libc::POLLOUT, None),
            None => (None, 0, self.retry_at),
        }
    }

    fn idle_until(&self) -> Option<Instant> {
        self.retry_at.filter(|_| self.socket.is_none())
    }

    fn close(&mut self) {
        self.socket = None;
    }
}
