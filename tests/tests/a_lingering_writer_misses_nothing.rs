//! The writer's linger (`Builder::linger_us`) never costs a record, a
//! request or a waiting producer more than a short delay: records logged
//! at every moment around the end of the linger (as it turns into a
//! registered sleep) are written without a flush; flush, flush_sync and
//! reopen asked while it lingers are answered; `Block` producers behind a
//! tiny ring are released; the periodic sync still runs; many lingering
//! loggers at once lose nothing; and a writer whose linger is over stops
//! taking lingering sleeps until it works again. Both backends, linger
//! off, short and at its maximum. Every wait has a generous watchdog
//! (`wait_for`): reaching it means a lost wake-up, not slowness.

use std::path::Path;
use std::time::Duration;
use uringlog::{Backend, Durability, Logger, Policy, WriterGuard, MAX_LINGER_US};
use uringlog_sinks::FileSink;
use uringlog_tests::{
    backends, field, finish_in_order, lingering_file_logger, read_lines, wait_for, SHUTDOWN,
};

/// Each record is logged a different while after the previous one was
/// written (0 to 1.5 ms, in 37 µs steps): with lingers of 50 µs to 1 ms
/// the records land before, in and after each lingering step and right as
/// the linger turns into a registered sleep. Each must be written without
/// a flush.
#[test]
fn records_logged_as_the_linger_ends_are_written_without_a_flush() {
    const RECORDS: u64 = 80;
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("records_logged_as_the_linger_ends_are_written_without_a_flush") {
        for us in [0, 50, 120, 200, 400, 1_000] {
            let what = format!("{backend:?}, linger {us} µs");
            let path = dir.path().join(format!("{backend:?}-{us}.log"));
            let (logger, guard) = lingering_file_logger(&path, backend, us);
            for i in 0..RECORDS {
                std::thread::sleep(Duration::from_micros(i * 37 % 1_500));
                uringlog::info!(logger, "seq={i}");
                wait_for(&format!("{what}: record {i} never written"), || {
                    logger.stats().written > i
                });
            }
            finish_in_order(logger, guard, &path, RECORDS, &what);
        }
    }
}

/// Flush, flush_sync and reopen asked of a lingering writer (it lingers
/// for a minute, so it never registers) are answered, each covering the
/// record logged just before it; and so are requests asked as a short
/// linger ends.
#[test]
fn requests_to_a_lingering_writer_are_answered() {
    const ROUNDS: u64 = 30;
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("requests_to_a_lingering_writer_are_answered") {
        for us in [MAX_LINGER_US, 150] {
            let what = format!("{backend:?}, linger {us} µs");
            let path = dir.path().join(format!("req-{backend:?}-{us}.log"));
            let (logger, guard) = lingering_file_logger(&path, backend, us);
            let mut n = 0;
            for r in 0..ROUNDS {
                let lingered = logger.writer_linger_sleeps();
                if us == MAX_LINGER_US {
                    wait_for(&format!("{what}: never lingered"), || {
                        logger.writer_linger_sleeps() > lingered
                    });
                } else {
                    std::thread::sleep(Duration::from_micros(r * 23 % 400));
                }
                uringlog::info!(logger, "seq={n}");
                n += 1;
                match r % 3 {
                    0 => logger.flush().unwrap(),
                    1 => logger.flush_sync().unwrap(),
                    _ => logger.reopen().unwrap(),
                }
                assert_eq!(logger.stats().written, n, "{what}: round {r}");
            }
            if us == MAX_LINGER_US {
                assert_eq!(
                    logger.writer_wake_counts(),
                    (0, 0),
                    "{what}: a writer lingering for a minute never registers"
                );
            }
            finish_in_order(logger, guard, &path, n, &what);
        }
    }
}

