//! A record committed while the writer goes to sleep, or sleeps, is
//! noticed at once: the writer has no timeout left that would notice it
//! instead, so a lost wake-up shows here as a record that never arrives
//! (caught by a generous watchdog rather than a hang). Both barriers of
//! the wake protocol (membarrier and its fence fallback), both backends.

use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use uringlog::{Backend, FlushError, Logger, Policy, Sink, Target, WriterGuard};
use uringlog_sinks::FileSink;
use uringlog_tests::{
    assert_one_wake_up_per_record, field, io_uring_available, read_lines, strictly_increasing,
    wait_for, SHUTDOWN, WATCHDOG,
};

/// Records of each trickle.
const TRICKLE: u64 = 150;
/// The pause after a record is written: the writer spins and yields far
/// less than this, then sleeps, so the next record finds it asleep.
const PAUSE: Duration = Duration::from_millis(2);

#[derive(Clone, Copy, Debug)]
enum Fences {
    Membarrier,
    Fallback,
}

fn build(path: &std::path::Path, backend: Backend, fences: Fences) -> (Logger, WriterGuard) {
    let mut b = Logger::builder()
        .sink(FileSink::new(path).unwrap())
        .backend(backend);
    if let Fences::Fallback = fences {
        b = b.test_wake_fence_fallback();
    }
    b.build().unwrap()
}

/// Logs records one at a time, each after the previous one was written
/// and the writer had time to fall asleep; fails if one is never written.
fn trickle(backend: Backend, fences: Fences) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trickle.log");
    let (logger, guard) = build(&path, backend, fences);
    let how = logger.wake_mechanism();
    match fences {
        Fences::Fallback => assert_eq!(
            how,
            "wake-ups: a SeqCst fence per record (forced by the test hook)"
        ),
        // Where the kernel refuses membarrier the fallback names why.
        Fences::Membarrier => assert!(
            how == "wake-ups: membarrier (a producer pays a compiler fence per record)"
                || how.starts_with("wake-ups: a SeqCst fence per record (membarrier"),
            "{how}"
        ),
    }
    let reason = logger.io_backend().reason;
    if backend == Backend::IoUring {
        assert!(reason.contains("IORING_OP_FUTEX_WAIT"), "{reason}");
    }
    for i in 0..TRICKLE {
        // Registered: nothing else is logged, so the writer sleeps until notified.
        wait_for("the writer never slept", || logger.writer_sleeping());
        uringlog::info!(logger, "trickle seq={i}");
        wait_for(
            &format!("{backend:?}/{fences:?}: record {i} not written: lost wake-up"),
            || logger.stats().written > i,
        );
    }
    assert_one_wake_up_per_record(
        logger.writer_wake_counts(),
        TRICKLE,
        backend,
        &format!("{backend:?}/{fences:?}"),
    );
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (TRICKLE, TRICKLE, 0));
    let seqs: Vec<u64> = read_lines(&path)
        .iter()
        .map(|l| field(l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..TRICKLE).collect::<Vec<_>>());
}

#[test]
fn a_trickle_wakes_a_pwrite_writer_with_membarrier() {
    trickle(Backend::Pwrite, Fences::Membarrier);
}

#[test]
fn a_trickle_wakes_a_pwrite_writer_with_the_fence_fallback() {
    trickle(Backend::Pwrite, Fences::Fallback);
}

#[test]
fn a_trickle_wakes_an_io_uring_writer_with_membarrier() {
    if io_uring_available("a_trickle_wakes_an_io_uring_writer_with_membarrier") {
        trickle(Backend::IoUring, Fences::Membarrier);
    }
}

#[test]
fn a_trickle_wakes_an_io_uring_writer_with_the_fence_fallback() {
    if io_uring_available("a_trickle_wakes_an_io_uring_writer_with_the_fence_fallback") {
        trickle(Backend::IoUring, Fences::Fallback);
    }
}

