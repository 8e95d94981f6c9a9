//! Severity levels, their text form and their names in filters.

use std::fmt;
use std::str::FromStr;

/// The severity of a record, lowest first; `Off` only as a minimum level.
///
/// A logger configured with `.level(Level::Info)` accepts `Info`, `Warn` and
/// `Error` and rejects `Trace` and `Debug` with one relaxed atomic load.
/// `.level(Level::Off)` accepts nothing; a record logged *at* `Off` is
/// never accepted.
///
/// Parsed case-insensitively from `trace`, `debug`, `info`, `warn`,
/// `error` and `off` (the names of `RUST_LOG` directives):
///
/// ```
/// use uringlog::Level;
/// assert_eq!("Debug".parse::<Level>(), Ok(Level::Debug));
/// assert_eq!("off".parse::<Level>(), Ok(Level::Off));
/// assert_eq!("loud".parse::<Level>().unwrap_err().to_string(),
///            "unknown level \"loud\": expected trace, debug, info, warn, error or off");
/// ```
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
    /// As a minimum level: nothing is accepted. Never the level of a record.
    Off = 5,
}

impl Level {
    /// Every level a record can have, lowest first (`Off` is not one).
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
            Level::Off => "OFF",
        }
    }

    /// Decodes the byte a record header stores (never `Off`); `None` for
    /// anything else.
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

impl Level {
    /// Decodes a stored minimum level (`Off` included); `None` for anything else.
    pub(crate) const fn from_u8_threshold(v: u8) -> Option<Level> {
        match v {
            5 => Some(Level::Off),
            _ => Level::from_u8(v),
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
            Level::Off => log::LevelFilter::Off,
        }
    }
}

/// Why a string is not a level name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLevelError {
    given: String,
}

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level {:?}: expected trace, debug, info, warn, error or off",
            self.given
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        Level::ALL
            .into_iter()
            .chain([Level::Off])
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseLevelError {
                given: s.to_owned(),
            })
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
        assert_eq!(Level::from_u8(Level::Off as u8), None);
    }

    #[test]
    fn names_parse_in_any_case_and_off_is_the_highest() {
        for l in Level::ALL {
            assert_eq!(l.as_str().to_lowercase().parse::<Level>(), Ok(l));
            assert!(l < Level::Off);
        }
        assert_eq!("OFF".parse::<Level>(), Ok(Level::Off));
        assert_eq!("Warn".parse::<Level>(), Ok(Level::Warn));
        assert!("warning".parse::<Level>().is_err());
        assert!("".parse::<Level>().is_err());
    }
}
