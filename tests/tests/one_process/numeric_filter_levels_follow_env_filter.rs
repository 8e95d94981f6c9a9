//! `Builder::filter` and `filter_from_env` take `EnvFilter`'s numeric
//! levels (`RUST_LOG=3`, `app=4`): a bare `3` used to be read as a target
//! named "3", silently leaving the level as it was.

use uringlog::{Format, Level, Logger, MemorySink, Timestamp};
use uringlog_tests::SHUTDOWN;

#[test]
fn digits_are_levels_from_off_to_trace() {
    let (sink, out) = MemorySink::new();
    let (logger, guard) = Logger::builder()
        .sink(sink)
        .format(Format::text().timestamp(Timestamp::Off))
        .level(Level::Trace)
        .filter("2,app=4,quiet=0")
        .build()
        .unwrap();
    assert_eq!(logger.level(), Level::Warn);
    uringlog::info!(logger, target: "other", "refused: below warn");
    uringlog::warn!(logger, target: "other", "kept");
    uringlog::debug!(logger, target: "app::db", "kept at debug");
    uringlog::trace!(logger, target: "app::db", "refused: below debug");
    uringlog::error!(logger, target: "quiet", "refused: off");
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        out.lines(),
        ["WARN  other: kept", "DEBUG app::db: kept at debug"]
    );
}

#[test]
fn a_level_beyond_five_is_refused_naming_it() {
    let err = Logger::builder()
        .sink(MemorySink::new().0)
        .filter("info,app=6")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid filter directive \"app=6\" in filter: unknown level \"6\": \
         expected trace, debug, info, warn, error, off or 0 to 5"
    );
}
