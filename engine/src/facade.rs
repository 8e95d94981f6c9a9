//! The `log` crate facade: `log::info!` and friends through a uringlog logger.
//!
//! The one piece of global state, and it is opt-in:
//! [`Builder::init_global`] installs the logger process-wide, and
//! [`logger()`] hands it out afterwards. Key-values
//! (`log::info!(user = "alice"; "login")`) become structured fields:
//! numbers and booleans in binary, strings copied, anything else formatted
//! with `Display` by the caller. The filter (default level and target
//! directives) decides per record, cached per `&'static` target; changing
//! it ([`Logger::set_level`]) updates `log::max_level()`.

use crate::builder::Builder;
use crate::error::BuildError;
use crate::field::{begin_payload, push_key, FieldWriter};
use crate::level::Level;
use crate::logger::Logger;

use crate::record::RecordKind;
use crate::shared::Shared;
use crate::shutdown::WriterGuard;
use log::kv::{self, VisitSource, VisitValue};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// The logger installed by [`Builder::init_global`].
static GLOBAL: OnceLock<Logger> = OnceLock::new();

/// The global logger installed by [`Builder::init_global`], for the
/// structured macros without passing a handle around:
///
/// ```
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (_logger, guard) = uringlog::Logger::builder()
///     .sink(uringlog::MemorySink::new().0)
///     .init_global()?;
/// uringlog::info!(uringlog::logger(), user = "alice"; "login");
/// log::info!(user = "alice"; "login"); // the same record through `log`
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// # Ok(()) }
/// ```
///
/// Before `init_global` it returns a logger that accepts nothing: its
/// calls are filtered out (not counted) and `flush` reports
/// [`FlushError::ShutDown`](crate::FlushError::ShutDown), as `log` does
/// with records logged before a logger is set.
pub fn logger() -> &'static Logger {
    static OFF: OnceLock<Logger> = OnceLock::new();
    GLOBAL.get().unwrap_or_else(|| OFF.get_or_init(off_logger))
}

/// A logger that accepts nothing and has no writer.
fn off_logger() -> Logger {
    let shared = Shared::without_writer(Level::Off, crate::fork::Lineage::empty());
    Logger::from_shared(Arc::new(shared), None).uncounted()
}

/// Adapts a [`Logger`] to `log::Log`.
struct Facade {
    logger: Logger,
    /// Keeps the reopen signal's handler for the process's life, as
    /// `logger` (and `GLOBAL`) lives (see `lifecycle`).
    _signal: Option<Arc<crate::signal::Hold>>,
}

impl log::Log for Facade {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.logger
            .enabled_for(metadata.level().into(), metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        let level: Level = record.level().into();
        let target = record.target();
        let shared = &self.logger.shared;
        // `log!` without `target:` passes `module_path!()`, static memory:
        // its decision is cached per thread by address.
        let enabled = match record.module_path_static() {
            Some(m) if std::ptr::eq(m, target) => shared.enabled_static(level, m),
            _ => shared.enabled_for(level, target),
        };
        if !enabled {
            return;
        }
        let at = record.file().zip(record.line());
        let kvs = record.key_values();
        if kvs.count() == 0 {
            self.logger.log_located(level, target, at, *record.args());
            return;
        }
        self.logger
            .log_encoded(RecordKind::Fields, level, target, at, |out, cap| {
                begin_payload(out, *record.args(), cap);
                let _ = kvs.visit(&mut Pairs(out, cap));
            });
    }

    fn flush(&self) {
        let _ = self.logger.flush();
    }
}

/// Encodes each key-value pair as a field, up to `.1` bytes of payload.
struct Pairs<'a>(&'a mut Vec<u8>, usize);

impl<'kvs> VisitSource<'kvs> for Pairs<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        let mut w = Some(push_key(self.0, key.as_str(), self.1));
        let _ = value.visit(OneValue(&mut w));
        // A value the visitor did not take is written as null by the drop.
        Ok(())
    }
}