/// `Block` producers on a ring far smaller than what they log: each waits
/// for room again and again while the writer lingers between their
/// bursts; all are released and nothing is dropped, in order per thread.
#[test]
fn block_producers_behind_a_tiny_ring_are_released_by_a_lingering_writer() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 3_000;
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("block_producers_behind_a_tiny_ring_are_released_by_a_lingering_writer")
    {
        for us in [0, 300, MAX_LINGER_US] {
            let path = dir.path().join(format!("block-{backend:?}-{us}.log"));
            let (logger, guard) = Logger::builder()
                .sink(FileSink::new(&path).unwrap())
                .backend(backend)
                .policy(Policy::Block)
                .ring_capacity(uringlog::MIN_RING_CAPACITY)
                .linger_us(us)
                .build()
                .unwrap();
            std::thread::scope(|s| {
                for t in 0..THREADS {
                    let logger = logger.clone();
                    s.spawn(move || {
                        for i in 0..PER_THREAD {
                            uringlog::info!(logger, "t={t} seq={i} {}", "x".repeat(40));
                            if i % 500 == 499 {
                                std::thread::sleep(Duration::from_micros(300 + 100 * t));
                            }
                        }
                    });
                }
            });
            drop(logger);
            let s = guard.shutdown(SHUTDOWN).unwrap();
            let total = THREADS * PER_THREAD;
            assert_eq!(
                (s.enqueued, s.written, s.dropped),
                (total, total, 0),
                "{backend:?}, linger {us} µs"
            );
            let seqs = uringlog_tests::sequences(&read_lines(&path));
            assert_eq!(seqs.len() as u64, THREADS);
            for (t, v) in seqs {
                assert_eq!(v, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
            }
        }
    }
}

/// The periodic sync (`Durability::Data`) falls due while the writer
/// lingers for a minute and never sleeps: it is still issued, without a
/// flush.
#[test]
fn the_periodic_sync_runs_while_the_writer_lingers() {
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("the_periodic_sync_runs_while_the_writer_lingers") {
        let path = dir.path().join(format!("sync-{backend:?}.log"));
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .backend(backend)
            .durability(Durability::Data)
            .sync_interval_ms(1)
            .linger_us(MAX_LINGER_US)
            .build()
            .unwrap();
        uringlog::info!(logger, "seq=0");
        wait_for(&format!("{backend:?}: never written"), || {
            logger.stats().written == 1
        });
        wait_for(
            &format!("{backend:?}: no periodic sync while lingering"),
            || logger.stats().syncs > 0,
        );
        assert_eq!(logger.writer_wake_counts(), (0, 0), "{backend:?}");
        finish_in_order(logger, guard, &path, 1, &format!("{backend:?}"));
    }
}

/// Sixteen loggers, each with its own lingering writer, take bursts from
/// four threads each; every record is written without a flush. Once all
/// are asleep, none takes another lingering sleep: a writer that woke
/// without work (no deadline here, so at most spuriously) does not linger
/// again.
#[test]
fn many_lingering_loggers_lose_nothing_and_stop_lingering_when_idle() {
    const LOGGERS: usize = 16;
    const PER_THREAD: u64 = 200;
    let dir = tempfile::tempdir().unwrap();
    let loggers: Vec<(Logger, WriterGuard, std::path::PathBuf)> = (0..LOGGERS)
        .map(|i| {
            let path = dir.path().join(format!("many-{i}.log"));
            let (l, g) = lingering_file_logger(&path, Backend::Pwrite, 2_000);
            (l, g, path)
        })
        .collect();
    std::thread::scope(|s| {
        for (l, _, _) in &loggers {
            for t in 0..4u64 {
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        uringlog::info!(l, "t={t} seq={i}");
                        if i % 50 == 49 {
                            std::thread::sleep(Duration::from_micros(700 * (t + 1)));
                        }
                    }
                });
            }
        }
    });
    for (l, _, _) in &loggers {
        wait_for("a record never written", || {
            l.stats().written == 4 * PER_THREAD
        });
        wait_for("a writer never went to sleep", || l.writer_sleeping());
    }
    let lingered: Vec<u64> = loggers
        .iter()
        .map(|(l, _, _)| l.writer_linger_sleeps())
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let after: Vec<u64> = loggers
        .iter()
        .map(|(l, _, _)| l.writer_linger_sleeps())
        .collect();
    assert_eq!(after, lingered, "lingering sleeps of idle writers");
    for (l, g, path) in loggers {
        drop(l);
        let s = g.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped), (4 * PER_THREAD, 0));
        assert_eq!(read_lines(&path).len() as u64, 4 * PER_THREAD);
    }
}

/// Set when this binary runs [`fork_and_exit_while_lingering`]'s scenario.
const SCENARIO: &str = "LINGER_SCENARIO";
/// The scenario's log file.
const LOG: &str = "LINGER_LOG";

