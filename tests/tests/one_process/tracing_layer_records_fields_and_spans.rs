//! `uringlog::tracing::layer`: an event becomes one record with its level,
//! target, message, typed fields and span scope (recorded once at
//! `on_new_span` / `on_record`); the logger's filter decides per callsite
//! before anything is evaluated, and `set_level` reaches callsites already
//! registered. Under a per-layer filter (`.with_filter(..)`), whose
//! interest replaces the layer's so that `tracing` hands it every event
//! and span that filter passes, the logger's filter still decides. The
//! layers of several loggers share a subscriber, each with its own scope.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use uringlog::{Format, Level, Logger, MemoryHandle, MemorySink, Timestamp, WriterGuard};
use uringlog_tests::SHUTDOWN;

fn logger(format: Format, filter: &str) -> (Logger, WriterGuard, MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(format.timestamp(Timestamp::Off))
        .filter(filter)
        .build()
        .unwrap();
    (logger, guard, out)
}

/// Runs `f` with a subscriber made of the registry and `logger`'s layer.
fn traced(logger: &Logger, f: impl FnOnce()) {
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(logger));
    tracing::subscriber::with_default(subscriber, f);
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct Req {
    path: &'static str,
}

#[derive(Debug)]
struct Failure;
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk on fire")
    }
}
impl std::error::Error for Failure {}

/// The same events for both formats: two nested spans (one recorded
/// later), typed fields, an error, a Debug value, an event outside spans.
fn events() {
    let conn = tracing::info_span!("conn", peer = "10.0.0.1", port = 443u16);
    let _c = conn.enter();
    let req = tracing::info_span!("request", id = 7u64, status = tracing::field::Empty);
    let _r = req.enter();
    let err: &(dyn std::error::Error + 'static) = &Failure;
    tracing::warn!(target: "app::http", n = -3i64, ratio = 0.5, ok = true, who = "al ice",
        req = ?Req { path: "/a" }, err, "slow {}", "request");
    req.record("status", 503u16);
    tracing::error!(target: "app::http", "failed");
    drop(_r);
    tracing::info!(target: "app::http", "back in conn");
    drop(_c);
    tracing::info!(target: "app", k = 1u8, "no span");
}

#[test]
fn text_shows_fields_and_the_span_scope_like_the_fmt_layer() {
    let (logger, guard, out) = logger(Format::text(), "trace");
    traced(&logger, events);
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "WARN  conn{peer=\"10.0.0.1\" port=443}:request{id=7}: app::http: \"slow request\" n=-3 \
             ratio=0.5 ok=true who=\"al ice\" req=\"Req { path: \\\"/a\\\" }\" err=\"disk on fire\"",
            "ERROR conn{peer=\"10.0.0.1\" port=443}:request{id=7 status=503}: app::http: failed",
            "INFO  conn{peer=\"10.0.0.1\" port=443}: app::http: back in conn",
            "INFO  app: \"no span\" k=1",
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (4, 4, 0));
}

#[test]
fn json_parses_with_typed_fields_and_spans() {
    let (logger, guard, out) = logger(Format::json(), "trace");
    traced(&logger, events);
    guard.shutdown(SHUTDOWN).unwrap();
    let lines: Vec<Value> = out
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let conn = json!({"name": "conn", "peer": "10.0.0.1", "port": 443});
    assert_eq!(
        lines,
        [
            json!({"level": "WARN", "target": "app::http", "msg": "slow request", "n": -3,
                   "ratio": 0.5, "ok": true, "who": "al ice", "req": "Req { path: \"/a\" }",
                   "err": "disk on fire", "spans": [conn, {"name": "request", "id": 7}]}),
            json!({"level": "ERROR", "target": "app::http", "msg": "failed",
                   "spans": [conn, {"name": "request", "id": 7, "status": 503}]}),
            json!({"level": "INFO", "target": "app::http", "msg": "back in conn", "spans": [conn]}),
            json!({"level": "INFO", "target": "app", "msg": "no span", "k": 1}),
        ]
    );
}

/// Counts how often it is formatted.
struct Counted<'a>(&'a AtomicUsize);
impl std::fmt::Debug for Counted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}

