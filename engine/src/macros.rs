//! `trace!` … `error!` and `log!`: check the level, then log through a
//! `Logger` or a `Producer`. What they accept and how they format is
//! documented on `log!`, where it renders for users.

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
/// The first argument is a [`Logger`](crate::Logger) or a
/// [`Producer`](crate::Producer); the level is any expression of type
/// [`Level`](crate::Level).
///
/// The logger expression, the level and each argument are evaluated once,
/// the arguments only when the level is enabled. The target defaults to
/// `module_path!()`; `target: "name",` overrides it. A literal, or a path
/// to a constant or static named in upper case (`target: TARGET,`), is kept
/// in the statement's `static` call site, so a call copies no target
/// bytes; any other expression (a lower-case variable, a call) is copied
/// into each record. A local variable named in upper case does not compile
/// there: name it in lower case. A target expression is evaluated once,
/// before the level check: also when the level is off (unlike
/// `log::log!`), since the target filters need it.
///
/// The format string is parsed at compile time (crate `uringlog-macros`)
/// and checked exactly as `format!` checks it. Each statement gets a
/// `static` call site; integers, floats, `bool`, `char`, strings and byte
/// slices are copied into the record in binary and the writer formats the
/// message — byte for byte what `format!` gives, whatever the spec. Values
/// of other types are formatted by the caller with their spec. See
/// [`Formatting`](crate::Formatting) to make the caller format everything.
/// One whose `Display` or `Debug` returns an error ends the message with
/// what it wrote, and the values after it are not formatted, as a message
/// formatted by `format_args!` ends there (where `format!` panics).
///
/// A message that cannot fit the ring is counted oversized without its
/// arguments being copied when that is certain beforehand (only `{}`
/// placeholders, whose text holds each string whole), and always when the
/// arguments take more than 4 GiB in binary, whatever the precision of
/// their placeholders.
///
/// Structured fields come before the message, separated from it by `;`:
/// `info!(logger, user = "alice", id = 42; "request {}", path)`. Each value
/// is anything implementing [`FieldValue`](crate::FieldValue) (strings,
/// numbers, `bool`, byte slices, `Option`, or [`display`](crate::display) /
/// [`debug`](crate::field::debug) wrappers); it is borrowed, serialized into the
/// record by the caller and rendered by each sink's format. A key is the
/// identifier's name: `r#type = "a"` is the field `type`.
///
/// A misspelled placeholder is a compile error, as with `format!`:
///
/// ```
/// # let (sink, _) = uringlog::MemorySink::new();
/// # let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
/// let id = 7;
/// uringlog::info!(logger, "id={id}"); // compiles
/// ```
///
/// ```compile_fail
/// # let (sink, _) = uringlog::MemorySink::new();
/// let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
/// let id = 7;
/// uringlog::info!(logger, "id={idd}");
/// ```
///
/// ```compile_fail
/// # let (sink, _) = uringlog::MemorySink::new();
/// let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
/// uringlog::info!(logger, "{} {}", 1);
/// ```
///
/// ```compile_fail
/// struct NoDisplay;
/// # let (sink, _) = uringlog::MemorySink::new();
/// let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
/// uringlog::info!(logger, "{}", NoDisplay);
/// ```
///
/// ```compile_fail
/// # let (sink, _) = uringlog::MemorySink::new();
/// let (logger, _guard) = uringlog::Logger::builder().sink(sink).build().unwrap();
/// uringlog::info!(logger, "{:x}", "text");
/// ```
///
/// # Examples
///
/// ```
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .level(Level::Trace)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let level = if 2 > 1 { Level::Warn } else { Level::Info };
/// uringlog::log!(logger, level, target: "app", "computed level, {:>4}|", 42);
/// uringlog::log!(logger, Level::Info, target: "app", user = "alice"; "with a field");
/// uringlog::log!(logger, Level::Debug, target: "app", "{x:.2}", x = 0.5);
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(
///     out.text(),
///     "WARN  app: computed level,   42|\nINFO  app: \"with a field\" user=alice\nDEBUG app: 0.50\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! log {
    ($logger:expr, $level:expr, target: $target:expr, $($key:ident = $value:expr),+ ; $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        match (($logger).__by_ref(), $target) {
            (logger, target) => {
                if logger.enabled_for(level, target) {
                    $crate::__log_fields!((logger, level, target) [] $($key = $value),+ ; $($arg)+);
                }
            }
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

/// The call of a statement with fields, for [`log!`](crate::log!) only:
/// each field's value is borrowed, in order, then the message's arguments
/// are evaluated, and only then do the fields become `&dyn FieldValue`.
/// No trait object is held across an argument's `.await` (`dyn
/// FieldValue` is not `Sync`): a future that logs with fields is `Send`
/// when its values are `Sync`, as one that logs without them.
#[doc(hidden)]
#[macro_export]
macro_rules! __log_fields {
    (($logger:ident, $level:ident, $target:ident) [$(($key:ident, $v:ident))*] ; $($arg:tt)+) => {
        match ::core::format_args!($($arg)+) {
            args => $logger.__log_fields(
                $level,
                $target,
                (::core::file!(), ::core::line!()),
                &[$((
                    const { $crate::__field_key(::core::stringify!($key)) },
                    $v as &dyn $crate::FieldValue,
                )),*],
                args,
            ),
        }
    };
    // Eight at a time while there are as many: a statement of many fields
    // stays far below the recursion limit.
    (
        $at:tt [$($done:tt)*]
        $k0:ident = $v0:expr, $k1:ident = $v1:expr, $k2:ident = $v2:expr, $k3:ident = $v3:expr,
        $k4:ident = $v4:expr, $k5:ident = $v5:expr, $k6:ident = $v6:expr, $k7:ident = $v7:expr
        $(, $k:ident = $val:expr)* ; $($arg:tt)+
    ) => {
        // Each expansion's names are its own (hygiene).
        match (&$v0, &$v1, &$v2, &$v3, &$v4, &$v5, &$v6, &$v7) {
            (a0, a1, a2, a3, a4, a5, a6, a7) => $crate::__log_fields!(
                $at [$($done)* ($k0, a0) ($k1, a1) ($k2, a2) ($k3, a3) ($k4, a4) ($k5, a5) ($k6, a6) ($k7, a7)]
                $($k = $val),* ; $($arg)+
            ),
        }
    };
    ($at:tt [$($done:tt)*] $key:ident = $value:expr $(, $k:ident = $val:expr)* ; $($arg:tt)+) => {
        match &$value {
            value => $crate::__log_fields!($at [$($done)* ($key, value)] $($k = $val),* ; $($arg)+),
        }
    };
}

/// Logs at `Trace`.
///
/// Takes what [`log!`](crate::log!) takes after its level.
///
/// ```
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .level(Level::Trace)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let id = 42;
/// uringlog::trace!(logger, "id={id}");
/// uringlog::trace!(logger, target: "db", rows = 3; "query took {} ms", 1.5);
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(
///     out.text(),
///     "TRACE rust_out: id=42\nTRACE db: \"query took 1.5 ms\" rows=3\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! trace {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Trace, $($arg)+) };
}

/// Logs at `Debug`.
///
/// Takes what [`log!`](crate::log!) takes after its level.
///
/// ```
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .level(Level::Trace)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let id = 42;
/// uringlog::debug!(logger, "id={id}");
/// uringlog::debug!(logger, target: "db", rows = 3; "query took {} ms", 1.5);
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(
///     out.text(),
///     "DEBUG rust_out: id=42\nDEBUG db: \"query took 1.5 ms\" rows=3\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! debug {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Debug, $($arg)+) };
}

/// Logs at `Info`: `info!(logger, "id={}", id)` or `info!(logger, id = 42; "request")`.
///
/// Takes what [`log!`](crate::log!) takes after its level.
///
/// ```
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .level(Level::Trace)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let id = 42;
/// uringlog::info!(logger, "id={id}");
/// uringlog::info!(logger, target: "db", rows = 3; "query took {} ms", 1.5);
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(
///     out.text(),
///     "INFO  rust_out: id=42\nINFO  db: \"query took 1.5 ms\" rows=3\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! info {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Info, $($arg)+) };
}

/// Logs at `Warn`.
///
/// Takes what [`log!`](crate::log!) takes after its level.
///
/// ```
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .level(Level::Trace)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let id = 42;
/// uringlog::warn!(logger, "id={id}");
/// uringlog::warn!(logger, target: "db", rows = 3; "query took {} ms", 1.5);
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(
///     out.text(),
///     "WARN  rust_out: id=42\nWARN  db: \"query took 1.5 ms\" rows=3\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! warn {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Warn, $($arg)+) };
}

/// Logs at `Error`.
///
/// Takes what [`log!`](crate::log!) takes after its level.
///
/// ```
/// use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
/// let (sink, out) = MemorySink::new();
/// let (logger, guard) = Logger::builder()
///     .sink(sink)
///     .level(Level::Trace)
///     .format(Format::text().timestamp(Timestamp::Off))
///     .build()?;
/// let id = 42;
/// uringlog::error!(logger, "id={id}");
/// uringlog::error!(logger, target: "db", rows = 3; "query took {} ms", 1.5);
/// guard.shutdown(std::time::Duration::from_secs(5))?;
/// assert_eq!(
///     out.text(),
///     "ERROR rust_out: id=42\nERROR db: \"query took 1.5 ms\" rows=3\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! error {
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Error, $($arg)+) };
}