/// A process forks while its writer lingers (for a minute); the child
/// logs through the inherited logger (its own writer, lingering in turn),
/// sees its records written without a flush, logs once more and calls
/// `process::exit` while its writer lingers; then the parent does the
/// same. The exit hooks write the last records: each of the six appears
/// in the file exactly once.
#[test]
fn fork_and_exit_while_lingering() {
    if std::env::var_os(SCENARIO).is_some() {
        fork_and_exit_scenario();
    }
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("fork_and_exit_while_lingering") {
        let path = dir.path().join(format!("fork-{backend:?}.log"));
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "fork_and_exit_while_lingering", "--nocapture"])
            .env(SCENARIO, format!("{backend:?}"))
            .env(LOG, &path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{backend:?}: {err}");
        let mut seqs: Vec<u64> = read_lines(&path)
            .iter()
            .filter_map(|l| field(l, "seq="))
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (0..6).collect::<Vec<_>>(), "{backend:?}");
    }
}

/// Waits until the writer has taken a lingering sleep after now.
fn until_lingering(logger: &Logger, who: &str) {
    let lingered = logger.writer_linger_sleeps();
    wait_for(&format!("{who}: never lingered"), || {
        logger.writer_linger_sleeps() > lingered
    });
}

fn fork_and_exit_scenario() -> ! {
    let backend = match std::env::var(SCENARIO).unwrap().as_str() {
        "IoUring" => Backend::IoUring,
        _ => Backend::Pwrite,
    };
    let path = std::env::var(LOG).unwrap();
    let (logger, guard) = lingering_file_logger(Path::new(&path), backend, MAX_LINGER_US);
    uringlog::info!(logger, "parent seq=0");
    wait_for("parent: seq=0 never written", || {
        logger.stats().written == 1
    });
    until_lingering(&logger, "parent");
    // SAFETY: fork has no preconditions; the child only logs and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let checked = std::panic::catch_unwind(|| {
            for seq in 1..4 {
                uringlog::info!(logger, "child seq={seq}");
            }
            wait_for("child: records never written", || {
                logger.stats().written == 3
            });
            until_lingering(&logger, "child");
        });
        if checked.is_err() {
            // SAFETY: ends the child at once; the parent sees the status.
            unsafe { libc::_exit(3) };
        }
        uringlog::info!(logger, "child seq=4");
        std::process::exit(0);
    }
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer; `pid` is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child's checks failed");
    until_lingering(&logger, "parent after the fork");
    uringlog::info!(logger, "parent seq=5");
    std::mem::forget(guard);
    std::process::exit(0);
}

/// A reopen signal while the writer lingers (for a minute, never
/// registered: the handler's notify finds no waiter) is acted on within a
/// step: after a rename the file reappears with no record, flush or
/// timeout, and each record goes to the file of its rotation.
#[test]
fn a_reopen_signal_while_lingering_is_acted_on() {
    const ROTATIONS: u64 = 5;
    let dir = tempfile::tempdir().unwrap();
    for backend in backends("a_reopen_signal_while_lingering_is_acted_on") {
        let path = dir.path().join(format!("sig-{backend:?}.log"));
        let (logger, guard) = Logger::builder()
            .sink(FileSink::new(&path).unwrap())
            .backend(backend)
            .linger_us(MAX_LINGER_US)
            .reopen_on_signal(libc::SIGUSR1)
            .build()
            .unwrap();
        for r in 0..ROTATIONS {
            uringlog::info!(logger, "seq={r}");
            wait_for("a record never written", || logger.stats().written == r + 1);
            until_lingering(&logger, "before the signal");
            let rotated = path.with_extension(format!("log.{r}"));
            std::fs::rename(&path, &rotated).unwrap();
            // SAFETY: raising a signal whose handler the logger installed.
            assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
            wait_for(
                &format!("{backend:?}: rotation {r}: the signal was never acted on"),
                || path.exists(),
            );
            assert_eq!(read_lines(&rotated).len(), 1);
        }
        assert_eq!(logger.writer_wake_counts(), (0, 0), "{backend:?}");
        drop(logger);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.written, s.dropped, s.errors), (ROTATIONS, 0, 0));
        assert!(read_lines(&path).is_empty());
    }
}
