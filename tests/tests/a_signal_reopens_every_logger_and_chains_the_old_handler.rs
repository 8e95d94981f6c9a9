//! `reopen_on_signal(SIGHUP)`: after a rename-style rotation, raising the
//! signal in-process makes both loggers that asked for it reopen their
//! paths; the handler installed before them still runs; once both loggers
//! are gone, that handler is the signal's disposition again.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uringlog::{Logger, Mode};
use uringlog_sinks::FileSink;
use uringlog_tests::SHUTDOWN;

/// Far beyond the writer's longest sleep: only a broken reopen reaches it.
const DEADLINE: Duration = Duration::from_secs(60);

static EARLIER_HANDLER_RAN: AtomicU64 = AtomicU64::new(0);

extern "C" fn earlier_handler(_: libc::c_int) {
    EARLIER_HANDLER_RAN.fetch_add(1, Ordering::Relaxed);
}

fn disposition() -> usize {
    // SAFETY: an all-zero sigaction is valid to fill in; querying only.
    let mut a: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `a` is a valid, writable sigaction.
    let r = unsafe { libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut a) };
    assert_eq!(r, 0);
    a.sa_sigaction
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn a_signal_reopens_every_logger_and_chains_the_old_handler() {
    let earlier = earlier_handler as *const () as usize;
    // SAFETY: installs a handler that only touches an atomic.
    unsafe { libc::signal(libc::SIGHUP, earlier) };
    let dir = tempfile::tempdir().unwrap();
    let paths = [dir.path().join("a.log"), dir.path().join("b.log")];
    let loggers: Vec<_> = paths
        .iter()
        .zip([Mode::Async, Mode::Sync])
        .map(|(p, mode)| {
            Logger::builder()
                .sink(FileSink::new(p).unwrap())
                .mode(mode)
                .reopen_on_signal(libc::SIGHUP)
                .build()
                .unwrap()
        })
        .collect();
    assert_ne!(disposition(), earlier, "the loggers' handler is installed");
    for (logger, _) in &loggers {
        uringlog::info!(logger, "before the rotation");
        logger.flush().unwrap();
    }
    for p in &paths {
        std::fs::rename(p, p.with_extension("log.1")).unwrap();
    }
    // SAFETY: raising a signal whose handler is installed.
    assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
    assert_eq!(EARLIER_HANDLER_RAN.load(Ordering::Relaxed), 1, "chained");

    let start = Instant::now();
    for ((logger, _), p) in loggers.iter().zip(&paths) {
        let mut seq = 0;
        while lines(p).is_empty() {
            assert!(start.elapsed() < DEADLINE, "{} never reopened", p.display());
            uringlog::info!(logger, "after seq={seq}");
            seq += 1;
            logger.flush().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        let old = lines(&p.with_extension("log.1"));
        assert!(old[0].ends_with("before the rotation"), "{old:?}");
        // Every line is in one file or the other; the new one has the last.
        assert_eq!(old.len() - 1 + lines(p).len(), seq, "{}", p.display());
        assert!(lines(p)
            .last()
            .unwrap()
            .ends_with(&format!("seq={}", seq - 1)));
    }
    for (logger, guard) in loggers {
        drop(logger);
        let s = guard.shutdown(SHUTDOWN).unwrap();
        assert_eq!((s.dropped, s.errors), (0, 0));
    }
    assert_eq!(disposition(), earlier, "the earlier handler is back");
}