/// Writes one value with the writer it holds (taken on the first call).
struct OneValue<'w, 'a>(&'w mut Option<FieldWriter<'a>>);

impl OneValue<'_, '_> {
    fn with(&mut self, f: impl FnOnce(FieldWriter<'_>)) -> Result<(), kv::Error> {
        if let Some(w) = self.0.take() {
            f(w);
        }
        Ok(())
    }
}

impl<'v> VisitValue<'v> for OneValue<'_, '_> {
    fn visit_any(&mut self, value: kv::Value<'_>) -> Result<(), kv::Error> {
        self.with(|w| w.display(&value))
    }
    fn visit_null(&mut self) -> Result<(), kv::Error> {
        self.with(|w| w.null())
    }
    fn visit_u64(&mut self, v: u64) -> Result<(), kv::Error> {
        self.with(|w| w.u64(v))
    }
    fn visit_i64(&mut self, v: i64) -> Result<(), kv::Error> {
        self.with(|w| w.i64(v))
    }
    fn visit_u128(&mut self, v: u128) -> Result<(), kv::Error> {
        self.with(|w| match u64::try_from(v) {
            Ok(v) => w.u64(v),
            Err(_) => w.display(&v),
        })
    }
    fn visit_i128(&mut self, v: i128) -> Result<(), kv::Error> {
        self.with(|w| match i64::try_from(v) {
            Ok(v) => w.i64(v),
            Err(_) => w.display(&v),
        })
    }
    fn visit_f64(&mut self, v: f64) -> Result<(), kv::Error> {
        self.with(|w| w.f64(v))
    }
    fn visit_bool(&mut self, v: bool) -> Result<(), kv::Error> {
        self.with(|w| w.bool(v))
    }
    fn visit_str(&mut self, v: &str) -> Result<(), kv::Error> {
        self.with(|w| w.str(v))
    }
    fn visit_char(&mut self, v: char) -> Result<(), kv::Error> {
        self.with(|w| w.str(v.encode_utf8(&mut [0; 4])))
    }
}

impl Builder {
    /// Builds the logger and installs it behind the `log` facade, so
    /// `log::info!(..)` reaches it (target and key-values preserved, the
    /// filter mapped to `log::max_level()`) and [`logger()`] returns it.
    /// Returns the guard and a handle for stats and flushing.
    ///
    /// The facade's own handle does not keep the writer running: keep the
    /// guard or the returned handle for as long as the program logs
    /// (`let (_logger, _guard) = …init_global()?;` in `main`). When both
    /// are gone the writer drains and stops, and later calls are counted
    /// dropped.
    ///
    /// Fails with [`BuildError::GlobalAlreadySet`] if a `log` logger is
    /// already installed; the new logger is then shut down unused.
    ///
    /// ```
    /// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
    ///
    /// let (sink, out) = MemorySink::new();
    /// let (logger, guard) = Logger::builder()
    ///     .sink(sink)
    ///     .level(Level::Info)
    ///     .format(Format::text().timestamp(Timestamp::Off))
    ///     .init_global()?;
    /// log::info!(target: "svc", user = "alice"; "login");
    /// log::debug!("below the level: not even formatted");
    /// uringlog::warn!(uringlog::logger(), target: "svc", "through the macros too");
    /// logger.flush()?;
    /// assert_eq!(out.text(), "INFO  svc: \"login\" user=alice\nWARN  svc: through the macros too\n");
    /// guard.shutdown(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn init_global(self) -> Result<(Logger, WriterGuard), BuildError> {
        let (logger, guard) = self.build()?;
        let facade = Facade {
            logger: logger.uncounted(),
            _signal: logger.shared.lifecycle.signal_hold(),
        };
        log::set_boxed_logger(Box::new(facade)).map_err(|_| BuildError::GlobalAlreadySet)?;
        let _ = GLOBAL.set(logger.uncounted());
        let sh = &logger.shared;
        sh.front_ends.log_global.store(true, Ordering::Relaxed);
        sh.front_ends.filter_changed(sh);
        Ok((logger, guard))
    }
}
