//! A deferred sink's `settle` is user code that runs while `flush_sync`
//! waits for it. When it logs and calls `flush_sync` itself (on the
//! writer thread, or in sync mode inside the caller's sync), that inner
//! call returns `OnWriterThread` at once and the outer one returns once
//! the sink settled; when it panics, the waiting `flush_sync` (or
//! `flush`) returns `ShutDown` (never hangs, never `Ok`: nothing was
//! settled or synced) and the books balance after shutdown. Async and
//! sync mode.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use uringlog::{FlushError, Format, Logger, Mode, Settled, ShutdownError, Sink, Timestamp};
use uringlog_tests::holding::{write_all, Held, Holding};
use uringlog_tests::SHUTDOWN;

#[derive(Default)]
struct Seen {
    settled: Vec<String>,
    inner: Vec<Result<(), FlushError>>,
}

/// A logger whose one sink is `sink`, made with the logger it logs to
/// (set once built) and what it saw.
fn build<S: Sink + 'static>(
    mode: Mode,
    sink: impl FnOnce(Arc<OnceLock<Logger>>, Arc<Mutex<Seen>>) -> S,
) -> (Logger, uringlog::WriterGuard, Arc<Mutex<Seen>>) {
    let cell = Arc::new(OnceLock::new());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (logger, guard) = Logger::builder()
        .sink(sink(cell.clone(), seen.clone()))
        .mode(mode)
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .build()
        .unwrap();
    cell.set(logger.clone()).ok().unwrap();
    (logger, guard, seen)
}

/// Logs a record and calls `flush_sync` and `flush_sync_timeout` from
/// `settle`, then settles what it holds.
fn log_and_sync(
    cell: Arc<OnceLock<Logger>>,
    seen: Arc<Mutex<Seen>>,
) -> impl FnMut(&mut Held, &mut Settled) + Send {
    // A record logged here in sync mode is counted dropped, not written
    // through `settle` again; `inside` keeps async mode's alike.
    let mut inside = false;
    move |held, done| {
        if !inside {
            inside = true;
            let logger = cell.get().expect("set after build");
            uringlog::info!(logger, "from settle");
            let r = [
                logger.flush_sync(),
                logger.flush_sync_timeout(Duration::from_secs(60)),
            ];
            seen.lock().unwrap().inner.extend(r);
            inside = false;
        }
        let mut seen = seen.lock().unwrap();
        seen.settled
            .extend(held.iter().map(|(_, text)| text.clone()));
        write_all(held, done);
    }
}

#[test]
fn a_settle_that_logs_and_syncs_is_answered_at_once_and_the_outer_sync_returns() {
    for mode in [Mode::Async, Mode::Sync] {
        let (logger, guard, seen) = build(mode, |cell, seen| {
            Holding::new("settler", Duration::from_secs(30), log_and_sync(cell, seen))
        });
        for i in 0..5 {
            uringlog::info!(logger, "n={}", i);
        }
        logger
            .flush_sync()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let s = guard.shutdown(SHUTDOWN).unwrap();
        let seen = seen.lock().unwrap();
        assert!(!seen.inner.is_empty(), "{mode:?}: settle ran");
        for r in &seen.inner {
            assert_eq!(r, &Err(FlushError::OnWriterThread), "{mode:?}");
        }
        let settled: Vec<&str> = seen.settled.iter().map(String::as_str).collect();
        let logged: Vec<String> = (0..5).map(|i| format!("INFO  n={i}")).collect();
        assert_eq!(settled[..5], logged, "{mode:?}");
        // Records logged from `settle`: written (through the sink, at a
        // later turn) or counted dropped.
        let from_settle = (settled[5..].iter())
            .filter(|l| **l == "INFO  from settle")
            .count() as u64;
        assert_eq!(
            from_settle as usize,
            settled.len() - 5,
            "{mode:?}: {settled:?}"
        );
        assert_eq!(s.written, 5 + from_settle, "{mode:?}");
        assert_eq!(s.written + s.dropped, s.enqueued, "{mode:?}: {s:?}");
    }
}

/// `Logger::flush` or `Logger::flush_sync`.
type Call = fn(&Logger) -> Result<(), FlushError>;

#[test]
fn a_settle_that_panics_while_flush_sync_waits_leaves_no_caller_hanging() {
    let calls: [(&str, Call); 2] = [("flush", Logger::flush), ("flush_sync", Logger::flush_sync)];
    for (mode, (name, call)) in [Mode::Async, Mode::Sync]
        .into_iter()
        .flat_map(|m| calls.map(|c| (m, c)))
    {
        let mode_call = format!("{mode:?} {name}");
        // Holds what it takes until armed, then panics at its next turn:
        // in sync mode, the one the call gives it.
        let armed = Arc::new(AtomicBool::new(false));
        let trigger = armed.clone();
        let (logger, guard, seen) = build(mode, |_, _| {
            Holding::new(
                "settler",
                Duration::from_secs(30),
                move |_: &mut Held, _: &mut Settled| {
                    assert!(!trigger.load(Ordering::SeqCst), "settle exploded");
                },
            )
        });
        for i in 0..5 {
            uringlog::info!(logger, "n={}", i);
        }
        armed.store(true, Ordering::SeqCst);
        // The sink's panic ends the logger, in sync mode as the writer
        // thread's end does in async mode: nothing was settled or synced.
        assert_eq!(call(&logger), Err(FlushError::ShutDown), "{mode_call}");
        assert_eq!(logger.flush_sync(), Err(FlushError::ShutDown), "{mode:?}");
        uringlog::info!(logger, "after the panic");
        let s = match guard.shutdown(SHUTDOWN) {
            Err(ShutdownError::WriterPanicked { stats }) => stats,
            other => panic!("{mode:?}: {other:?}"),
        };
        assert!(seen.lock().unwrap().settled.is_empty(), "{mode:?}");
        assert_eq!((s.enqueued, s.written, s.dropped), (6, 0, 6), "{mode:?}");
    }
}