#[test]
fn the_filter_decides_before_anything_is_evaluated() {
    let (logger, guard, out) = logger(Format::text(), "info,app::db=debug,noisy=off");
    let formatted = AtomicUsize::new(0);
    let c = || Counted(&formatted);
    traced(&logger, || {
        tracing::debug!(target: "app::http", v = ?c(), "debug elsewhere");
        tracing::error!(target: "noisy::x", v = ?c(), "off");
        tracing::trace!(target: "app::db", v = ?c(), "trace in db");
        let span = tracing::debug_span!(target: "app::http", "hidden", v = ?c());
        let _s = span.enter();
        tracing::debug!(target: "app::db", v = ?c(), "debug in db");
        tracing::info!(target: "app::http", "info");
    });
    assert_eq!(
        formatted.load(Ordering::SeqCst),
        1,
        "only the enabled event's value"
    );
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "DEBUG app::db: \"debug in db\" v=counted",
            "INFO  app::http: info"
        ]
    );
    assert_eq!((s.enqueued, s.written), (2, 2));
}

#[test]
fn the_logger_filter_decides_under_a_per_layer_filter() {
    let (logger, guard, out) = logger(Format::text(), "warn,app=debug,noisy=off");
    let formatted = AtomicUsize::new(0);
    let c = || Counted(&formatted);
    let layer = uringlog::tracing::layer(&logger).with_filter(LevelFilter::TRACE);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::error!(target: "noisy::x", v = ?c(), "off by its target");
        tracing::info!(target: "other", v = ?c(), "below the default");
        tracing::debug!(target: "app::db", v = ?c(), "in");
        let noisy = tracing::error_span!(target: "noisy", "noisy_span", v = ?c());
        let _n = noisy.enter();
        noisy.record("v", tracing::field::debug(c()));
        let quiet = tracing::info_span!(target: "other", "quiet_span", k = 1u8);
        let _q = quiet.enter();
        let db = tracing::debug_span!(target: "app", "db_span", k = 2u8);
        let _d = db.enter();
        tracing::warn!(target: "other", "in refused spans");
    });
    // Before, only the coarse threshold (`debug`, the lowest of any
    // target) was checked: every value was formatted, the noisy and the
    // info event logged, the refused spans shown.
    assert_eq!(
        formatted.load(Ordering::SeqCst),
        1,
        "only the accepted event's value"
    );
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "DEBUG app::db: \"in\" v=counted",
            "WARN  db_span{k=2}: other: in refused spans",
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (2, 2, 0));
}

#[test]
fn layers_of_two_loggers_share_a_subscriber() {
    let (text, text_guard, text_out) = logger(Format::text(), "info");
    let (json, json_guard, json_out) = logger(Format::json(), "warn");
    let subscriber = tracing_subscriber::registry()
        .with(uringlog::tracing::layer(&text).with_filter(LevelFilter::TRACE))
        .with(uringlog::tracing::layer(&json).with_filter(LevelFilter::TRACE));
    // Before, the second layer's `on_new_span` panicked: both kept the
    // span's fields under one extension type.
    tracing::subscriber::with_default(subscriber, || {
        let conn = tracing::info_span!("conn", peer = 1u8);
        let _c = conn.enter();
        let req = tracing::warn_span!("req", id = 1u8);
        let _r = req.enter();
        req.record("id", 2u8);
        tracing::info!(target: "app", "i");
        tracing::warn!(target: "app", "w");
    });
    let t = text_guard.shutdown(SHUTDOWN).unwrap();
    let j = json_guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        text_out.lines(),
        [
            "INFO  conn{peer=1}:req{id=2}: app: i",
            "WARN  conn{peer=1}:req{id=2}: app: w",
        ]
    );
    // `conn` is below this logger's level: not in its scope.
    let lines: Vec<Value> = json_out
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(
        lines,
        [json!({"level": "WARN", "target": "app", "msg": "w",
                "spans": [{"name": "req", "id": 2}]})]
    );
    assert_eq!((t.enqueued, t.written, t.dropped), (2, 2, 0));
    assert_eq!((j.enqueued, j.written, j.dropped), (1, 1, 0));
}

/// One callsite, logged before and after `set_level`.
fn debug_event(i: u32) {
    tracing::debug!(target: "svc", i, "debug");
}

#[test]
fn set_level_reaches_registered_callsites() {
    let (logger, guard, out) = logger(Format::text(), "info");
    traced(&logger, || {
        debug_event(0);
        logger.set_level(Level::Debug);
        debug_event(1);
        logger.set_level(Level::Warn);
        debug_event(2);
    });
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(out.lines(), ["DEBUG svc: \"debug\" i=1"]);
}
