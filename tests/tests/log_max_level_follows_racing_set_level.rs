//! `log::max_level()` follows `Logger::set_level` even when threads change
//! the level at once: after every round of racing calls it equals the
//! logger's coarse level, never stricter (a stricter `max_level` makes
//! `log` drop records the logger accepts, silently and uncounted).

use uringlog::{Level, Logger, MemorySink};
use uringlog_tests::{race_set_level, SHUTDOWN};

/// Rounds of racing calls; bounded so the test stays short.
const ROUNDS: usize = 5_000;

fn filter_of(level: Level) -> log::LevelFilter {
    match level {
        Level::Trace => log::LevelFilter::Trace,
        Level::Debug => log::LevelFilter::Debug,
        Level::Info => log::LevelFilter::Info,
        Level::Warn => log::LevelFilter::Warn,
        Level::Error => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    }
}

#[test]
fn max_level_equals_the_logger_level_after_racing_set_level() {
    let (logger, guard) = Logger::builder()
        .sink(MemorySink::new().0)
        .level(Level::Info)
        .init_global()
        .unwrap();
    let mut mismatches = 0;
    race_set_level(&logger, ROUNDS, || {
        if log::max_level() != filter_of(logger.level()) {
            mismatches += 1;
        }
    });
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(mismatches, 0, "rounds out of {ROUNDS}");
}
