//! `Builder::filter` / `filter_from_env`: `RUST_LOG`-style directives
//! decide per target (longest prefix wins) for the macros with literal,
//! default and dynamic targets, for explicit producers and `log_fields`;
//! `set_level` changes the default and keeps the target directives; sink
//! levels still apply; bad directives are refused naming the item.

use uringlog::{BuildError, Format, Level, Logger, MemorySink, SinkOptions, Timestamp};
use uringlog_tests::SHUTDOWN;

const BARE: Format = Format::text().timestamp(Timestamp::Off);

fn built(spec: &str) -> (Logger, uringlog::WriterGuard, uringlog::MemoryHandle) {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(BARE)
        .filter(spec)
        .build()
        .unwrap();
    (logger, guard, out)
}

/// Logs one record per level at `target` through each entry point.
fn each_level(logger: &Logger, target: &str) {
    for level in Level::ALL {
        uringlog::log!(logger, level, target: target, "{target} {level}");
    }
}

#[test]
fn the_longest_prefix_decides_for_every_entry_point() {
    let (logger, guard, out) = built("warn,app::db=debug,app::db::noisy=off,hyper=off");
    uringlog::debug!(logger, target: "app::db", "literal debug");
    uringlog::trace!(logger, target: "app::db", "literal trace");
    uringlog::info!(logger, target: "app::db::noisy::x", "off");
    uringlog::error!(logger, target: "hyper_util", "plain prefix");
    uringlog::info!(logger, "default target info");
    uringlog::warn!(logger, "default target warn");
    uringlog::debug!(logger, target: "app::db::pool", id = 7; "fields {}", 1);
    each_level(&logger, "app::db::pool");
    // Order across rings is drain order: the thread's ring first.
    logger.flush().unwrap();
    let mut p = logger.producer();
    uringlog::debug!(p, target: "app::db", "producer");
    uringlog::info!(p, target: "app::http", "producer filtered");
    drop(p);
    logger.flush().unwrap(); // then the producer's
    logger.log(Level::Debug, "app::db", format_args!("direct"));
    logger.log(Level::Debug, "app::http", format_args!("direct filtered"));
    logger.log_fields(Level::Error, "hyper", &[("k", &1)], format_args!("x"));
    let me = module_path!();
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        [
            "DEBUG app::db: literal debug".to_owned(),
            format!("WARN  {me}: default target warn"),
            "DEBUG app::db::pool: \"fields 1\" id=7".to_owned(),
            "DEBUG app::db::pool: app::db::pool DEBUG".to_owned(),
            "INFO  app::db::pool: app::db::pool INFO".to_owned(),
            "WARN  app::db::pool: app::db::pool WARN".to_owned(),
            "ERROR app::db::pool: app::db::pool ERROR".to_owned(),
            "DEBUG app::db: producer".to_owned(),
            "DEBUG app::db: direct".to_owned(),
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (9, 9, 0));
}

#[test]
fn set_level_changes_the_default_and_keeps_the_targets() {
    let (logger, guard, out) = built("info,hyper=off,app::db=debug");
    assert_eq!(logger.level(), Level::Info);
    let at = |l: &Logger| {
        // One call site per target: each keeps its cached decision.
        uringlog::debug!(l, target: "app::http", "http debug");
        uringlog::error!(l, target: "hyper", "hyper error");
        uringlog::debug!(l, target: "app::db", "db debug");
        uringlog::trace!(l, target: "app::db", "db trace");
    };
    at(&logger);
    logger.set_level(Level::Trace);
    assert_eq!(logger.level(), Level::Trace);
    at(&logger);
    logger.set_level(Level::Off);
    at(&logger);
    assert!(logger.enabled_for(Level::Debug, "app::db"));
    assert!(!logger.enabled_for(Level::Error, "app::http"));
    logger.set_level(Level::Trace);
    uringlog::log!(logger, Level::Off, target: "app::db", "a record is never at Off");
    logger.log(Level::Off, "app", format_args!("nor through log()"));
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!((s.enqueued, s.written), (4, 4));
    assert_eq!(
        out.lines(),
        [
            "DEBUG app::db: db debug",
            "DEBUG app::http: http debug",
            "DEBUG app::db: db debug",
            "DEBUG app::db: db debug",
        ]
    );
}

#[test]
fn sink_levels_still_apply_under_a_filter() {
    let (all, all_out) = MemorySink::new();
    let (warn, warn_out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink_with(all, SinkOptions::new().min_level(Level::Debug).format(BARE))
        .sink_with(warn, SinkOptions::new().min_level(Level::Warn).format(BARE))
        .filter("trace,quiet=error")
        .build()
        .unwrap();
    assert_eq!(
        logger.level(),
        Level::Debug,
        "never below the lowest sink level"
    );
    each_level(&logger, "app");
    each_level(&logger, "quiet::x");
    let s = guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        all_out.lines(),
        [
            "DEBUG app: app DEBUG",
            "INFO  app: app INFO",
            "WARN  app: app WARN",
            "ERROR app: app ERROR",
            "ERROR quiet::x: quiet::x ERROR",
        ]
    );
    assert_eq!(
        warn_out.lines(),
        [
            "WARN  app: app WARN",
            "ERROR app: app ERROR",
            "ERROR quiet::x: quiet::x ERROR",
        ]
    );
    assert_eq!((s.enqueued, s.written, s.dropped), (5, 5, 0));
}

#[test]
fn filter_from_env_reads_the_variable_when_set() {
    let (sink, out) = MemorySink::new();
    std::env::set_var("URINGLOG_TEST_FILTER_SET", "error,svc=debug");
    std::env::set_var("URINGLOG_TEST_FILTER_BLANK", "  ");
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(BARE)
        .level(Level::Warn)
        .filter_from_env("URINGLOG_TEST_FILTER_SET")
        .build()
        .unwrap();
    assert_eq!(logger.level(), Level::Error);
    uringlog::debug!(logger, target: "svc::a", "in");
    uringlog::warn!(logger, target: "other", "out");
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(out.lines(), ["DEBUG svc::a: in"]);

    for var in ["URINGLOG_TEST_FILTER_UNSET", "URINGLOG_TEST_FILTER_BLANK"] {
        let (logger, _guard) = Logger::builder()
            .sink(MemorySink::new().0)
            .level(Level::Warn)
            .filter_from_env(var)
            .build()
            .unwrap();
        assert_eq!(
            logger.level(),
            Level::Warn,
            "{var}: the builder's level stands"
        );
        assert!(!logger.enabled_for(Level::Info, "svc"));
    }
}

#[test]
fn a_bad_directive_is_refused_naming_it() {
    let err = |b: uringlog::Builder| b.sink(MemorySink::new().0).build().unwrap_err();
    let e = err(Logger::builder().filter("info,app=verbose"));
    assert!(
        matches!(&e, BuildError::InvalidFilter { directive, .. } if directive == "app=verbose")
    );
    assert_eq!(
        e.to_string(),
        "invalid filter directive \"app=verbose\" in filter: unknown level \"verbose\": \
         expected trace, debug, info, warn, error, off or 0 to 5"
    );
    std::env::set_var("URINGLOG_TEST_FILTER_BAD", "debug,h2[conn]=trace");
    let e = err(Logger::builder().filter_from_env("URINGLOG_TEST_FILTER_BAD"));
    assert_eq!(
        e.to_string(),
        "invalid filter directive \"h2[conn]=trace\" in URINGLOG_TEST_FILTER_BAD: \
         span and field filters are not supported"
    );
}
