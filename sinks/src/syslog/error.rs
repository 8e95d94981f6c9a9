//! `SyslogError`: why a `SyslogSink` could not be configured.

use std::fmt;
use std::io;

/// Why a [`SyslogSink`](super::SyslogSink) could not be built or configured.
#[derive(Debug)]
#[non_exhaustive]
pub enum SyslogError {
    /// The address did not resolve.
    Resolve {
        /// The address as given.
        addr: String,
        /// Why it did not resolve.
        source: io::Error,
    },
    /// The address resolved to nothing.
    NoAddress {
        /// The address as given.
        addr: String,
    },
    /// A header field or structured-data name is not allowed by RFC 5424.
    InvalidField {
        /// The option, e.g. `"app_name"`.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A numeric option is out of range.
    InvalidValue {
        /// The option, e.g. `"buffer_bytes"`.
        option: &'static str,
        /// The value given.
        value: u64,
        /// The range allowed.
        reason: String,
    },
}

impl fmt::Display for SyslogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyslogError::Resolve { addr, source } => {
                write!(f, "cannot resolve syslog address {addr:?}: {source}")
            }
            SyslogError::NoAddress { addr } => {
                write!(f, "syslog address {addr:?} resolved to no address")
            }
            SyslogError::InvalidField {
                field,
                value,
                reason,
            } => write!(f, "invalid syslog {field} {value:?}: {reason}"),
            SyslogError::InvalidValue {
                option,
                value,
                reason,
            } => write!(f, "invalid syslog {option} {value}: {reason}"),
        }
    }
}

impl std::error::Error for SyslogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SyslogError::Resolve { source, .. } => Some(source),
            _ => None,
        }
    }
}