#[cfg(test)]
mod tests {
    use crate::{Format, Logger, MemorySink, SinkOptions, Timestamp};
    use std::time::Duration;

    const TARGET: &str = "svc";

    mod names {
        pub static TARGET: &str = "db";
    }

    /// A target named by a constant or static (upper case) lives in the
    /// call site, as a literal does: its record carries no target bytes,
    /// unlike the same text through a variable; every line reads the same.
    #[test]
    fn a_constant_target_is_kept_in_the_call_site_not_in_each_record() {
        let (sink, out) = MemorySink::new();
        let (logger, guard) = Logger::builder()
            .sink_with(
                sink,
                SinkOptions::new().format(Format::text().timestamp(Timestamp::Off)),
            )
            .build()
            .unwrap();
        // Bytes the writer released from this thread's ring after `log`.
        let record_len = |log: &dyn Fn()| {
            let before = logger.ring_released_bytes().unwrap_or(0);
            log();
            logger.flush().unwrap();
            logger.ring_released_bytes().unwrap() - before
        };
        let variable = TARGET;
        let by_const = record_len(&|| crate::info!(logger, target: TARGET, "m {}", 1u8));
        let by_literal = record_len(&|| crate::info!(logger, target: "svc", "m {}", 1u8));
        let by_variable = record_len(&|| crate::info!(logger, target: variable, "m {}", 1u8));
        let by_path = record_len(&|| crate::info!(logger, target: names::TARGET, "m {}", 1u8));
        let by_static_var = names::TARGET;
        let by_static_variable =
            record_len(&|| crate::info!(logger, target: by_static_var, "m {}", 1u8));
        // An associated constant, of a concrete or a generic type, is read
        // at run time (a static could not name `Self` or `T`).
        struct Svc;
        trait Named {
            const TARGET: &'static str;
        }
        impl Named for Svc {
            const TARGET: &'static str = "svc";
        }
        impl Svc {
            fn log(logger: &Logger) {
                crate::info!(logger, target: Self::TARGET, "m {}", 1u8);
            }
        }
        fn generic<T: Named>(logger: &Logger) {
            crate::info!(logger, target: T::TARGET, "m {}", 1u8);
        }
        let by_self = record_len(&|| Svc::log(&logger));
        let by_generic = record_len(&|| generic::<Svc>(&logger));
        assert_eq!(by_const, by_literal);
        assert_eq!(by_variable, by_const + 3);
        assert_eq!(by_static_variable, by_path + 2);
        assert_eq!((by_self, by_generic), (by_variable, by_variable));
        guard.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(
            out.text(),
            "INFO  svc: m 1\n".repeat(3)
                + "INFO  db: m 1\n".repeat(2).as_str()
                + "INFO  svc: m 1\n".repeat(2).as_str()
        );
    }

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
