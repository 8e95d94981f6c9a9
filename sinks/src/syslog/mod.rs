//! `SyslogSink`: RFC 5424 messages to a syslog receiver (rsyslog,
//! syslog-ng, Vector, fluent-bit) over TCP, RELP or UDP, without ever
//! blocking the writer.
//!
//! # Guarantees
//!
//! - **Never stalls the writer.** Sockets are non-blocking, connecting
//!   included; the writer sends with `send(2)` (`MSG_NOSIGNAL`) and reads
//!   acknowledgements with `recv(2)` in its own turns. It does not go
//!   through io_uring: the engine's ring writes engine-owned batch memory
//!   to files, while this sink must keep every record until it is sent or
//!   acknowledged (and resend it after a reconnection), so it owns its
//!   buffer; a non-blocking `send` of a whole buffer costs one syscall and
//!   returns at once when the socket is full, which is all the writer needs.
//! - **Bounded memory.** Records not yet delivered wait in a buffer of
//!   [`buffer_bytes`](SyslogSink::buffer_bytes) (4 MiB by default), which
//!   also counts records sent and not yet acknowledged. At the bound the
//!   logger's policy decides: `DropNewest` drops the record that does not
//!   fit; `DropOldest` drops the oldest records not yet handed to the
//!   socket (or, when even that would not make room — a record larger than
//!   the buffer — the new record alone); `Block` drops nothing — the writer stops taking records from
//!   the rings (and from every other sink's point of view too, since they
//!   share the rings) until the buffer has room, so producers wait as
//!   `Block` says. A flush that finds the buffer full waits for room up to
//!   the flush timeout and then fails naming the peer; shutdown waits up to
//!   its own timeout. The writer keeps serving flushes, shutdown and the
//!   socket meanwhile. Every drop is counted in `Stats::dropped` and
//!   reported (at most once a second) in `Logger::recent_errors`.
//! - **Reconnection.** A failed or lost connection is retried after a
//!   capped exponential backoff with jitter (100 ms doubling to 30 s by
//!   default), which starts again from its first delay only after a
//!   connection that lasted a second (a peer that accepts and hangs up at
//!   once is retried ever more slowly, like one that refuses); each failure, and each reconnection, is counted in
//!   `Stats::errors` and reported in `Logger::recent_errors` with the peer.
//!   A peer with several addresses (a host name with several records, or
//!   a list) is tried at each of them in turn over TCP and RELP: each
//!   failed attempt, and each connection lost within a second, moves to
//!   the next address, and the reports name the address that failed. A
//!   peer given by name (`"logs.example:514"`, `("logs.example", 514)`)
//!   is resolved again, over TCP and RELP, once each of its addresses has
//!   failed since the last resolution (with one address, before each
//!   attempt after a failure, as rsyslog's omfwd does), on a thread of its
//!   own so the writer never waits for DNS: an aggregator that moved is
//!   reached without a restart, the reports say what the name resolves to
//!   now, and a name that no longer resolves keeps the addresses known.
//!   A resolution that takes longer than the connect timeout (a DNS
//!   server that does not answer) is reported once and the known
//!   addresses are tried meanwhile, so a peer back at its address is
//!   reached; one resolver runs at a time, and its answer is taken when
//!   it comes. Of a name's addresses the first 64 distinct ones are kept.
//!   UDP, and a peer given as addresses, keep the addresses found when the
//!   sink was made.
//! - **Accounting.** Each record settles exactly once as written or
//!   dropped, so after shutdown `written + dropped == enqueued`, records
//!   still buffered when the shutdown timeout runs out counted dropped.
//!   - TCP: *written* means the kernel accepted the record's last byte. A
//!     connection that drops can lose what the kernel had accepted and the
//!     receiver had not read (up to the socket buffers' size); those records
//!     count as written. The sink reads the socket before each send, so a
//!     receiver that closed the connection is noticed before more is sent.
//!   - RELP: *written* means the receiver acknowledged the record. Frames
//!     not acknowledged when a connection breaks are sent again, in order,
//!     on the next one: nothing is lost across a receiver restart. A record
//!     arrives twice when the receiver took it but the connection broke
//!     before its acknowledgement reached the sink (at most the window,
//!     128 frames by default, per broken connection). A record the
//!     receiver answers with an error (`rsp` with a code other than 200)
//!     is dropped and reported with the code and text, as librelp does;
//!     one whose sending breaks the connection 3 times in a row (a
//!     receiver that crashes or hangs up on it) is dropped and reported
//!     with its size and the last reason, and the records behind it go on
//!     (after a break the oldest unacknowledged record is sent alone, so
//!     the next break is its own doing).
//!   - UDP: *written* means `send` took the datagram; nothing more is known.
//! - **Flush.** `Logger::flush` returns once every record logged before it
//!   is written in the sense above (sent for TCP and UDP, acknowledged for
//!   RELP), or after [`flush_timeout`](SyslogSink::flush_timeout) (5 s) with
//!   an error naming the peer and, while no connection is up, the last
//!   failure and its errno (as does the report of records shutdown counts
//!   dropped); the writer keeps working meanwhile.
//! - **Order.** Records reach the receiver in the order the writer took
//!   them (per producer, the order they were logged); RELP resends keep it.
//! - **Fork.** A child forked from a logging process sends what it logs
//!   over a connection (or UDP socket) of its own, opened on its first
//!   record, with its own process id as PROCID unless
//!   [`procid`](SyslogSink::procid) set one; the parent's connection and
//!   buffer stay the parent's. The child closes its copies of the
//!   parent's sockets at the fork (`close`, never `shutdown`, so the
//!   parent's connection goes on), so the receiver sees the parent's
//!   connection end when the parent closes it, whether or not children
//!   live on.
//!
//! The writer polls the sink after each batch and about every millisecond
//! while records are undelivered (it does not wait on the socket itself),
//! so an acknowledgement, or a socket with room again, is noticed within
//! about 1 ms. While the sink waits for its next connection attempt it
//! tells the writer when that is due (`Backlog::idle_until`), so a writer
//! with nothing else to do sleeps until then instead of polling: a long
//! outage costs next to no CPU.
//!
//! # Format
//!
//! See [`Facility`] and the options of [`SyslogSink`]; the message layout:
//! `<PRI>1 2026-11-28T04:56:49.123456Z HOSTNAME APP-NAME PROCID MSGID
//! [fields@32473 key="value" …] message`, TCP frames prefixed with their
//! length (RFC 6587 octet counting). Structured fields form one SD-ELEMENT,
//! their values escaped (`"`, `\`, `]`); a message without fields has `-`.
//! The record's target is not sent. The message text is UTF-8 without a
//! BOM.
//!
//! ```no_run
//! use std::time::Duration;
//! use uringlog::{Logger, Policy};
//! use uringlog_sinks::{Facility, SyslogSink};
//!
//! let sink = SyslogSink::relp("127.0.0.1:2514")?
//!     .facility(Facility::Local0)
//!     .app_name("checkout")?;
//! let (logger, guard) = Logger::builder().sink(sink).policy(Policy::DropNewest).build()?;
//! uringlog::info!(logger, order = 42; "paid");
//! logger.flush()?; // acknowledged by the receiver, or an error naming it
//! guard.shutdown(Duration::from_secs(5))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
mod buffer;
mod connection;
mod error;
mod framing;
mod header;
mod relp;
mod relp_client;
mod resolve;
mod rfc5424;
mod sink;
mod socket;
mod tcp;
mod transport;
mod udp;

pub use error::SyslogError;
pub use rfc5424::Facility;
pub use sink::{SyslogSink, DEFAULT_BUFFER_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_RELP_WINDOW};
