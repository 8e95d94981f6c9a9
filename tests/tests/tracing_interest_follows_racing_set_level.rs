//! `tracing`'s view of a logger's filter (its maximum level and each
//! callsite's cached interest) follows `Logger::set_level` even when
//! threads change the level at once: after every round of racing calls
//! it matches the logger's level, never stricter (a stricter view makes
//! `tracing` skip events the logger accepts, silently and uncounted) nor
//! looser.

use tracing_subscriber::prelude::*;
use uringlog::{Level, Logger, MemorySink};
use uringlog_tests::{race_set_level, SHUTDOWN};

/// Rounds of racing calls; bounded so the test stays short.
const ROUNDS: usize = 3_000;

fn filter_of(level: Level) -> tracing::level_filters::LevelFilter {
    use tracing::level_filters::LevelFilter;
    match level {
        Level::Trace => LevelFilter::TRACE,
        Level::Debug => LevelFilter::DEBUG,
        Level::Info => LevelFilter::INFO,
        Level::Warn => LevelFilter::WARN,
        Level::Error => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

#[test]
fn interest_matches_the_logger_level_after_racing_set_level() {
    let (logger, guard) = Logger::builder()
        .sink(MemorySink::new().0)
        .level(Level::Info)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(uringlog::tracing::layer(&logger));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let (mut max_level, mut interest) = (0, 0);
    race_set_level(&logger, ROUNDS, || {
        let level = logger.level();
        if tracing::level_filters::LevelFilter::current() != filter_of(level) {
            max_level += 1;
        }
        let debug_on = tracing::enabled!(tracing::Level::DEBUG);
        let warn_on = tracing::enabled!(tracing::Level::WARN);
        if (debug_on, warn_on) != (level <= Level::Debug, level <= Level::Warn) {
            interest += 1;
        }
    });
    guard.shutdown(SHUTDOWN).unwrap();
    assert_eq!(
        (max_level, interest),
        (0, 0),
        "rounds out of {ROUNDS} whose maximum level, interest differ"
    );
}
