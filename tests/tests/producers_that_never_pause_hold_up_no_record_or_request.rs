//! Producers that never pause (a small record every ~1 µs, never quiet
//! long enough for the writer to take them as paused) keep the writer
//! gathering their rings, each time until the longest wait or the
//! threshold ends it (the bounds themselves are unit tests of
//! `gathering`). Several at once each have records written while they go
//! on, none lost or out of order; while one goes on, a flush, a
//! `flush_sync`, a `reopen` and a reopen signal are each served, and the
//! records before each land in the file it was for. Every wait has a
//! generous watchdog (`wait_for`), and the producers stop on their own
//! after far more records than any bound allows: reaching either means a
//! record or a request held up until the producers stopped.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uringlog::{Logger, Sink, Target};
use uringlog_sinks::FileSink;
use uringlog_tests::{field, read_lines, wait_for, SHUTDOWN};

/// Threads logging together.
const THREADS: usize = 3;
/// Records a thread logs at most: reached only if its records are held up
/// until it stops.
const CAP: u64 = 5_000_000;

/// Logs `seq=n` with `t=` for thread `t` every ~1 µs until `done()`;
/// returns the records logged.
fn trickle(logger: &Logger, t: usize, done: impl Fn() -> bool) -> u64 {
    let mut n = 0;
    while !done() && n < CAP {
        uringlog::info!(logger, "t={t} seq={n}");
        n += 1;
        let at = Instant::now();
        while at.elapsed() < Duration::from_micros(1) {
            std::hint::spin_loop();
        }
    }
    n
}

/// Counts the lines written for each thread (by their `t=`).
struct PerThread {
    written: Arc<[AtomicU64; THREADS]>,
    lines: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Sink for PerThread {
    fn describe(&self) -> String {
        "per thread".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let text = std::str::from_utf8(batch).unwrap();
        let mut lines = self.lines.lock().unwrap();
        for l in text.lines() {
            let t = field(l, "t=").unwrap() as usize;
            self.written[t].fetch_add(1, Ordering::Relaxed);
            lines.push(l.to_owned());
        }
        Ok(())
    }
}

#[test]
fn several_producers_that_never_pause_each_have_records_written_while_they_log() {
    let written = Arc::new([const { AtomicU64::new(0) }; THREADS]);
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (logger, guard) = Logger::builder()
        .sink(PerThread {
            written: written.clone(),
            lines: lines.clone(),
        })
        .build()
        .unwrap();
    let logged: Vec<u64> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (logger, written) = (&logger, &written);
                s.spawn(move || trickle(logger, t, || written[t].load(Ordering::Relaxed) > 0))
            })
            .collect();
        threads.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (t, n) in logged.iter().enumerate() {
        assert!(*n < CAP, "thread {t}: nothing written while it logged");
    }
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let total: u64 = logged.iter().sum();
    assert_eq!((s.enqueued, s.written, s.dropped), (total, total, 0));
    let lines = lines.lock().unwrap();
    for (t, n) in logged.iter().enumerate() {
        let seqs: Vec<u64> = (lines.iter())
            .filter(|l| field(l, "t=") == Some(t as u64))
            .map(|l| field(l, "seq=").unwrap())
            .collect();
        assert_eq!(seqs, (0..*n).collect::<Vec<_>>(), "thread {t}");
    }
}

#[test]
fn requests_and_a_reopen_signal_are_served_while_a_producer_never_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (logger, guard) = Logger::builder()
        .sink(FileSink::new(&path).unwrap())
        .reopen_on_signal(libc::SIGUSR2)
        .build()
        .unwrap();
    let stop = AtomicBool::new(false);
    let logged = std::thread::scope(|s| {
        let busy = s.spawn(|| trickle(&logger, 0, || stop.load(Ordering::Relaxed)));
        wait_for("nothing written while the producer logs", || {
            logger.stats().written > 0
        });
        logger.flush().unwrap();
        logger.flush_sync().unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        logger.reopen().unwrap();
        assert!(path.exists(), "reopen returned before reopening");
        std::fs::rename(&path, dir.path().join("app.log.2")).unwrap();
        // SAFETY: raising a signal whose handler the logger installed.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
        wait_for("the reopen signal was never served", || path.exists());
        stop.store(true, Ordering::Relaxed);
        busy.join().unwrap()
    });
    assert!(logged < CAP, "the requests waited for the producer to stop");
    drop(logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (logged, logged, 0));
    let seqs: Vec<u64> = ["app.log.1", "app.log.2", "app.log"]
        .iter()
        .flat_map(|name| read_lines(&dir.path().join(name)))
        .map(|l| field(&l, "seq=").unwrap())
        .collect();
    assert_eq!(seqs, (0..logged).collect::<Vec<_>>());
}
