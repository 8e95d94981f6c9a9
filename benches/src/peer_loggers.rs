//! The loggers of the peer comparison, each behind the [`Peer`] trait and
//! used the way its documentation shows, plus uringlog itself.
//!
//! Every logger gets the same message and, where its API has one, the same
//! target ([`TARGET`]): `target:` for `tracing` and the `log` facade, the
//! logger's name for spdlog-rs. slog has no per-record target (its
//! `FullFormat` prints none).

use crate::config::{EngineConfig, Route};
use crate::workload::TARGET;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{mpsc, Mutex, OnceLock};

/// Calls the logging macro `$m` (with leading arguments `$pre`, such as
/// the logger) with the workload's format string and arguments, so every
/// logger formats exactly the same message.
macro_rules! request {
    ($($m:ident)::+ ($($pre:tt)*), $id:expr, $user:expr, $path:expr, $status:expr) => {
        $($m)::+!($($pre)* "request id={} user={} path={} status={}", $id, $user, $path, $status)
    };
}

/// One logger under test. `log` goes through the logger's ordinary macro.
pub trait Peer: Sized {
    /// `true` when every `open` builds a new logger writing to the given file;
    /// `false` for loggers installed once per process, which keep writing to
    /// the file given to the first `open`.
    const PER_INSTANCE: bool;
    /// Logs the workload line with these arguments.
    fn log(&self, id: u64, user: &str, path: &str, status: u32);
    /// Returns once every line logged so far is in the file.
    fn finish(self) -> Result<(), String>;
}

/// A writer that forwards to `inner` and signals when it is dropped, i.e.
/// when the non-blocking worker thread has flushed and exited.
struct SignalOnDrop<W: Write> {
    inner: W,
    done: mpsc::Sender<()>,
}

impl<W: Write> Write for SignalOnDrop<W> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)
    }
    #[inline]
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for SignalOnDrop<W> {
    fn drop(&mut self) {
        let _ = self.inner.flush();
        let _ = self.done.send(());
    }
}

/// `tracing::info!` through a `tracing_subscriber::fmt` subscriber whose
/// writer is `tracing_appender::non_blocking` over a never-rotating
/// `tracing_appender::rolling` file: the usage the tracing-appender docs show.
/// The subscriber is installed with `set_default` (per thread) so each phase
/// gets a fresh instance that can be shut down. `WorkerGuard::drop` only
/// waits up to 1 s for the worker, so the end of the run is taken when the
/// worker thread drops its writer.
pub struct TracingPeer<const LOSSY: bool> {
    dispatch: tracing::subscriber::DefaultGuard,
    guard: tracing_appender::non_blocking::WorkerGuard,
    done: mpsc::Receiver<()>,
}

