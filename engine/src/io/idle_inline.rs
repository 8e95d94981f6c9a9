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
//! So when the engine was idle — nothing in flight on the ring and no batch
//! for at least [`IDLE_GAP`] — and a batch is an append (`O_APPEND` file)
//! of at most [`INLINE_MAX_BYTES`], the writer `write(2)`s it at once, as
//! the pwrite backend does; everything else goes to the ring. A busy
//! writer's batches follow each other by far less than [`IDLE_GAP`], so
//! they keep io_uring's overlap of the kernel's copy with the writer's work
//! even when each finishes before the next is submitted.
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
use std::time::{Duration, Instant};

/// Largest append written inline into an idle ring: one batch of a trickle
/// or of a short burst, far below a full batch of a busy writer.
pub(crate) const INLINE_MAX_BYTES: usize = 16 * 1024;
/// How long without a batch makes the engine idle (`Backend::Auto`'s
/// trial leaves turns with such gaps out for the same reason).
pub(crate) const IDLE_GAP: Duration = super::auto::IDLE_GAP;

/// io_uring, with small appends into an idle ring done inline.
pub(crate) struct IdleInline {
    ring: Uring,
    direct: Pwrite,
    /// When the last batch was taken (either way).
    last_batch: Option<Instant>,
}

impl IdleInline {
    pub(crate) fn new(ring: Uring) -> IdleInline {
        let direct = Pwrite::new(ring.cancel_token());
        IdleInline {
            ring,
            direct,
            last_batch: None,
        }
    }

    /// What `io_backend()` adds about the ring and this rule.
    pub(crate) fn setup_note(&self) -> Option<String> {
        let rule = format!(
            "appends of up to {} KiB after {} ms without a batch are written by the writer itself (no io-wq worker wake-up)",
            INLINE_MAX_BYTES / 1024,
            IDLE_GAP.as_millis()
        );
        Some(match self.ring.setup_note() {
            Some(n) => format!("{n}; {rule}"),
            None => rule,
        })
    }

    /// Whether `sub`, taken `now`, goes inline (see the module docs).
    fn inline(&self, sub: &Submission, now: Instant) -> bool {
        self.ring.in_flight() == 0
            && matches!(sub.target, IoTarget::Append { .. })
            && sub.bytes().len() <= INLINE_MAX_BYTES
            && self
                .last_batch
                .map_or(true, |t| now.saturating_duration_since(t) >= IDLE_GAP)
    }
}

impl IoBackend for IdleInline {
    fn make_room(&mut self, done: &mut dyn FnMut(Event)) {
        self.ring.make_room(done);
    }

    fn full(&self) -> bool {
        self.ring.full()
    }

    fn submit(&mut self, sub: Submission, done: &mut dyn FnMut(Event)) {
        let now = Instant::now();
        let inline = self.inline(&sub, now);
        self.last_batch = Some(now);
        if inline {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::uring::UringConfig;
    use crate::io::Cancel;
    use crate::sink::SharedFd;
    use std::sync::Arc;

    fn append(fd: &SharedFd, len: usize) -> Submission {
        Submission::for_test(0, IoTarget::Append { fd: fd.clone() }, vec![b'x'; len], 1)
    }

    #[test]
    fn only_a_small_append_after_an_idle_gap_goes_inline() {
        let ring = match Uring::open(&UringConfig::default(), Cancel::default()) {
            Ok(r) => r,
            Err(e) => {
                use crate::test_skip::{skip, Needs};
                return skip(Needs::IoUring, "io::idle_inline unit test", &e);
            }
        };
        let mut io = IdleInline::new(ring);
        let dir = tempfile::tempdir().unwrap();
        let fd: SharedFd = Arc::new(std::fs::File::create(dir.path().join("f")).unwrap());
        let t0 = Instant::now();
        assert!(io.inline(&append(&fd, 100), t0), "the first batch");
        assert!(!io.inline(&append(&fd, INLINE_MAX_BYTES + 1), t0), "too big");
        let positioned = Submission {
            target: IoTarget::File {
                fd: fd.clone(),
                offset: 0,
            },
            ..append(&fd, 100)
        };
        assert!(!io.inline(&positioned, t0), "O_DIRECT goes to the ring");
        io.last_batch = Some(t0);
        assert!(!io.inline(&append(&fd, 100), t0 + IDLE_GAP / 2), "busy");
        assert!(io.inline(&append(&fd, 100), t0 + IDLE_GAP), "idle again");
    }
}
