//! `trace!` … `error!`: check the level, then log through a `Logger` or `Producer`.
//!
//! The arguments are evaluated only when the level is enabled. The target
//! defaults to `module_path!()`; `target: "name",` overrides it.
//!
//! Structured fields come before the message, separated from it by `;`:
//! `info!(logger, user = "alice", id = 42; "request {}", path)`. Each value
//! is anything implementing [`FieldValue`](crate::FieldValue) (strings,
//! numbers, `bool`, byte slices, `Option`, or [`display`](crate::display) /
//! [`debug`](crate::debug) wrappers); it is borrowed, serialized into the
//! record by the caller and rendered by each sink's format. A key is the
//! identifier's name: `r#type = "a"` is the field `type`.

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
///
/// The filter decision for a literal target or the default
/// (`module_path!()`) is cached in a `static` of the call site; a target
/// given as another expression is matched against the directives on each
/// call.
#[macro_export]
macro_rules! log {
    ($logger:expr, $level:expr, target: $target:literal, $($rest:tt)+) => {
        $crate::__log_at!(cached, $logger, $level, $target, $($rest)+)
    };
    ($logger:expr, $level:expr, target: $target:expr, $($rest:tt)+) => {
        $crate::__log_at!(dynamic, $logger, $level, $target, $($rest)+)
    };
    ($logger:expr, $level:expr, $($rest:tt)+) => {
        $crate::__log_at!(cached, $logger, $level, ::core::module_path!(), $($rest)+)
    };
}

/// The body of [`log!`]: filter, then log with or without fields.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_at {
    ($how:ident, $logger:expr, $level:expr, $target:expr, $($key:ident = $value:expr),+ ; $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        let target: &str = $target;
        if $crate::__enabled!($how, $logger, level, target) {
            $logger.__log_fields_enabled(
                level,
                target,
                &[$((
                    const { $crate::__field_key(::core::stringify!($key)) },
                    &$value as &dyn $crate::FieldValue,
                )),+],
                ::core::format_args!($($arg)+),
            );
        }
    }};
    ($how:ident, $logger:expr, $level:expr, $target:expr, $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        let target: &str = $target;
        if $crate::__enabled!($how, $logger, level, target) {
            $logger.__log_enabled(level, target, ::core::format_args!($($arg)+));
        }
    }};
}

/// The filter decision of a call site: `cached` in a `static` of its own
/// (constant targets), or `dynamic` (matched each call).
#[doc(hidden)]
#[macro_export]
macro_rules! __enabled {
    (cached, $logger:expr, $level:expr, $target:expr) => {{
        static CACHE: $crate::CallsiteCache = $crate::CallsiteCache::new();
        $logger.enabled_at($level, $target, &CACHE)
    }};
    (dynamic, $logger:expr, $level:expr, $target:expr) => {
        $logger.enabled_for($level, $target)
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