impl<const LOSSY: bool> TracingPeer<LOSSY> {
    /// Opens the logger writing to `file`.
    pub fn open(file: &Path) -> Result<Self, String> {
        let (dir, name) = split(file)?;
        let (tx, done) = mpsc::channel();
        let writer = SignalOnDrop {
            inner: tracing_appender::rolling::never(dir, name),
            done: tx,
        };
        let (nb, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(LOSSY)
            .finish(writer);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(nb)
            .with_ansi(false)
            .finish();
        let dispatch = tracing::subscriber::set_default(subscriber);
        Ok(TracingPeer {
            dispatch,
            guard,
            done,
        })
    }
}

impl<const LOSSY: bool> Peer for TracingPeer<LOSSY> {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        request!(tracing::info(target: TARGET,), id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        drop(self.dispatch);
        drop(self.guard);
        self.done
            .recv()
            .map_err(|_| "tracing-appender worker vanished".to_string())
    }
}

/// `tracing::info!` into uringlog, installed per thread like [`TracingPeer`]:
/// `LAYER = false` keeps the `tracing_subscriber::fmt` subscriber and swaps
/// `tracing_appender::non_blocking` for `uringlog::tracing::make_writer`
/// (the one-line change); `LAYER = true` replaces the fmt layer with
/// `uringlog::tracing::layer` on a registry. The engine has its defaults
/// and a `FileSink`; shutdown writes everything.
pub struct TracingUringlogPeer<const LAYER: bool> {
    dispatch: tracing::subscriber::DefaultGuard,
    guard: uringlog::WriterGuard,
}

impl<const LAYER: bool> TracingUringlogPeer<LAYER> {
    /// Opens the logger writing to `file`.
    pub fn open(file: &Path) -> Result<Self, String> {
        use tracing_subscriber::prelude::*;
        let (logger, guard) = EngineConfig::default_with(Route::AsyncAuto).build(file)?;
        let dispatch = match LAYER {
            true => tracing::subscriber::set_default(
                tracing_subscriber::registry().with(uringlog::tracing::layer(&logger)),
            ),
            false => tracing::subscriber::set_default(
                tracing_subscriber::fmt()
                    .with_writer(uringlog::tracing::make_writer(&logger))
                    .with_ansi(false)
                    .finish(),
            ),
        };
        Ok(TracingUringlogPeer { dispatch, guard })
    }
}

impl<const LAYER: bool> Peer for TracingUringlogPeer<LAYER> {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        request!(tracing::info(target: TARGET,), id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        drop(self.dispatch);
        let stats = self
            .guard
            .shutdown(crate::throughput::SHUTDOWN_TIMEOUT)
            .map_err(|e| e.to_string())?;
        match stats.dropped {
            0 => Ok(()),
            n => Err(format!("uringlog dropped {n} records under Block")),
        }
    }
}

/// `slog::info!` through `slog_async` (`OverflowStrategy::Block`, default
/// channel size) over `slog_term::FullFormat` with a `PlainDecorator` on a
/// `BufWriter<File>` (slog-term flushes after every record, so the buffer
/// only merges the pieces of one record into one write).
pub struct SlogPeer {
    logger: slog::Logger,
    guard: slog_async::AsyncGuard,
}

impl SlogPeer {
    /// Opens the logger writing to `file`.
    pub fn open(file: &Path) -> Result<Self, String> {
        use slog::Drain;
        let f = File::create(file).map_err(|e| format!("creating {}: {e}", file.display()))?;
        let decorator = slog_term::PlainDecorator::new(BufWriter::new(f));
        let drain = slog_term::FullFormat::new(decorator).build().fuse();
        let (drain, guard) = slog_async::Async::new(drain)
            .overflow_strategy(slog_async::OverflowStrategy::Block)
            .build_with_guard();
        let logger = slog::Logger::root(drain.fuse(), slog::o!());
        Ok(SlogPeer { logger, guard })
    }
}

impl Peer for SlogPeer {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        request!(slog::info(self.logger,), id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        drop(self.logger);
        drop(self.guard); // joins the worker thread
        Ok(())
    }
}

/// `spdlog::info!` on a logger with an `AsyncPoolSink`
/// (`OverflowPolicy::Block`) around a `FileSink`. The sink gets its own
/// thread pool instead of the shared default one so that dropping the logger
/// joins the worker after it has written every queued record.
pub struct SpdlogPeer {
    logger: std::sync::Arc<spdlog::Logger>,
}

impl SpdlogPeer {
    /// Opens the logger writing to `file`.
    pub fn open(file: &Path) -> Result<Self, String> {
        use spdlog::sink::{AsyncPoolSink, FileSink, OverflowPolicy};
        let e = |e: spdlog::Error| e.to_string();
        let file_sink = FileSink::builder()
            .path(file)
            .truncate(true)
            .build_arc()
            .map_err(e)?;
        let pool = spdlog::ThreadPool::builder().build_arc().map_err(e)?;
        let sink = AsyncPoolSink::builder()
            .sink(file_sink)
            .overflow_policy(OverflowPolicy::Block)
            .thread_pool(pool)
            .build_arc()
            .map_err(e)?;
        let logger = spdlog::Logger::builder()
            .name(TARGET)
            .sink(sink)
            .build_arc()
            .map_err(e)?;
        Ok(SpdlogPeer { logger })
    }
}

impl Peer for SpdlogPeer {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        request!(spdlog::info(logger: self.logger,), id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        self.logger.flush();
        // Last reference: drops the sink and its pool, which joins the worker.
        drop(self.logger);
        Ok(())
    }
}

static GLOBAL_INIT: OnceLock<Result<(), String>> = OnceLock::new();

fn init_global_once(init: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    GLOBAL_INIT.get_or_init(init).clone()
}

/// A logger installed once per process behind the `log` facade: ftlog or
/// fast_log. Calls go through `log::info!` (which ftlog re-exports as
/// `ftlog::info!`); `log::logger().flush()` returns once the logger's thread
/// has written and flushed what was logged before.
pub struct FacadePeer;

impl FacadePeer {
    /// ftlog with its `FileAppender` as root. `BLOCK = false` keeps ftlog's
    /// default channel (100 000, drops when full); `BLOCK = true` uses
    /// `.bounded(100_000, true)`.
    pub fn open_ftlog<const BLOCK: bool>(file: &Path) -> Result<Self, String> {
        init_global_once(|| {
            let mut b = ftlog::builder().root(ftlog::appender::FileAppender::new(file));
            if BLOCK {
                b = b.bounded(100_000, true);
            }
            let guard = b.try_init().map_err(|e| e.to_string())?;
            // Flushes are explicit; the guard would only flush again at exit.
            std::mem::forget(guard);
            Ok(())
        })?;
        Ok(FacadePeer)
    }

