//! Small appends into an idle io_uring are written by the writer itself.
//!
//! Most file systems (ext4 among them) have no non-blocking buffered write,
//! so every buffered `IORING_OP_WRITE` to a regular file fails its inline
//! attempt and is punted to an io-wq worker thread (the
//! `io_uring_queue_async_work` tracepoint fires for each one). For a batch
//! in flight behind others that costs the writer nothing; for a record
//! logged into an idle engine it puts a second thread wake-up on the path
//! from the log call to the file: the writer wakes, submits, and the worker
//! must then be woken and get a CPU before the bytes reach the page cache.
//! On a busy machine that second wait alone was seen to take 4–8 ms.
//!
//! So when nothing is in flight on the ring and a batch is an append
//! (`O_APPEND` file) of at most [`INLINE_MAX_BYTES`], the writer `write(2)`s
//! it at once, as the pwrite backend does; everything else goes to the ring.
//! Nothing is in flight, so nothing is reordered: the ring's rules for
//! appends (one per sink in the kernel, a failure reported before the next
//! starts) hold trivially, and a later sync covers the bytes. Positioned
//! (`O_DIRECT`) writes need no worker and streams may block: both always go
//! to the ring. Such a write costs the writer the copy of at most
//! [`INLINE_MAX_BYTES`] into the page cache, a few microseconds.

use super::pwrite::Pwrite;
use super::uring::Uring;
use super::{Event, IoBackend, IoTarget, Submission, SyncRequest};
use crate::wake::EventRef;
use std::time::Duration;

/// Largest append written inline into an idle ring: one batch of a trickle
/// or of a short burst, far below a full batch of a busy writer.
pub(crate) const INLINE_MAX_BYTES: usize = 16 * 1024;

/// io_uring, with small appends into an idle ring done inline.
pub(crate) struct IdleInline {
    ring: Uring,
    direct: Pwrite,
}

impl IdleInline {
    pub(crate) fn new(ring: Uring) -> IdleInline {
        let direct = Pwrite::new(ring.cancel_token());
        IdleInline { ring, direct }
    }

    /// What `io_backend()` adds about the ring and this rule.
    pub(crate) fn setup_note(&self) -> Option<String> {
        let rule = format!(
            "appends of up to {} KiB into an idle ring are written by the writer itself (no io-wq worker wake-up)",
            INLINE_MAX_BYTES / 1024
        );
        Some(match self.ring.setup_note() {
            Some(n) => format!("{n}; {rule}"),
            None => rule,
        })
    }

    /// Whether `sub` goes inline (see the module docs).
    fn inline(&self, sub: &Submission) -> bool {
        self.ring.in_flight() == 0
            && matches!(sub.target, IoTarget::Append { .. })
            && sub.bytes().len() <= INLINE_MAX_BYTES
    }
}

impl IoBackend for IdleInline {
    fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
        self.ring.make_room(done);
    }

    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
        if self.inline(&sub) {
            self.direct.submit(sub, done);
        } else {
            self.ring.submit(sub, done);
        }
    }

    fn sync(&mut self, req: SyncRequest, done: &mut dyn FnMut(Event)) {
        self.ring.sync(req, done);
    }

    fn poll(&mut self, done: &mut dyn FnMut(Event)) {
        self.ring.poll(done);
    }

    fn attach_wake(&mut self, wake: EventRef) {
        self.ring.attach_wake(wake);
    }

    fn wait_some(
        &mut self,
        futex_value: u32,
        timeout: Option<Duration>,
        done: &mut dyn FnMut(Event),
    ) -> bool {
        self.ring.wait_some(futex_value, timeout, done)
    }

    fn wait_all(&mut self, done: &mut dyn FnMut(Event)) {
        self.ring.wait_all(done);
    }

    fn in_flight(&self) -> usize {
        self.ring.in_flight()
    }

    fn submits(&self) -> u64 {
        self.ring.submits() + self.direct.submits()
    }
}
