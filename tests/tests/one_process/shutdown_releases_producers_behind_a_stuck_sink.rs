//! A sink that never drains — a full pipe nobody reads (pwrite and io_uring,
//! a blocking pipe), an inline sink blocked in user code — stalls the writer
//! and, under `Block`, every producer behind it. `shutdown(timeout)` then
//! fails with `Timeout` and gives up: every blocked producer returns at once
//! (its record counted dropped), the writer cancels what it was waiting for
//! and ends, and the books balance once it has.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use uringlog::{Backend, FlushError, Logger, Mode, Policy, ShutdownError, Sink, Target};
use uringlog_sinks::StreamSink;
use uringlog_tests::wait_for;

const PRODUCERS: usize = 3;
const RECORDS: usize = 20_000;
const SHORT: Duration = Duration::from_millis(100);

/// A blocking pipe, shrunk to a page and filled to the brim with bytes
/// that are no line (no newline), so that the first write to it waits
/// until something is read: its read end (never read until the end) and
/// write end.
fn pipe() -> (File, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just created and are owned here.
    let (r, w) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: plain fcntl calls on a pipe owned here.
    let size = unsafe {
        assert!(libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) >= 4096);
        libc::fcntl(w.as_raw_fd(), libc::F_GETPIPE_SZ)
    };
    let filler = vec![b'.'; usize::try_from(size).unwrap()];
    File::from(w.try_clone().unwrap())
        .write_all(&filler)
        .unwrap();
    (r, w)
}

/// A [`StreamSink`] that notes when a batch is first routed to it: the
/// write follows at once (in a full pipe it waits for good).
struct Watched {
    stream: StreamSink,
    writing: Arc<AtomicBool>,
}

impl Watched {
    /// A watched stream sink on pipe end `w`, and its note.
    fn new(w: OwnedFd) -> (Watched, Arc<AtomicBool>) {
        let writing = Arc::new(AtomicBool::new(false));
        let stream = StreamSink::new(w, "pipe nobody reads");
        let sink = Watched {
            stream,
            writing: writing.clone(),
        };
        (sink, writing)
    }
}

impl Sink for Watched {
    fn describe(&self) -> String {
        self.stream.describe()
    }
    fn target(&mut self, len: usize) -> io::Result<Target> {
        self.writing.store(true, Ordering::SeqCst);
        self.stream.target(len)
    }
}

/// Complete lines left in the pipe (read without blocking; the filler
/// holds none).
fn lines_in(mut r: File) -> u64 {
    // SAFETY: F_SETFL on a descriptor owned by `r`.
    unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut all = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("reading the pipe: {e}"),
        }
    }
    all.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Starts `PRODUCERS` threads logging `RECORDS` records each, and returns
/// once `stuck` holds (the sink holding up the logger: that cannot change
/// while the sink does not drain).
fn flood(logger: &Logger, stuck: impl Fn() -> bool) -> Vec<std::thread::JoinHandle<()>> {
    let threads = (0..PRODUCERS)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                for i in 0..RECORDS {
                    uringlog::info!(logger, "t={t} seq={i} {:040}", 0);
                }
            })
        })
        .collect();
    wait_for("the sink never held up the logger", stuck);
    threads
}

/// `Block` behind a sink that does not drain: every producer sleeps until
/// its ring has room.
fn every_producer_blocked(logger: &Logger) -> bool {
    logger.producers_waiting_for_room() == PRODUCERS as u32
}

/// Shuts down with a short timeout and checks everything returns and the
/// books balance; returns the final counters.
fn shut_down_stuck(
    logger: &Logger,
    guard: uringlog::WriterGuard,
    stuck: impl Fn() -> bool,
    unstick: impl FnOnce(),
) -> uringlog::Stats {
    let threads = flood(logger, stuck);
    let err = guard.shutdown(SHORT).unwrap_err();
    let ShutdownError::Timeout { stats, .. } = &err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert!(stats.pending() > 0, "the sink was stuck: {stats:?}");
    for t in threads {
        t.join().unwrap();
    }
    unstick();
    // Returns once the writer has ended.
    assert_eq!(logger.flush(), Err(FlushError::ShutDown));
    let s = logger.stats();
    assert_eq!(s.enqueued, (PRODUCERS * RECORDS) as u64, "{s:?}");
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    assert!(s.dropped > 0, "{s:?}");
    s
}

