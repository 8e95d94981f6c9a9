//! A shutdown whose timeout expires while a write is in the kernel (a
//! pipe nobody reads) cancels it: the failed write is counted — an error,
//! its record dropped — and reported, as any failed write is, so that
//! `Stats::errors` and `Logger::recent_errors` tell the same story; the
//! report says shutdown gave up on it, and after how long.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Backend, FlushError, Format, Logger, ShutdownError, Sink, Target, Timestamp};
use uringlog_sinks::StreamSink;
use uringlog_tests::pipe::{fill, pipe};
use uringlog_tests::wait_for;

/// A [`StreamSink`] that notes when a batch is routed to it: the write
/// follows at once (into a full pipe: for good).
struct Watched(StreamSink, Arc<AtomicBool>);

impl Sink for Watched {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn target(&mut self, len: usize) -> std::io::Result<Target> {
        self.1.store(true, Ordering::SeqCst);
        self.0.target(len)
    }
}

/// Shuts down with a timeout the stuck sink makes expire, runs `then`,
/// waits for the writer's end; returns the counters and the errors.
fn give_up(
    logger: &Logger,
    guard: uringlog::WriterGuard,
    then: impl FnOnce(),
) -> (uringlog::Stats, Vec<String>) {
    let e = guard.shutdown(Duration::from_millis(50)).unwrap_err();
    assert!(matches!(e, ShutdownError::Timeout { .. }), "{e:?}");
    then();
    assert_eq!(logger.flush(), Err(FlushError::ShutDown));
    (logger.stats(), logger.recent_errors())
}

fn scenario(backend: Backend) {
    let (_r, w) = pipe();
    fill(&w);
    let writing = Arc::new(AtomicBool::new(false));
    let (logger, guard) = Logger::builder()
        .sink(Watched(
            StreamSink::new(w, "pipe nobody reads"),
            writing.clone(),
        ))
        .format(Format::text().timestamp(Timestamp::Off))
        .backend(backend)
        .build()
        .unwrap();
    uringlog::info!(logger, target: "t", "stuck");
    let submitted = || backend == Backend::Pwrite || logger.stats().io_submits > 0;
    wait_for("the write under way", || {
        writing.load(Ordering::SeqCst) && submitted()
    });
    let (s, errors) = give_up(&logger, guard, || {});
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors),
        (1, 0, 1, 1),
        "{backend:?}: {errors:?}"
    );
    assert_eq!(
        errors,
        [
            "write to pipe nobody reads failed after 0 of 15 bytes (1 records dropped): \
             cancelled: shutdown gave up after 50 ms"
        ],
        "{backend:?}"
    );
}

/// A [`StreamSink`] whose second batch is held in `Sink::target` (user
/// code, before its write is submitted) until the test releases it.
struct Held {
    stream: StreamSink,
    calls: u32,
    held: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
}

impl Sink for Held {
    fn describe(&self) -> String {
        self.stream.describe()
    }
    fn target(&mut self, len: usize) -> std::io::Result<Target> {
        self.calls += 1;
        if self.calls == 2 {
            self.held.store(true, Ordering::SeqCst);
            while !self.release.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
        }
        self.stream.target(len)
    }
}

/// The writes in the backend when shutdown gave up before the writer came
/// to drain: one in the kernel (into a full pipe), one submitted after
/// the timeout expired (held in its sink until then). Both are given up
/// on, counted and reported.
fn submitted_after_the_timeout() {
    let (_r, w) = pipe();
    fill(&w);
    let (held, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let sink = Held {
        stream: StreamSink::new(w, "pipe nobody reads"),
        calls: 0,
        held: held.clone(),
        release: release.clone(),
    };
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .backend(Backend::IoUring)
        .batch_size(1)
        .build()
        .unwrap();
    uringlog::info!(logger, target: "t", "stuck");
    wait_for("the write in the kernel", || logger.stats().io_submits > 0);
    uringlog::info!(logger, target: "t", "held");
    wait_for("the second batch held", || held.load(Ordering::SeqCst));
    let (s, errors) = give_up(&logger, guard, || release.store(true, Ordering::SeqCst));
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors),
        (2, 0, 2, 2),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 2, "{s:?}: {errors:?}");
    for (e, len) in errors.iter().zip([15, 14]) {
        assert!(
            e.starts_with("write to pipe nobody reads ")
                && e.contains(&format!("{len} bytes (1 records dropped)"))
                && e.ends_with("cancelled: shutdown gave up after 50 ms"),
            "{errors:?}"
        );
    }
}

#[test]
fn writes_a_shutdown_gave_up_on_before_the_drain_are_reported() {
    if uringlog_tests::io_uring_available(
        "writes_a_shutdown_gave_up_on_before_the_drain_are_reported",
    ) {
        submitted_after_the_timeout();
    }
}

#[test]
fn a_write_a_shutdown_gives_up_on_is_reported() {
    scenario(Backend::Pwrite);
    if uringlog_tests::io_uring_available("a_write_a_shutdown_gives_up_on_is_reported (io_uring)") {
        scenario(Backend::IoUring);
    }
}
