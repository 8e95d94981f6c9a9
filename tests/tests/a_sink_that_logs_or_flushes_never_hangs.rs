//! A sink runs on the writer thread. When it (or a library it calls through
//! the `log` facade or `tracing`) logs, its records are written or counted — never a
//! loop of one-record batches, never a deadlock on a full ring — and a
//! flush or shutdown called from inside it returns an error at once.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use uringlog::{FlushError, Logger, Policy, ShutdownError, Sink, Target, WriterGuard};
use uringlog_tests::SHUTDOWN;

/// What the sink does on each write, besides keeping the lines.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    /// Logs `n` records through the logger.
    Log(u32),
    /// Logs one record through the `log` facade.
    Facade,
    /// Logs one `tracing` event (the global subscriber is the logger's layer).
    Tracing,
    /// Calls `flush`, `flush_timeout` and `flush_sync`.
    Flush,
    /// Shuts the logger down with the guard it was given.
    Shutdown,
}

#[derive(Default)]
struct Seen {
    lines: Vec<String>,
    flushes: Vec<Result<(), FlushError>>,
    shutdown: Option<Result<uringlog::Stats, ShutdownError>>,
}

struct Reentrant {
    act: Act,
    logger: Arc<OnceLock<Logger>>,
    guard: Arc<Mutex<Option<WriterGuard>>>,
    seen: Arc<Mutex<Seen>>,
}

impl Sink for Reentrant {
    fn describe(&self) -> String {
        "re-entrant".to_owned()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(batch);
        let n = text.lines().count();
        self.seen
            .lock()
            .unwrap()
            .lines
            .extend(text.lines().map(str::to_owned));
        let logger = self.logger.get().expect("set after build");
        match self.act {
            Act::Log(k) => {
                for i in 0..k {
                    uringlog::info!(logger, "sink wrote {n} lines ({i})");
                }
            }
            Act::Facade => log::info!("facade: sink wrote {n} lines"),
            Act::Tracing => tracing::info!(n, "tracing: sink wrote"),
            Act::Flush => {
                let r = [
                    logger.flush(),
                    logger.flush_timeout(Duration::from_secs(60)),
                    logger.flush_sync(),
                ];
                self.seen.lock().unwrap().flushes.extend(r);
            }
            Act::Shutdown => {
                if let Some(g) = self.guard.lock().unwrap().take() {
                    self.seen.lock().unwrap().shutdown = Some(g.shutdown(SHUTDOWN));
                }
            }
        }
        Ok(())
    }
}

struct Rig {
    logger: Logger,
    guard: Arc<Mutex<Option<WriterGuard>>>,
    seen: Arc<Mutex<Seen>>,
}

fn rig(act: Act, ring: usize, global: bool) -> Rig {
    let cell = Arc::new(OnceLock::new());
    let guard = Arc::new(Mutex::new(None));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let builder = Logger::builder()
        .sink(Reentrant {
            act,
            logger: cell.clone(),
            guard: guard.clone(),
            seen: seen.clone(),
        })
        .policy(Policy::Block)
        .ring_capacity(ring)
        .batch_size(16);
    let (logger, g) = if global {
        builder.init_global().unwrap()
    } else {
        builder.build().unwrap()
    };
    cell.set(logger.clone()).unwrap();
    *guard.lock().unwrap() = Some(g);
    Rig {
        logger,
        guard,
        seen,
    }
}

impl Rig {
    fn shutdown(&self) -> uringlog::Stats {
        let g = self.guard.lock().unwrap().take().unwrap();
        g.shutdown(SHUTDOWN).unwrap()
    }
}

/// Logs `n` records, flushes, lets the writer idle, and returns how many
/// batches the idle time added.
fn log_then_idle(r: &Rig, n: u32) -> u64 {
    for i in 0..n {
        uringlog::info!(r.logger, "main {i}");
    }
    r.logger.flush().unwrap();
    let before = r.logger.stats().batches;
    std::thread::sleep(Duration::from_millis(200));
    r.logger.stats().batches - before
}

