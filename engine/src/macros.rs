//! `trace!` … `error!`: check the level, then log through a `Logger` or `Producer`.
//!
//! The arguments are evaluated only when the level is enabled. The target
//! defaults to `module_path!()`; `target: "name",` overrides it.

/// Logs at an explicit level: `uringlog::log!(logger, Level::Warn, "x={}", x)`.
#[macro_export]
macro_rules! log {
    ($logger:expr, $level:expr, target: $target:expr, $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        if $logger.enabled(level) {
            $logger.log(level, $target, ::core::format_args!($($arg)+));
        }
    }};
    ($logger:expr, $level:expr, $($arg:tt)+) => {
        $crate::log!($logger, $level, target: ::core::module_path!(), $($arg)+)
    };
}

/// Logs at `Trace`.
#[macro_export]
macro_rules! trace {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Trace, $($arg)+) };
}

/// Logs at `Debug`.
#[macro_export]
macro_rules! debug {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Debug, $($arg)+) };
}

/// Logs at `Info`.
#[macro_export]
macro_rules! info {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Info, $($arg)+) };
}

/// Logs at `Warn`.
#[macro_export]
macro_rules! warn {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Warn, $($arg)+) };
}

/// Logs at `Error`.
#[macro_export]
macro_rules! error {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Error, $($arg)+) };
}