/// A burst into a sleeping writer costs one wake-up per writer sleep, not
/// one per record (the books of the wake protocol: every wake-up syscall
/// claimed a registered sleep).
#[test]
fn a_burst_pays_at_most_one_wake_up_per_writer_sleep() {
    const BURSTS: u64 = 20;
    const LEN: u64 = 500;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("burst.log");
    let (logger, guard) = build(&path, Backend::Pwrite, Fences::Membarrier);
    let mut p = logger.producer();
    for b in 0..BURSTS {
        thread::sleep(PAUSE);
        for i in 0..LEN {
            uringlog::info!(p, "burst seq={}", b * LEN + i);
        }
    }
    logger.flush().unwrap();
    let (waits, wakes) = logger.writer_wake_counts();
    assert!(wakes <= waits, "{wakes} wake-ups for {waits} sleeps");
    drop(p);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (BURSTS * LEN, 0));
}

/// `Block` producers on a tiny ring sleep until the writer makes room and
/// the writer sleeps until they commit: with either barrier, every record
/// arrives, in order per thread, within the watchdog.
#[test]
fn block_producers_and_the_writer_wake_each_other() {
    for fences in [Fences::Membarrier, Fences::Fallback] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("block.log");
        let mut b = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .backend(Backend::Pwrite)
            .policy(Policy::Block)
            .ring_capacity(1024)
            .batch_size(4);
        if let Fences::Fallback = fences {
            b = b.test_wake_fence_fallback();
        }
        let (logger, guard) = b.build().unwrap();
        let (tx, rx) = mpsc::channel();
        for t in 0..2u64 {
            let (l, tx) = (logger.clone(), tx.clone());
            thread::spawn(move || {
                for i in 0..3_000u64 {
                    uringlog::info!(l, "t={t} seq={i}");
                }
                tx.send(()).unwrap();
            });
        }
        for _ in 0..2 {
            rx.recv_timeout(WATCHDOG)
                .unwrap_or_else(|_| panic!("{fences:?}: a Block producer never woke"));
        }
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (6_000, 0), "{fences:?}");
        let lines = read_lines(&path);
        let per_thread = uringlog_tests::sequences(&lines);
        for t in 0..2 {
            assert_eq!(per_thread[&t].len(), 3_000);
            assert!(strictly_increasing(&per_thread[&t]));
        }
    }
}

/// More flushers at once than the wake word counts waiters (255): the
/// extra ones poll instead of sleeping unboundedly, and every flush returns.
#[test]
fn three_hundred_concurrent_flushes_all_return() {
    const FLUSHERS: u64 = 300;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flush.log");
    let (logger, guard) = build(&path, Backend::Pwrite, Fences::Membarrier);
    let (tx, rx) = mpsc::channel();
    for t in 0..FLUSHERS {
        let (l, tx) = (logger.clone(), tx.clone());
        thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                uringlog::info!(l, "t={t} seq=0");
                tx.send(l.flush().is_ok()).unwrap();
            })
            .unwrap();
    }
    for _ in 0..FLUSHERS {
        let ok = rx
            .recv_timeout(WATCHDOG)
            .expect("a flush never returned: lost wake-up");
        assert!(ok);
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (FLUSHERS, 0));
}

/// A sink that holds the writer inside `write_inline` until opened.
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Sink for Gate {
    fn describe(&self) -> String {
        "gate".to_owned()
    }

    fn target(&mut self, _len: usize) -> std::io::Result<Target> {
        Ok(Target::Inline)
    }

    fn write_inline(&mut self, _batch: &[u8]) -> std::io::Result<()> {
        let (open, cv) = &*self.0;
        let mut g = open.lock().unwrap();
        while !*g {
            g = cv.wait(g).unwrap();
        }
        Ok(())
    }
}

