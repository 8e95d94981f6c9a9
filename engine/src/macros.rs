//! `trace!` … `error!` and `log!`: check the level, then log through a
//! `Logger` or a `Producer`.
//!
//! The arguments are evaluated only when the level is enabled. The target
//! defaults to `module_path!()`; `target: "name",` overrides it.
//!
//! The format string is parsed at compile time (crate `uringlog-macros`)
//! and checked exactly as `format!` checks it. Each statement gets a
//! `static` call site; integers, floats, `bool`, `char`, strings and byte
//! slices are copied into the record in binary and the writer formats the
//! message — byte for byte what `format!` gives, whatever the spec. Values
//! of other types are formatted by the caller with their spec. See
//! [`Formatting`](crate::Formatting) to make the caller format everything.
//!
//! Structured fields come before the message, separated from it by `;`:
//! `info!(logger, user = "alice", id = 42; "request {}", path)`. Each value
//! is anything implementing [`FieldValue`](crate::FieldValue) (strings,
//! numbers, `bool`, byte slices, `Option`, or [`display`](crate::display) /
//! [`debug`](crate::debug) wrappers); it is borrowed, serialized into the
//! record by the caller and rendered by each sink's format. A key is the
//! identifier's name: `r#type = "a"` is the field `type`.
//!
//! A misspelled placeholder is a compile error, as with `format!`:
//!
//! ```
//! # let (sink, _) = uringlog::MemorySink::new();
//! # let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
//! let id = 7;
//! uringlog::info!(logger, "id={id}"); // compiles
//! ```
//!
//! ```compile_fail
//! # let (sink, _) = uringlog::MemorySink::new();
//! let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
//! let id = 7;
//! uringlog::info!(logger, "id={idd}");
//! ```
//!
//! ```compile_fail
//! # let (sink, _) = uringlog::MemorySink::new();
//! let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
//! uringlog::info!(logger, "{} {}", 1);
//! ```
//!
//! ```compile_fail
//! struct NoDisplay;
//! # let (sink, _) = uringlog::MemorySink::new();
//! let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
//! uringlog::info!(logger, "{}", NoDisplay);
//! ```
//!
//! ```compile_fail
//! # let (sink, _) = uringlog::MemorySink::new();
//! let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
//! uringlog::info!(logger, "{:x}", "text");
//! ```

/// A field's key from its identifier as `stringify!` writes it: a raw
/// identifier (`r#type`) names the field `type`. For the macros only.
#[doc(hidden)]
pub const fn __field_key(ident: &'static str) -> &'static str {
    match ident.as_bytes() {
        [b'r', b'#', rest @ ..] => match core::str::from_utf8(rest) {
            Ok(key) => key,
            Err(_) => ident,
        },
        _ => ident,
    }
}

/// Logs at an explicit level: `uringlog::log!(logger, Level::Warn, "x={}", x)`.
#[macro_export]
macro_rules! log {
    ($logger:expr, $level:expr, target: $target:expr, $($key:ident = $value:expr),+ ; $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        if $logger.enabled_for(level, $target) {
            $logger.__log_fields(
                level,
                $target,
                &[$((
                    const { $crate::__field_key(::core::stringify!($key)) },
                    &$value as &dyn $crate::FieldValue,
                )),+],
                ::core::format_args!($($arg)+),
            );
        }
    }};
    ($logger:expr, $level:expr, target: $target:expr, $($arg:tt)+) => {
        $crate::__private::deferred!(($crate) ($logger) ($level) ($target) $($arg)+)
    };
    ($logger:expr, $level:expr, $($key:ident = $value:expr),+ ; $($arg:tt)+) => {
        $crate::log!($logger, $level, target: ::core::module_path!(), $($key = $value),+ ; $($arg)+)
    };
    ($logger:expr, $level:expr, $($arg:tt)+) => {
        $crate::__private::deferred!(($crate) ($logger) ($level) () $($arg)+)
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

/// Logs at `Info`: `info!(logger, "id={}", id)` or `info!(logger, id = 42; "request")`.
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

#[cfg(test)]
mod tests {
    use crate::{Format, Logger, MemorySink, SinkOptions, Timestamp};
    use std::time::Duration;

    #[test]
    fn a_raw_identifier_names_its_field_without_the_prefix() {
        let (json, json_out) = MemorySink::new();
        let (text, text_out) = MemorySink::new();
        let (logger, guard) = Logger::builder()
            .sink_with(
                json,
                SinkOptions::new().format(Format::json().timestamp(Timestamp::Off)),
            )
            .sink_with(
                text,
                SinkOptions::new().format(Format::text().timestamp(Timestamp::Off)),
            )
            .build()
            .unwrap();
        crate::info!(logger, target: "t", r#type = "a", r#msg = 1, id = 2; "m");
        guard.shutdown(Duration::from_secs(10)).unwrap();
        // `r#msg` is the field `msg`, so it takes the renamed member.
        assert_eq!(
            json_out.text(),
            "{\"level\":\"INFO\",\"target\":\"t\",\"msg\":\"m\",\"type\":\"a\",\"msg#2\":1,\"id\":2}\n"
        );
        assert_eq!(text_out.text(), "INFO  t: \"m\" type=a msg=1 id=2\n");
    }
}