#[test]
fn a_sink_that_logs_gets_its_records_written_without_a_feedback_loop() {
    let r = rig(Act::Log(1), 64 * 1024, false);
    let idle_batches = log_then_idle(&r, 500);
    assert!(idle_batches <= 1, "{idle_batches} batches while idle");
    let s = r.shutdown();
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    let seen = r.seen.lock().unwrap();
    let main = seen.lines.iter().filter(|l| l.contains("main ")).count();
    let own = seen
        .lines
        .iter()
        .filter(|l| l.contains("sink wrote"))
        .count();
    assert_eq!(main, 500);
    assert!(own >= 1, "the sink's own records are written");
    assert_eq!(s.written, (main + own) as u64);
}

#[test]
fn a_sink_that_floods_its_own_full_ring_under_block_does_not_deadlock() {
    // Each write logs 50 records of ~40 bytes into a 1 KiB ring.
    let r = rig(Act::Log(50), 1024, false);
    log_then_idle(&r, 300);
    let s = r.shutdown();
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    assert!(
        s.dropped > 0,
        "the writer's own full ring counts records dropped"
    );
    let seen = r.seen.lock().unwrap();
    assert_eq!(
        seen.lines.iter().filter(|l| l.contains("main ")).count(),
        300
    );
}

#[test]
fn flush_from_a_sink_returns_at_once_with_an_error() {
    let r = rig(Act::Flush, 64 * 1024, false);
    uringlog::info!(r.logger, "one");
    r.logger.flush().unwrap();
    let s = r.shutdown();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
    let seen = r.seen.lock().unwrap();
    assert_eq!(seen.flushes, vec![Err(FlushError::OnWriterThread); 3]);
    assert_eq!(
        FlushError::OnWriterThread.to_string(),
        "flush called on the logger's writer thread (from a sink): it cannot wait for itself"
    );
}

#[test]
fn shutdown_from_a_sink_returns_at_once_and_the_writer_still_drains() {
    let r = rig(Act::Shutdown, 64 * 1024, false);
    uringlog::info!(r.logger, "one");
    // The writer ends by itself; flush then reports it.
    while r.logger.flush() != Err(FlushError::ShutDown) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let s = r.logger.stats();
    assert_eq!((s.enqueued, s.written, s.dropped), (1, 1, 0));
    let seen = r.seen.lock().unwrap();
    assert!(
        matches!(
            seen.shutdown,
            Some(Err(ShutdownError::OnWriterThread { .. }))
        ),
        "{:?}",
        seen.shutdown
    );
}

#[test]
fn a_library_logging_through_the_facade_from_a_sink_is_written() {
    let r = rig(Act::Facade, 64 * 1024, true);
    let idle_batches = log_then_idle(&r, 100);
    assert!(idle_batches <= 1, "{idle_batches} batches while idle");
    let s = r.shutdown();
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    let seen = r.seen.lock().unwrap();
    assert!(seen.lines.iter().any(|l| l.contains("facade: sink wrote")));
}

#[test]
fn a_library_logging_through_tracing_from_a_sink_is_written() {
    use tracing_subscriber::prelude::*;
    let r = rig(Act::Tracing, 64 * 1024, false);
    let layer = uringlog::tracing::layer(&r.logger);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).unwrap();
    let idle_batches = log_then_idle(&r, 100);
    assert!(idle_batches <= 1, "{idle_batches} batches while idle");
    let s = r.shutdown();
    assert_eq!(s.written + s.dropped, s.enqueued, "{s:?}");
    let seen = r.seen.lock().unwrap();
    let main = seen.lines.iter().filter(|l| l.contains("main ")).count();
    assert_eq!(main, 100);
    assert!(seen
        .lines
        .iter()
        .any(|l| l.contains("\"tracing: sink wrote\" n=")));
}