/// A flush that times out withdraws from the wait exactly: it reports the
/// timeout, and a later flush is still woken when the writer gets through.
#[test]
fn a_timed_out_flush_reports_it_and_a_later_flush_returns() {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (logger, guard) = Logger::builder().sink(Gate(gate.clone())).build().unwrap();
    uringlog::info!(logger, "held at the gate");
    let err = logger.flush_timeout(Duration::from_millis(30)).unwrap_err();
    assert_eq!(err, FlushError::Timeout { timeout_ms: 30 });
    let l = logger.clone();
    let flusher = thread::spawn(move || l.flush());
    thread::sleep(Duration::from_millis(20));
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(flusher.join().unwrap()).unwrap());
    let r = rx
        .recv_timeout(WATCHDOG)
        .expect("the later flush never returned");
    assert_eq!(r, Ok(()));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (1, 0));
}

/// A pipe whose blocking write end is full: an io_uring write to it stays
/// in flight until the read end is drained.
fn full_pipe() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes; fcntl
    // and write take a descriptor, integers and a live buffer.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        libc::fcntl(fds[1], libc::F_SETPIPE_SZ, 4096);
        libc::fcntl(fds[1], libc::F_SETFL, libc::O_NONBLOCK);
        let junk = [b'.'; 512];
        while libc::write(fds[1], junk.as_ptr().cast(), junk.len()) > 0 {}
        libc::fcntl(fds[1], libc::F_SETFL, 0);
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    }
}

/// With a write stuck in the kernel the writer sleeps in `io_uring_enter`;
/// a new record must wake it there (the wait on the wake word queued beside
/// the write), not when the stuck write completes: the record reaches the
/// file while the pipe is still full. (Completions are reported in
/// submission order, so `written` waits for the pipe; the file does not.)
#[test]
fn a_record_wakes_an_io_uring_writer_waiting_on_a_stuck_write() {
    if !io_uring_available("a_record_wakes_an_io_uring_writer_waiting_on_a_stuck_write") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.log");
    let (mut read_end, write_end) = full_pipe();
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap()) // primary: `written` counts the file
        .sink(uringlog_sinks::StreamSink::new(write_end, "full pipe"))
        .backend(Backend::IoUring)
        .io_depth(4)
        .build()
        .unwrap();
    for i in 0..3u64 {
        // The writer finishes its idle turns and sleeps with the pipe write in flight.
        thread::sleep(Duration::from_millis(5));
        uringlog::info!(logger, "stuck seq={i}");
        let started = Instant::now();
        while std::fs::read_to_string(&path).unwrap().lines().count() < i as usize + 1 {
            assert!(
                started.elapsed() < WATCHDOG,
                "record {i} not in the file while a pipe write was in flight: lost wake-up"
            );
            thread::sleep(Duration::from_micros(50));
        }
    }
    let reader = thread::spawn(move || {
        let mut sink = Vec::new();
        std::io::Read::read_to_end(&mut read_end, &mut sink).unwrap();
        sink
    });
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (3, 0, 0));
    let piped = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    assert_eq!(piped.matches("stuck seq=").count(), 3);
    assert_eq!(read_lines(&path).len(), 3);
}

/// A thread that logs one record into a sleeping writer and exits — at
/// once, or once the writer has written it and gone back to sleep: its
/// record is written and its ring retired without a flush or a later
/// record. The commit wakes the writer, and so does the exit.
#[test]
fn a_thread_that_logs_and_exits_is_written_and_retired() {
    const THREADS: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exit.log");
    let (logger, guard) = build(&path, Backend::Pwrite, Fences::Membarrier);
    let base = logger.stats().live_producers;
    for t in 0..THREADS {
        wait_for("the writer never slept", || logger.writer_sleeping());
        let l = logger.clone();
        thread::spawn(move || {
            uringlog::info!(l, "t={t} seq=0");
            if t % 2 == 1 {
                // Exit only once the writer wrote the record and went back
                // to sleep: then only the exit itself can wake it.
                while l.stats().written < t + 1 || !l.writer_sleeping() {
                    thread::sleep(Duration::from_micros(50));
                }
            }
        })
        .join()
        .unwrap();
        wait_for(&format!("thread {t}: record or exit lost"), || {
            let s = logger.stats();
            s.written == t + 1 && s.live_producers == base
        });
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.written, s.dropped), (THREADS, 0));
    assert_eq!(read_lines(&path).len() as u64, THREADS);
}
