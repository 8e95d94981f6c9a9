//! Severity levels and their text form.

use std::fmt;

/// The severity of a record, lowest first.
///
/// A logger configured with `.level(Level::Info)` accepts `Info`, `Warn` and
/// `Error` and rejects `Trace` and `Debug` with one relaxed atomic load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Very detailed diagnostics.
    Trace = 0,
    /// Diagnostics for developers.
    Debug = 1,
    /// Normal operation.
    Info = 2,
    /// Something unexpected that the service survived.
    Warn = 3,
    /// A failure.
    Error = 4,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 5] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ];

    /// The level's upper-case name, e.g. `"INFO"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    /// Decodes the byte a record header stores; `None` for anything else.
    pub(crate) const fn from_u8(v: u8) -> Option<Level> {
        match v {
            0 => Some(Level::Trace),
            1 => Some(Level::Debug),
            2 => Some(Level::Info),
            3 => Some(Level::Warn),
            4 => Some(Level::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl From<log::Level> for Level {
    fn from(l: log::Level) -> Level {
        match l {
            log::Level::Trace => Level::Trace,
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        }
    }
}

impl From<Level> for log::LevelFilter {
    fn from(l: Level) -> log::LevelFilter {
        match l {
            Level::Trace => log::LevelFilter::Trace,
            Level::Debug => log::LevelFilter::Debug,
            Level::Info => log::LevelFilter::Info,
            Level::Warn => log::LevelFilter::Warn,
            Level::Error => log::LevelFilter::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_through_their_byte() {
        for l in Level::ALL {
            assert_eq!(Level::from_u8(l as u8), Some(l));
        }
        assert_eq!(Level::from_u8(5), None);
    }
}
