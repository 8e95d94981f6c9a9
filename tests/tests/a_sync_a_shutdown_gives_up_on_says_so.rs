//! A periodic sync (`Durability::Data`) waiting behind a write that
//! never completes (a pipe nobody reads, taken as a file) when shutdown's
//! timeout expires is cancelled with the write. Each cancelled sync is
//! counted and reported saying that shutdown gave up on it and after how
//! long, not just "Operation canceled". io_uring: the pwrite backend does
//! a sync on the writer thread, where nothing can cancel it.

use std::time::Duration;
use uringlog::{Backend, Durability, FlushError, Format, Logger, ShutdownError, Sink, Target};
use uringlog::{SharedFd, Timestamp};
use uringlog_tests::pipe::{fill, pipe};
use uringlog_tests::wait_for;

/// Appends to a pipe, as a file sink appends to its file, so the writer
/// syncs it.
struct PipeAsFile(SharedFd);

impl Sink for PipeAsFile {
    fn describe(&self) -> String {
        "pipe nobody reads".to_owned()
    }
    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Append { fd: self.0.clone() })
    }
}

/// The smallest `sync_interval_bytes`.
const MIN_SYNC_INTERVAL: u64 = 65_536;

#[test]
fn a_sync_a_shutdown_gives_up_on_says_so() {
    if !uringlog_tests::io_uring_available("a_sync_a_shutdown_gives_up_on_says_so") {
        return;
    }
    let (_r, w) = pipe();
    fill(&w);
    let (logger, guard) = Logger::builder()
        .sink(PipeAsFile(std::sync::Arc::new(w)))
        .format(Format::text().timestamp(Timestamp::Off))
        .backend(Backend::IoUring)
        .durability(Durability::Data)
        .sync_interval_bytes(MIN_SYNC_INTERVAL)
        .build()
        .unwrap();
    let text = "s".repeat(MIN_SYNC_INTERVAL as usize);
    uringlog::info!(logger, target: "t", "{}", text);
    // The writer parks only after starting the periodic round that is due
    // (the interval written at once): its sync waits behind the write.
    wait_for("the write in flight and the writer asleep", || {
        logger.stats().io_submits > 0 && logger.writer_sleeping()
    });
    let e = guard.shutdown(Duration::from_millis(50)).unwrap_err();
    assert!(matches!(e, ShutdownError::Timeout { .. }), "{e:?}");
    assert_eq!(logger.flush(), Err(FlushError::ShutDown));
    let (s, errors) = (logger.stats(), logger.recent_errors());
    // The periodic round's sync, and the one shutdown adds for the
    // durability before it gives up.
    let sync = "fdatasync of pipe nobody reads cancelled: shutdown gave up after 50 ms";
    assert_eq!(
        errors,
        [
            format!(
                "write to pipe nobody reads failed after 0 of {} bytes (1 records dropped): \
                 cancelled: shutdown gave up after 50 ms",
                "INFO  t: \n".len() + text.len()
            )
            .as_str(),
            sync,
            sync
        ]
    );
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors, s.syncs),
        (1, 0, 1, 3, 0),
        "{errors:?}"
    );
}