    /// fast_log with a `FileAppender` and the bounded channel of its README
    /// (`chan_len(Some(100_000))`, blocks when full).
    pub fn open_fast_log(file: &Path) -> Result<Self, String> {
        init_global_once(|| {
            let path = file.to_str().ok_or("non UTF-8 path")?;
            let cfg = fast_log::Config::new().file(path).chan_len(Some(100_000));
            fast_log::init(cfg).map(|_| ()).map_err(|e| e.to_string())
        })?;
        Ok(FacadePeer)
    }
}

impl Peer for FacadePeer {
    const PER_INSTANCE: bool = false;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        request!(log::info(target: TARGET,), id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        log::logger().flush();
        Ok(())
    }
}

/// Baseline: the caller formats the line (timestamp, level, target,
/// message) into a `String`, then appends it under a
/// `Mutex<BufWriter<File>>` (the same code as section 1's baseline row).
pub struct BaselinePeer {
    out: Mutex<BufWriter<File>>,
}

impl BaselinePeer {
    /// Opens the logger writing to `file`.
    pub fn open(file: &Path) -> Result<Self, String> {
        let f = File::create(file).map_err(|e| format!("creating {}: {e}", file.display()))?;
        Ok(BaselinePeer {
            out: Mutex::new(BufWriter::new(f)),
        })
    }
}

impl Peer for BaselinePeer {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, _user: &str, path: &str, _status: u32) {
        crate::throughput::baseline_line(&self.out, id, path);
    }

    fn finish(self) -> Result<(), String> {
        let mut w = self.out.into_inner().map_err(|e| e.to_string())?;
        w.flush().map_err(|e| e.to_string())
    }
}

fn split(file: &Path) -> Result<(&Path, &std::ffi::OsStr), String> {
    match (file.parent(), file.file_name()) {
        (Some(d), Some(n)) => Ok((d, n)),
        _ => Err(format!("bad log file path {}", file.display())),
    }
}

/// uringlog through the same workload: `uringlog::info!` on a logger with
/// the engine's defaults and a `FileSink`; shutdown writes everything.
pub struct UringlogPeer {
    logger: uringlog::Logger,
    guard: uringlog::WriterGuard,
}

impl UringlogPeer {
    /// Opens a logger writing to `file` by `route`; the error is the
    /// engine's own (`BuildError`) text.
    pub fn open(file: &Path, route: Route) -> Result<Self, String> {
        let (logger, guard) = EngineConfig::default_with(route).build(file)?;
        Ok(UringlogPeer { logger, guard })
    }
}

impl Peer for UringlogPeer {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        request!(uringlog::info(self.logger, target: TARGET,), id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        let stats = self
            .guard
            .shutdown(crate::throughput::SHUTDOWN_TIMEOUT)
            .map_err(|e| e.to_string())?;
        match stats.dropped {
            0 => Ok(()),
            n => Err(format!("uringlog dropped {n} records under Block")),
        }
    }
}

/// uringlog in crash-safe mode (`Builder::crash_safe`): each ring is a
/// mapped file in a directory beside the log, the macros' records are
/// deferred (each call site in the directory's call-site table once), the
/// writer commits after every completed batch; otherwise the engine's
/// defaults.
pub struct UringlogCrashSafePeer(UringlogPeer, std::path::PathBuf);

impl UringlogCrashSafePeer {
    /// Opens the logger writing to `file`, its rings in `<file>.crash-safe/`.
    pub fn open(file: &Path) -> Result<Self, String> {
        let dir = file.with_extension("crash-safe");
        let sink = uringlog_sinks::FileSink::new(file).map_err(|e| e.to_string())?;
        let (logger, guard) = uringlog::Logger::builder()
            .sink(sink)
            .level(uringlog::Level::Info)
            .crash_safe(&dir)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(UringlogCrashSafePeer(UringlogPeer { logger, guard }, dir))
    }
}

impl Peer for UringlogCrashSafePeer {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        self.0.log(id, user, path, status);
    }

    fn finish(self) -> Result<(), String> {
        let r = self.0.finish();
        let _ = std::fs::remove_dir_all(&self.1);
        r
    }
}

/// uringlog with the caller formatting every message: `Logger::log` with
/// `format_args!`, the path every call took before deferred records (the
/// "pre-formatted" row beside the deferred default).
pub struct UringlogPreformattedPeer(UringlogPeer);

impl UringlogPreformattedPeer {
    /// As [`UringlogPeer::open`].
    pub fn open(file: &Path, route: Route) -> Result<Self, String> {
        UringlogPeer::open(file, route).map(UringlogPreformattedPeer)
    }
}

impl Peer for UringlogPreformattedPeer {
    const PER_INSTANCE: bool = true;

    #[inline]
    fn log(&self, id: u64, user: &str, path: &str, status: u32) {
        self.0.logger.log(
            uringlog::Level::Info,
            TARGET,
            format_args!("request id={id} user={user} path={path} status={status}"),
        );
    }

    fn finish(self) -> Result<(), String> {
        self.0.finish()
    }
}
