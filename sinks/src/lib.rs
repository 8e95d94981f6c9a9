//! Destinations for uringlog loggers.
//!
//! A sink says where bytes go; the engine does the writing (see
//! [`uringlog::Sink`]).
//!
//! ```
//! use std::time::Duration;
//! use uringlog::Logger;
//! use uringlog_sinks::FileSink;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("app.log");
//! let (logger, guard) = Logger::builder().sink(FileSink::new(&path)?).build()?;
//! uringlog::info!(logger, "started");
//! guard.shutdown(Duration::from_secs(5))?;
//! assert!(std::fs::read_to_string(&path)?.ends_with("started\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod file;

pub use file::{FileSink, OpenError, DIRECT_IO_ALIGN};