fn pipe_nobody_reads(backend: Backend) {
    let (r, w) = pipe();
    let (sink, writing) = Watched::new(w);
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .backend(backend)
        .policy(Policy::Block)
        .ring_capacity(4096)
        .build()
        .unwrap();
    // The writer is in its first write (io_uring: in flight), for good.
    let submitted = || backend == Backend::Pwrite || logger.stats().io_submits > 0;
    let stuck = || writing.load(Ordering::SeqCst) && submitted() && every_producer_blocked(&logger);
    let s = shut_down_stuck(&logger, guard, stuck, || {});
    let lines = lines_in(r);
    // A batch cut short by the cancellation may leave whole lines in the
    // pipe that are counted dropped with their batch.
    assert!(s.written <= lines, "{s:?}, {lines} lines");
    assert!(s.errors >= 1, "{s:?}");
}

#[test]
fn a_pipe_nobody_reads_through_pwrite() {
    pipe_nobody_reads(Backend::Pwrite);
}

#[test]
fn a_pipe_nobody_reads_through_io_uring() {
    if !uringlog_tests::io_uring_available("a_pipe_nobody_reads_through_io_uring") {
        return;
    }
    pipe_nobody_reads(Backend::IoUring);
}

/// An inline sink that blocks in its first write until the gate opens.
struct Gated {
    gate: Arc<(Mutex<bool>, Condvar)>,
    lines: Arc<Mutex<u64>>,
}

impl Sink for Gated {
    fn describe(&self) -> String {
        "gated".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let (open, cv) = &*self.gate;
        let mut g = open.lock().unwrap();
        while !*g {
            g = cv.wait(g).unwrap();
        }
        *self.lines.lock().unwrap() += batch.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(())
    }
}

#[test]
fn a_gated_inline_sink() {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let lines = Arc::new(Mutex::new(0));
    let (logger, guard) = Logger::builder()
        .sink(Gated {
            gate: gate.clone(),
            lines: lines.clone(),
        })
        .policy(Policy::Block)
        .ring_capacity(4096)
        .build()
        .unwrap();
    let stuck = || every_producer_blocked(&logger);
    let s = shut_down_stuck(&logger, guard, stuck, || {
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
    });
    assert_eq!(s.written, *lines.lock().unwrap(), "{s:?}");
}

#[test]
fn a_pipe_nobody_reads_in_sync_mode() {
    let (r, w) = pipe();
    let (sink, writing) = Watched::new(w);
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .mode(Mode::Sync)
        .build()
        .unwrap();
    // A caller holds the writer, in the sink's write for good.
    let s = shut_down_stuck(&logger, guard, || writing.load(Ordering::SeqCst), || {});
    let lines = lines_in(r);
    assert!(s.written <= lines, "{s:?}, {lines} lines");
}

/// Crash-safe mode: producers blocked on a ring file (whose room comes back
/// only with a commit, after the sink completes) are released the same
/// way, and the directory is left as a crash leaves it — unlocked, with
/// what was not committed, which the next logger built on it writes.
#[test]
fn a_pipe_nobody_reads_in_crash_safe_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cs");
    // The writer may be stuck before the shutdown began, or only in its
    // final writes (those left the directory empty when shutdown gave up
    // on them).
    let (r, w) = pipe();
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(w, "pipe nobody reads"))
        .backend(Backend::Pwrite)
        .policy(Policy::Block)
        .ring_capacity(4096)
        .crash_safe(&dir)
        .build()
        .unwrap();
    // Room comes back only with a commit, after a write completes: never.
    let stuck = || every_producer_blocked(&logger);
    let s = shut_down_stuck(&logger, guard, stuck, || {});
    assert!(s.written <= lines_in(r), "{s:?}");
    let log = tmp.path().join("next.log");
    let (next, guard) = Logger::builder()
        .sink(uringlog_sinks::FileSink::new(&log).unwrap())
        .crash_safe(&dir)
        .build()
        .unwrap();
    let n = guard.shutdown(Duration::from_secs(30)).unwrap();
    drop(next);
    let lines = uringlog_tests::read_lines(&log);
    assert!(lines.len() > 1, "{lines:?}");
    let recovered = lines.len() - 1;
    assert!(
        lines[0].contains(&format!(
            "crash-safe recovery: {recovered} records recovered"
        )),
        "{}",
        lines[0]
    );
    assert!(recovered as u64 <= s.dropped, "{recovered} > {s:?}");
    assert_eq!(
        (n.enqueued, n.written, n.dropped),
        (lines.len() as u64, lines.len() as u64, 0)
    );
    for l in &lines[1..] {
        assert!(l.contains("seq="), "{l}");
    }
}
