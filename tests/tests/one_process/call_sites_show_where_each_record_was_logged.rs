//! `Format::with_call_site`: every front end — deferred macros, macros
//! with fields, the caller-formatting fallback, `Formatting::Caller`, the
//! `tracing` layer — gives the statement's `file:line`, in text after the
//! target and in JSON as `file` and `line`, byte for byte the same in
//! async and sync mode and under every ring policy. A record without one
//! (`Logger::log`) shows none, and a sink whose format leaves the option
//! off shows none.

use tracing_subscriber::prelude::*;
use uringlog::{
    Format, Formatting, Level, Logger, MemorySink, Mode, Policy, SinkOptions, Timestamp,
};
use uringlog_tests::{call_site_sinks, SHUTDOWN};

/// The lines each sink should hold for the statements of `log_all`.
struct Expected {
    text: String,
    json: String,
    plain: String,
}

/// Logs one record through each front end; returns the lines expected.
fn log_all(logger: &Logger) -> Expected {
    let f = file!();
    let mut lines = Vec::new();
    // Each statement is on the line after its `line!() + 1`.
    let l = line!() + 1;
    uringlog::info!(logger, target: "app", "deferred {}", 1);
    lines.push((l, "deferred 1", ""));
    let l = line!() + 1;
    uringlog::warn!(logger, target: "app", id = 7, file = "x"; "fields");
    lines.push((l, "fields", "id=7 file=x"));
    let l = line!() + 1;
    uringlog::error!(logger, target: "app", concat!("fall", "back {}"), 2);
    lines.push((l, "fallback 2", ""));
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(logger));
    let l = tracing::subscriber::with_default(subscriber, || {
        let l = line!() + 1;
        tracing::info!(target: "app", "traced");
        l
    });
    lines.push((l, "traced", ""));
    logger.log(Level::Info, "app", format_args!("no call site"));

    let levels = ["INFO ", "WARN ", "ERROR", "INFO "];
    let mut e = Expected {
        text: String::new(),
        json: String::new(),
        plain: String::new(),
    };
    for ((l, msg, fields), level) in lines.iter().zip(levels) {
        let (body, jfields) = if fields.is_empty() {
            (msg.to_string(), String::new())
        } else {
            (
                format!("\"{msg}\" {fields}"),
                ",\"id\":7,\"file#2\":\"x\"".to_owned(),
            )
        };
        e.text += &format!("{level} app {f}:{l}: {body}\n");
        e.plain += &format!("{level} app: {body}\n");
        e.json += &format!(
            "{{\"level\":\"{}\",\"target\":\"app\",\"file\":\"{f}\",\"line\":{l},\"msg\":\"{msg}\"{jfields}}}\n",
            level.trim_end()
        );
    }
    e.text += "INFO  app: no call site\n";
    e.plain += "INFO  app: no call site\n";
    e.json += "{\"level\":\"INFO\",\"target\":\"app\",\"msg\":\"no call site\"}\n";
    e
}

fn check(mode: Mode, policy: Policy, formatting: Formatting) {
    let (plain, plain_out) = MemorySink::new();
    let bare = Format::text().timestamp(Timestamp::Off);
    let builder = Logger::builder().mode(mode).policy(policy);
    let (builder, text_out, json_out) = call_site_sinks(builder.formatting(formatting));
    let (logger, guard) = builder
        .sink_with(plain, SinkOptions::new().format(bare))
        .build()
        .unwrap();
    let want = log_all(&logger);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    let ctx = format!("{mode:?} {policy:?} {formatting:?}");
    assert_eq!((s.enqueued, s.written, s.dropped), (5, 5, 0), "{ctx}");
    assert_eq!(text_out.text(), want.text, "{ctx}");
    assert_eq!(json_out.text(), want.json, "{ctx}");
    assert_eq!(plain_out.text(), want.plain, "{ctx}");
}

#[test]
fn async_deferred() {
    check(Mode::Async, Policy::Block, Formatting::Deferred);
}

#[test]
fn async_caller_formatting() {
    check(Mode::Async, Policy::Block, Formatting::Caller);
}

#[test]
fn async_drop_oldest() {
    check(Mode::Async, Policy::DropOldest, Formatting::Deferred);
}

#[test]
fn sync_mode() {
    check(Mode::Sync, Policy::Block, Formatting::Deferred);
}

#[test]
fn sync_mode_caller_formatting() {
    check(Mode::Sync, Policy::Block, Formatting::Caller);
}
