//! The `log` crate facade: `log::info!` and friends through a uringlog logger.
//!
//! The one piece of global state, and it is opt-in:
//! [`Builder::init_global`] installs the logger process-wide.

use crate::builder::Builder;
use crate::error::BuildError;
use crate::level::Level;
use crate::logger::Logger;
use crate::shutdown::WriterGuard;

/// Adapts a [`Logger`] to `log::Log`.
struct Facade {
    logger: Logger,
}

impl log::Log for Facade {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.logger.enabled(metadata.level().into())
    }

    fn log(&self, record: &log::Record<'_>) {
        let level: Level = record.level().into();
        if self.logger.enabled(level) {
            self.logger.log(level, record.target(), *record.args());
        }
    }

    fn flush(&self) {
        let _ = self.logger.flush();
    }
}

impl Builder {
    /// Builds the logger and installs it behind the `log` facade, so
    /// `log::info!(..)` reaches it (target preserved, level filter mapped).
    /// Returns the guard and a handle for stats and flushing.
    ///
    /// Fails with [`BuildError::GlobalAlreadySet`] if a `log` logger is
    /// already installed; the new logger is then shut down unused.
    pub fn init_global(self) -> Result<(Logger, WriterGuard), BuildError> {
        let (logger, guard) = self.build()?;
        let facade = Facade {
            logger: logger.clone(),
        };
        log::set_boxed_logger(Box::new(facade)).map_err(|_| BuildError::GlobalAlreadySet)?;
        log::set_max_level(logger.level().into());
        Ok((logger, guard))
    }
}
