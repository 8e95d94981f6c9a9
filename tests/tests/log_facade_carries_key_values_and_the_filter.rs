//! The `log` facade, complete: key-values become structured fields (typed
//! in JSON), the filter's target directives apply to `log::` calls,
//! `set_level` moves `log::max_level()`, and `uringlog::logger()` hands out
//! the global logger (a logger that accepts nothing before `init_global`).

use serde_json::{json, Value};
use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
use uringlog_tests::SHUTDOWN;

struct Point(i32, i32);
impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}, {})", self.0, self.1)
    }
}

#[test]
fn log_facade_carries_key_values_and_the_filter() {
    let before = uringlog::logger();
    assert!(!before.enabled(Level::Error));
    uringlog::error!(before, "nowhere");
    assert_eq!(before.stats().enqueued, 0);
    assert!(before.flush().is_err());

    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::json().timestamp(Timestamp::Off))
        .filter("info,svc::db=debug,svc::db::pool=off")
        .init_global()
        .unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    let p = Point(1, -2);
    log::info!(user = "alice", id = 42u64, delta = -3i32, ratio = 0.5, ok = true, at:% = p; "login {}", 1);
    log::debug!(target: "svc::db", rows = 3; "query");
    log::debug!(target: "svc::db::pool", "filtered: off");
    log::debug!("filtered: default info");
    log::warn!("plain");
    uringlog::info!(uringlog::logger(), k = "v"; "through logger()");
    logger.set_level(Level::Trace);
    assert_eq!(log::max_level(), log::LevelFilter::Trace);
    log::trace!("now on");
    logger.set_level(Level::Error);
    assert_eq!(
        log::max_level(),
        log::LevelFilter::Debug,
        "svc::db=debug stays"
    );
    log::warn!("filtered again");
    logger.flush().unwrap();
    let lines: Vec<Value> = out
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let me = module_path!();
    assert_eq!(
        lines,
        [
            json!({"level": "INFO", "target": me, "msg": "login 1", "user": "alice", "id": 42,
                   "delta": -3, "ratio": 0.5, "ok": true, "at": "(1, -2)"}),
            json!({"level": "DEBUG", "target": "svc::db", "msg": "query", "rows": 3}),
            json!({"level": "WARN", "target": me, "msg": "plain"}),
            json!({"level": "INFO", "target": me, "msg": "through logger()", "k": "v"}),
            json!({"level": "TRACE", "target": me, "msg": "now on"}),
        ]
    );
    assert!(std::ptr::eq(uringlog::logger(), uringlog::logger()));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written, s.dropped), (5, 5, 0));
}
